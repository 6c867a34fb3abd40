"""Hypothesis over every form of the portal, found on its pages.

No input makes a 500, and a refused form changes nothing.
"""

import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Browser, csrf_token
from tests.functional.test_access_matrix import all_rows, owned, routes, url_of  # noqa: F401  (owned: a fixture)

# Forms that end the session they are posted from: they would end the test's browser too.
SESSION_ENDING = {"/logout", "/account/security/sign-out-everywhere"}

EDGE_NUMBERS = [
    "0",
    "-25",
    "25",
    "10000",
    "10025",
    str(2**63),
    "9" * 40,
    "1e9",
    "²⁵",
    "٢٥",
    "25.0",
    " 25 ",
    "",
]
ANY_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.sampled_from(["a\r\nBcc: x@example.com", "nul\x00byte", "x" * 10_000, "é" * 5000, "<script>"]),
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


def forms_on(html):
    """(action, [field names]) of every POST form on a page."""
    found = []
    for match in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
        if 'method="post"' not in match.group(1).lower():
            continue
        action = re.search(r'action="([^"]*)"', match.group(1))
        names = re.findall(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"', match.group(2))
        found.append(
            (action.group(1) if action else None, [n for n in dict.fromkeys(names) if n != "csrf_token"])
        )
    return found


def every_form(app, owned, browsers):  # noqa: F811
    forms = {}
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint in (
            "portal.download_certificate",
            "support.download_certificate",
        ):
            continue
        if rule.arguments and not set(rule.arguments) <= set(owned):
            continue
        url = url_of(rule, owned)
        browser = browsers["staff" if url.startswith("/support") else "customer"]
        page = browser.get(url)
        if page.status_code != 200 or "text/html" not in page.content_type:
            continue
        for action, names in forms_on(page.get_data(as_text=True)):
            target = (action or url).replace("&amp;", "&")
            if target not in SESSION_ENDING and names:
                forms.setdefault(target, (browser, url, names))
    return forms


def test_no_form_input_makes_a_500_and_a_refused_form_changes_nothing(app, owned, make_user, customer):  # noqa: F811
    browsers = {"customer": Browser(app.test_client()), "staff": Browser(app.test_client())}
    browsers["customer"].login(customer.email)
    browsers["staff"].login(make_user(email="admin@example.com", role="admin").email)
    forms = every_form(app, owned, browsers)
    assert len(forms) >= 12, sorted(forms)

    @hypothesis_settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.data())
    def check(data):
        for target, (browser, page_url, names) in sorted(forms.items()):
            values = {name: data.draw(ANY_TEXT, label=f"{target} {name}") for name in names}
            token = csrf_token(browser.get(page_url).get_data(as_text=True))
            before = all_rows()
            answer = browser.client.post(target, data={"csrf_token": token, **values})
            assert answer.status_code < 500, f"POST {target} {values!r}: {answer.status_code}"
            refused = answer.status_code in (400, 413) or 'class="field-error"' in answer.get_data(
                as_text=True
            )
            if refused:
                assert all_rows() == before, f"POST {target} {values!r} was refused but changed rows"

    check()
