"""Hypothesis over every form of the portal, found on its pages.

No input makes a 500, a refused form changes nothing, and an accepted one queues only emails
that can be sent.
"""

import re

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.mail import _build, render
from app.models import OutboxMessage
from tests.conftest import Browser, csrf_token
from tests.functional.test_access_matrix import all_rows, owned, routes, url_of  # noqa: F401  (owned: a fixture)

# Forms that end the sessions of the test's browsers: signing out, disabling the customer, changing a role.
SESSION_ENDING = re.compile(
    r"/logout|/account/security/sign-out-everywhere|/account/security/sessions/\d+/sign-out"
    r"|/support/users/\d+/(disable|role)"
)

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
    st.sampled_from(
        ["a\r\nBcc: x@example.com", "nul\x00byte", "x" * 10_000, "é" * 5000, "<script>", "a\u2028b", "\x85"]
    ),
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


# Forms only shown to someone who is not signed in.
SIGNED_OUT = {"/register", "/login", "/forgot-password"}


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
        who = "staff" if url.startswith("/support") else "stranger" if url in SIGNED_OUT else "customer"
        browser = browsers[who]
        page = browser.get(url)
        if page.status_code != 200 or "text/html" not in page.content_type:
            continue
        for action, names in forms_on(page.get_data(as_text=True)):
            target = (action or url).replace("&amp;", "&")
            if not SESSION_ENDING.fullmatch(target) and names:
                forms.setdefault(target, (browser, url, names, who))
    return forms


def test_no_form_input_makes_a_500_and_a_refused_form_changes_nothing(app, owned, make_user, customer):  # noqa: F811
    browsers = {name: Browser(app.test_client()) for name in ("customer", "staff", "stranger")}
    browsers["customer"].login(customer.email)
    browsers["staff"].login(make_user(email="admin@example.com", role="admin").email)
    forms = every_form(app, owned, browsers)
    assert len(forms) >= 12 and "/contact" in forms, sorted(forms)

    @hypothesis_settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        phases=[
            Phase.generate
        ],  # rows stay between examples: replaying or shrinking would not see the same state
    )
    @given(st.data())
    def check(data):
        drawn = {
            target: {name: data.draw(ANY_TEXT, label=f"{target} {name}") for name in names}
            for target, (_, _, names, _) in sorted(forms.items())
        }
        for target, values in drawn.items():
            browser = forms[target][0]
            home = {"staff": "/support/", "customer": "/account"}.get(forms[target][3], "/login")
            page = browser.get(home)
            assert page.status_code == 200, f"{home} before POST {target}: signed out"
            token = csrf_token(page.get_data(as_text=True))
            before = all_rows()
            answer = browser.client.post(target, data={"csrf_token": token, **values})
            assert answer.status_code < 500, f"POST {target} {values!r}: {answer.status_code}"
            refused = answer.status_code in (400, 413) or 'class="field-error"' in answer.get_data(
                as_text=True
            )
            if refused:
                assert all_rows() == before, f"POST {target} {values!r} was refused but changed rows"
            for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")):
                _build(render(message), app.config)  # raises for a header no email can carry
            db.session.rollback()  # the bodies drawn here are the worker's to keep

    check()
