"""Ids, NUL characters and Referer headers in a request's address: a 404 or a 400, never a 500.

The keys are 32-bit integers on both databases; PostgreSQL refuses larger ones and every NUL
in a query, so these run with DATABASE_URL too.
"""

import pytest

from tests.conftest import csrf_token
from tests.factories import add_order

BEYOND_THE_KEYS = [2**31, 2**63 - 1]


@pytest.fixture
def order(customer):
    return add_order(customer)


@pytest.mark.parametrize("number", BEYOND_THE_KEYS)
@pytest.mark.parametrize(
    "path",
    [
        "/orders/{n}",
        "/orders/{n}/status",
        "/orders/{n}/pay",
        "/orders/{n}/documents/INV-1.pdf",
        "/licenses/{code}/certificates/{n}.lic",
    ],
)
def test_a_customer_id_beyond_the_keys_is_not_found(customer_browser, make_license, path, number):
    url = path.format(n=number, code=make_license().code)
    assert customer_browser.get(url).status_code == 404


@pytest.mark.parametrize("number", BEYOND_THE_KEYS)
@pytest.mark.parametrize(
    "path",
    [
        "/support/customers/{n}",
        "/support/orders/{n}",
        "/support/orders/{n}/documents/INV-1.pdf",
        "/support/licenses/{code}/certificates/{n}.lic",
    ],
)
def test_a_console_id_beyond_the_keys_is_not_found(agent, make_license, path, number):
    url = path.format(n=number, code=make_license().code)
    assert agent.get(url).status_code == 404


@pytest.mark.parametrize("number", BEYOND_THE_KEYS)
def test_an_actor_beyond_the_keys_is_no_filter(agent, number):
    page = agent.get(f"/support/audit?actor={number}")
    assert page.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/licenses/HSL-%00",
        "/licenses/HSL-%00/certificates/1.lic",
        "/licenses/HSL-%00/upgrade",
        "/orders/{order}/documents/INV-%00.pdf",
    ],
)
def test_a_nul_in_a_customer_path_is_not_found(customer_browser, order, path):
    assert customer_browser.get(path.format(order=order.id)).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/support/licenses/HSL-%00", "/support/orders/{order}/documents/INV-%00.pdf"],
)
def test_a_nul_in_a_console_path_is_not_found(agent, order, path):
    assert agent.get(path.format(order=order.id)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/support/customers?q=a%00b",
        "/support/audit?action=x%00",
        "/support/audit?customer=a%00@example.com",
        "/support/orders?status=paid%00",
    ],
)
def test_a_nul_in_a_console_search_says_so(agent, url):
    page = agent.get(url)
    assert page.status_code == 400
    assert "NUL character" in page.get_data(as_text=True)


def test_a_nul_in_the_quotes_license_says_so(customer_browser):
    page = customer_browser.get("/orders/quote?license=HSL-%00&accounts=25")
    assert page.status_code == 400
    assert "NUL character" in page.get_data(as_text=True)


def test_a_malformed_referer_port_over_https_is_a_form_error_not_a_500(browser, customer):
    token = csrf_token(browser.get("/login", base_url="https://portal.test").get_data(as_text=True))
    response = browser.client.post(
        "/login",
        base_url="https://portal.test",
        data={"email": customer.email, "password": "x", "csrf_token": token},
        headers={"Referer": "https://portal.test:x443/login"},
    )
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_a_line_break_in_a_console_forms_next_goes_back_to_the_default_page(browser, make_user, customer):
    admin = make_user(email="admin@example.com", role="admin")
    browser.login(admin.email)
    token = csrf_token(browser.get("/support/staff").get_data(as_text=True))
    response = browser.client.post(
        f"/support/users/{customer.id}/role",
        data={"csrf_token": token, "role": "not-a-role", "next": "/support/staff\r\nX-Evil: 1"},
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/support/staff")
