"""The support console: who may see it, customer lookup, revoking, orders, the audit log and the staff."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit import AuditAction, record
from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import AuditEntry, User
from tests.conftest import PASSWORD, Browser, link_in, sent_mail
from tests.factories import add_order
from tests.support.pages import duplicate_ids, labels_without_field


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.com", role="admin")


@pytest.fixture
def admin_browser(app, admin):
    browser = Browser(app.test_client())
    browser.login(admin.email)
    return browser


def page_text(response):
    return response.get_data(as_text=True)


def audit_entries():
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def make_order(customer, license=None, status="pending", accounts=25, **fields):
    return add_order(customer, license=license, accounts=accounts, status=status, **fields)


CONSOLE_PAGES = [
    "/support/",
    "/support/trials",
    "/support/customers",
    "/support/customers/1",
    "/support/orders",
    "/support/orders/1",
    "/support/audit",
    "/support/staff",
    "/support/licenses/HSL-2222-3333-4444",
]


@pytest.mark.parametrize("url", CONSOLE_PAGES)
def test_console_is_not_found_for_customers(browser, customer, url):
    browser.login(customer.email)
    assert browser.get(url).status_code == 404


def test_console_actions_are_not_found_for_customers(browser, customer, make_license):
    license = make_license()
    browser.login(customer.email)

    response = browser.submit(f"/support/licenses/{license.code}/revoke", {"reason": "x"}, "/licenses")

    assert response.status_code == 404
    db.session.refresh(license)
    assert license.status == "active"
    assert "Support console" not in page_text(browser.get("/licenses"))


@pytest.mark.parametrize("url", CONSOLE_PAGES)
def test_console_needs_login(client, url):
    assert client.get(url).headers["Location"].startswith("/login?next=")


def test_staff_page_is_for_admins_only(agent, admin_browser):
    assert agent.get("/support/staff").status_code == 404
    assert ">Staff</a>" not in page_text(agent.get("/support/"))
    assert ">Staff</a>" in page_text(admin_browser.get("/support/"))
    assert admin_browser.get("/support/staff").status_code == 200


def test_overview_counts_what_needs_attention(agent, customer, make_license, make_user):
    make_user(email="new@example.com", confirmed=False)
    make_license(kind="trial", now=datetime.now(UTC) - timedelta(days=25))
    page = page_text(agent.get("/support/"))
    assert "trial ending within 7 days" in page and "not yet confirmed" in page
    assert "Recent staff actions" in page


def test_staff_see_the_console_and_not_the_customer_menu(app, agent, customer):
    customer_browser = Browser(app.test_client())
    customer_browser.login(customer.email)
    staff_page = page_text(agent.get("/support/"))
    customer_page = page_text(customer_browser.get("/licenses"))

    for link in ('href="/licenses"', 'href="/orders"', 'href="/contact"'):
        assert link not in staff_page and link in customer_page
    assert 'href="/support/"' in staff_page and 'href="/support/"' not in customer_page


# -- lookup ------------------------------------------------------------------------------------


def test_lookup_by_exact_email_opens_the_customer(agent, customer):
    response = agent.get("/support/customers?q=Customer@Example.com")
    assert response.headers["Location"] == f"/support/customers/{customer.id}"


def test_lookup_by_part_of_an_email_or_company_lists_matches(agent, customer, make_user):
    make_user(email="other@example.com", company="Other Hosting")
    by_email = page_text(agent.get("/support/customers?q=example.com"))
    by_company = page_text(agent.get("/support/customers?q=other hosting"))
    assert customer.email in by_email and "other@example.com" in by_email
    assert "other@example.com" in by_company and customer.email not in by_company


def test_lookup_by_license_code_opens_the_license(agent, make_license):
    license = make_license()
    typed = " " + license.code.lower().replace("-", "- ", 1) + " "
    response = agent.get("/support/customers", query_string={"q": typed})
    assert response.headers["Location"] == f"/support/licenses/{license.code}"


def test_lookup_of_an_unknown_code_says_so(agent):
    page = page_text(agent.get("/support/customers?q=HSL-2222-3333-4444"))
    assert "No license has the code" in page


def test_customer_page_shows_licenses_orders_trials_and_audit_trail(
    agent, customer, staff, make_license, pay_order
):
    license = make_license(accounts=50)
    order = pay_order(make_order(customer, license, stripe_payment_intent_id="pi_shown"))
    record(staff, "license.revoke", license=license, reason="Testing the trail")
    db.session.commit()

    page = page_text(agent.get(f"/support/customers/{customer.id}"))

    assert license.code in page and f"#{order.id}" in page and "$112.50" in page
    assert "Testing the trail" in page and "Revoked a license" in page
    assert "Example Hosting" in page


def test_staff_downloads_any_certificate(agent, make_license, keyring):
    license = make_license()
    response = agent.get(f"/support/licenses/{license.code}/certificates/1.lic")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{license.code}-1.lic"'
    assert verify_certificate(page_text(response), keyring.public_keys()).license_code == license.code


# -- revoke and reinstate ----------------------------------------------------------------------


def revoke(agent, license, reason="Payment fraud reported by the bank"):
    return agent.submit(
        f"/support/licenses/{license.code}/revoke", {"reason": reason}, f"/support/licenses/{license.code}"
    )


def test_revoking_needs_a_reason(agent, make_license):
    license = make_license()

    response = revoke(agent, license, reason="")

    assert response.status_code == 400 and "Give a reason for revoking" in page_text(response)
    db.session.refresh(license)
    assert license.status == "active" and len(license.certificates) == 1
    assert audit_entries() == [] and sent_mail() == []


def test_revoked_license_gets_a_revoked_certificate_and_is_blocked(
    agent, browser, app, customer, staff, make_license, keyring
):
    license = make_license(accounts=50)

    response = revoke(agent, license)

    assert response.headers["Location"] == f"/support/licenses/{license.code}"
    db.session.refresh(license)
    assert (license.status, license.revoked_reason) == ("revoked", "Payment fraud reported by the bank")
    certificate = license.current_certificate
    assert (certificate.serial, certificate.reason, certificate.status) == (2, "revocation", "revoked")
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert claims.revoked and claims.apply_accounts_policy(10, datetime.now(UTC)).verdict.value == "BLOCKED"
    [email] = sent_mail(customer.email)
    assert "revoked" in email.subject and "Payment fraud reported by the bank" in email.text_body
    [entry] = audit_entries()
    assert (entry.action, entry.actor_id, entry.license_id, entry.customer_id, entry.reason) == (
        "license.revoke",
        staff.id,
        license.id,
        customer.id,
        "Payment fraud reported by the bank",
    )
    customer_browser = Browser(app.test_client())
    customer_browser.login(customer.email)
    page = page_text(customer_browser.get(f"/licenses/{license.code}?created=10"))
    assert "revoked</span>" in page and "BLOCKED</span>" in page

    again = revoke(agent, license)
    assert again.status_code == 302
    assert "is already revoked" in page_text(agent.get(f"/support/licenses/{license.code}"))
    assert len(audit_entries()) == 1


def test_reinstating_issues_an_active_certificate_and_sends_it(agent, customer, staff, make_license, keyring):
    license = make_license(accounts=50)
    revoke(agent, license)

    response = agent.submit(
        f"/support/licenses/{license.code}/reinstate",
        {"reason": "The bank withdrew the report"},
        f"/support/licenses/{license.code}",
    )

    assert response.headers["Location"] == f"/support/licenses/{license.code}"
    db.session.refresh(license)
    assert (license.status, license.revoked_reason) == ("active", None)
    certificate = license.current_certificate
    assert (certificate.serial, certificate.reason, certificate.status) == (3, "reinstatement", "active")
    assert not verify_certificate(certificate.text, keyring.public_keys()).revoked
    revoked_email, reinstated_email = sent_mail(customer.email)
    assert reinstated_email.attachments[0]["filename"] == f"{license.code}-3.lic"
    assert [entry.action for entry in audit_entries()] == ["license.revoke", "license.reinstate"]
    assert audit_entries()[1].reason == "The bank withdrew the report"


# -- orders ------------------------------------------------------------------------------------


def test_orders_are_listed_newest_first_and_filtered_by_status(agent, customer, make_license, pay_order):
    license = make_license()
    paid = pay_order(make_order(customer, license, stripe_payment_intent_id="pi_paid"))
    failed = make_order(customer, license, status="failed", accounts=50)

    everything = page_text(agent.get("/support/orders"))
    only_failed = page_text(agent.get("/support/orders?status=failed"))
    unknown_status = page_text(agent.get("/support/orders?status=bogus"))

    assert everything.index(f">#{failed.id}<") < everything.index(f">#{paid.id}<")
    assert f">#{failed.id}<" in only_failed and f">#{paid.id}<" not in only_failed
    assert f">#{paid.id}<" in unknown_status  # an unknown filter shows everything
    assert "No refunded orders." in page_text(agent.get("/support/orders?status=refunded"))


def test_flagged_orders_have_their_own_filter_and_count(agent, customer, make_license, pay_order):
    license = make_license()
    pay_order(make_order(customer, license, stripe_payment_intent_id="pi_fine"))
    odd = pay_order(make_order(customer, license, stripe_payment_intent_id="pi_odd"))
    odd.flagged, odd.flag_reason = True, "Partly refunded in Stripe"
    db.session.commit()

    flagged = page_text(agent.get("/support/orders?status=flagged"))
    overview = page_text(agent.get("/support/"))

    assert f">#{odd.id}<" in flagged and flagged.count('href="/support/orders/') == 1
    assert "Partly refunded in Stripe" in flagged
    assert "flagged order<" in overview


def test_refund_needs_a_reason(agent, customer, make_license, pay_order):
    order = pay_order(make_order(customer, make_license(), stripe_payment_intent_id="pi_x"))

    response = agent.submit(
        f"/support/orders/{order.id}/refund", {"reason": " "}, f"/support/orders/{order.id}"
    )

    assert response.status_code == 400 and "Give a reason for the refund" in page_text(response)
    db.session.refresh(order)
    assert order.status == "paid" and audit_entries() == []


def test_only_a_paid_order_can_be_refunded(agent, customer, make_license):
    order = make_order(customer, make_license())

    page = page_text(agent.get(f"/support/orders/{order.id}"))
    response = agent.submit(
        f"/support/orders/{order.id}/refund",
        {"reason": "Duplicate", "refunded_before": "0"},
        f"/support/orders/{order.id}",
    )

    assert "Only a paid order can be refunded." in page
    assert response.status_code == 400
    assert f"Order #{order.id} is pending: only a paid order can be refunded." in page_text(response)
    db.session.refresh(order)
    assert order.status == "pending" and audit_entries() == []


def test_a_paid_order_without_a_stripe_payment_says_there_is_nothing_to_refund(agent, customer, make_license):
    order = make_order(customer, make_license(), status="paid")

    page = page_text(agent.get(f"/support/orders/{order.id}"))

    assert "there is no payment to refund" in page
    assert "Only a paid order can be refunded." not in page and "Refund in full" not in page


def test_every_form_of_an_order_page_has_its_own_ids(agent, customer, make_license, pay_order):
    order = pay_order(make_order(customer, make_license(), accounts=75, stripe_payment_intent_id="pi_ids"))

    page = page_text(agent.get(f"/support/orders/{order.id}"))
    partial = page[page.index('id="partial-refund"') :]

    assert duplicate_ids(page) == [] and labels_without_field(page) == []
    assert 'for="partial-reason"' in partial
    assert re.search(r'<textarea id="partial-reason"[^>]* name="reason"', partial)
    assert 'for="refund-reason"' in page[: page.index('id="partial-refund"')]


# -- the audit log -----------------------------------------------------------------------------


def test_the_audit_log_lists_an_automatic_cancel_by_the_system(agent, customer, staff):
    from app.billing.recovery import expire_orders

    unpaid = make_order(customer)
    with_staff = record(staff, "trial.issue", customer=customer, customer_note="Welcome aboard")
    db.session.commit()

    lines = expire_orders(db.session, None, unpaid.created_at + timedelta(hours=25), hours=24)

    log = page_text(agent.get("/support/audit"))
    only_system = page_text(agent.get("/support/audit?actor=system"))
    assert lines == [f"Order {unpaid.id}: expired, cancelled"]
    assert ">system</span>" in log and "Cancelled an unpaid order automatically" in log
    assert "Internal reason:</span> Not paid within 24 hours: cancelled automatically." in log
    assert "Note to the customer:</span> Welcome aboard" in log
    assert "Internal reason:</span> Not paid" in only_system and "Welcome aboard" not in only_system
    assert with_staff.reason is None


def test_audit_log_lists_former_staff_among_the_staff_members(agent, staff, customer, make_user):
    former = make_user(email="former-agent@example.com", role="support")
    former.role = "customer"  # demoted: what they did stays in the log, and findable
    db.session.commit()

    options = page_text(agent.get("/support/audit")).split('<select id="actor"')[1].split("</select>")[0]

    assert "former-agent@example.com" in options and staff.email in options
    assert customer.email not in options


def test_audit_log_filters_by_staff_member_customer_and_action(
    agent, staff, customer, make_user, make_license
):
    colleague = make_user(email="colleague@example.com", role="support")
    other = make_user(email="other@example.com")
    license = make_license()
    record(staff, "license.revoke", license=license, reason="first")
    record(colleague, "trial.deny", customer=other, reason="second")
    record(colleague, "license.reinstate", license=license, reason="third")
    db.session.commit()

    def reasons(query):
        page = page_text(agent.get(f"/support/audit?{query}"))
        return [
            reason for reason in ("first", "second", "third") if f"Internal reason:</span> {reason}\n" in page
        ]

    assert reasons("") == ["first", "second", "third"]
    assert reasons(f"actor={colleague.id}") == ["second", "third"]
    assert reasons("customer=Other@Example.com") == ["second"]
    assert reasons("action=license.revoke") == ["first"]
    assert reasons(f"actor={colleague.id}&customer={customer.email}") == ["third"]
    assert reasons("customer=nobody@example.com") == []
    assert "No account has this email address." in page_text(
        agent.get("/support/audit?customer=nobody@x.com")
    )


def test_every_audit_action_is_offered_by_the_filter_in_words_and_selects_its_entries(agent, staff, customer):
    for action in AuditAction:
        record(staff, action, customer=customer, reason=f"reason of {action}")
    db.session.commit()

    page = page_text(agent.get("/support/audit"))
    options = page.split('<select id="action"')[1].split("</select>")[0]
    for action in AuditAction:
        assert f'<option value="{action}" >{action.label.capitalize()}</option>' in options
        selected = page_text(agent.get("/support/audit", query_string={"action": str(action)}))
        shown = [other for other in AuditAction if f"</span> reason of {other}\n" in selected]
        assert shown == [action]
        assert f"<td>{action.label[:1].upper()}{action.label[1:]}</td>" in selected


def test_an_action_with_no_label_cannot_be_recorded(staff, customer):
    with pytest.raises(ValueError, match="is not a valid AuditAction"):
        record(staff, "staff.promote", customer=customer)


def test_audit_log_is_newest_first_and_paginated(agent, staff, customer):
    start = datetime.now(UTC) - timedelta(days=1)
    for number in range(55):
        entry = record(staff, "trial.deny", customer=customer, reason=f"entry {number:02}")
        entry.created_at = start + timedelta(minutes=number)
    db.session.commit()

    first = page_text(agent.get("/support/audit"))
    second = page_text(agent.get("/support/audit?page=2"))

    assert first.index("entry 54") < first.index("entry 53") and "entry 04" not in first
    assert "Page 1 of 2" in first and "55 in all" in first and 'href="/support/audit?page=2"' in first
    assert "entry 04" in second and "entry 00" in second and "entry 05" not in second


def test_a_long_audit_log_counts_and_pages_only_so_far(agent, staff, customer, monkeypatch):
    """Past the cap the log says "more than" and pages no further: neither count nor OFFSET reads it all."""
    monkeypatch.setattr("app.support.views.LIST_COUNT_CAP", 60)
    start = datetime.now(UTC) - timedelta(days=1)
    for number in range(75):
        entry = record(staff, "trial.deny", customer=customer, reason=f"entry {number:02}")
        entry.created_at = start + timedelta(minutes=number)
    db.session.commit()

    first = page_text(agent.get("/support/audit"))
    beyond = page_text(agent.get("/support/audit?page=3"))

    assert "Page 1 of 2" in first and "more than 60 in all" in first
    assert "Page 2 of 2" in beyond and "entry 24" in beyond and "entry 25" not in beyond


def test_the_customer_page_shows_20_orders_a_page(agent, customer):
    orders = [add_order(customer, accounts=25) for _ in range(23)]

    first = page_text(agent.get(f"/support/customers/{customer.id}"))
    second = page_text(agent.get(f"/support/customers/{customer.id}?orders_page=2"))

    assert "Page 1 of 2 · 23 in all" in first and "?orders_page=2#customer-orders" in first
    assert "Page 2 of 2" in second
    shown = [order.id for order in orders if f'href="/support/orders/{order.id}"' in second]
    assert len(shown) == 3


def test_audit_log_is_read_only(agent):
    response = agent.submit("/support/audit", {}, "/support/audit")
    assert response.status_code == 405


# -- staff management --------------------------------------------------------------------------


def test_admin_invites_a_staff_member_who_sets_a_password(admin_browser, admin, app):
    response = admin_browser.submit(
        "/support/staff/invite", {"email": "New.Agent@Example.com", "role": "support"}, "/support/staff"
    )

    assert response.headers["Location"] == "/support/staff"
    invited = db.session.scalar(select(User).where(User.email == "new.agent@example.com"))
    assert (invited.role, invited.password_hash) == ("support", "")
    [email] = sent_mail(invited.email)
    assert "invited" in email.subject and admin.email in email.text_body
    [entry] = audit_entries()
    assert (entry.action, entry.actor_id, entry.customer_id, entry.details) == (
        "staff.invite",
        admin.id,
        invited.id,
        {"role": "support"},
    )
    assert "invited</span>" in page_text(admin_browser.get("/support/staff"))

    newcomer = Browser(app.test_client())
    assert newcomer.login(invited.email, "").status_code == 200  # no password yet: no way in
    link = link_in(email)
    newcomer.submit(link, {"password": "a-fresh-agent-passphrase", "confirm": "a-fresh-agent-passphrase"})
    response = newcomer.login(invited.email, "a-fresh-agent-passphrase")
    assert response.headers["Location"] == "/login/two-factor/setup"
    assert len(newcomer.set_up_two_factor()) == 10
    assert newcomer.get("/support/trials").status_code == 200


def test_inviting_an_existing_account_is_refused(admin_browser, customer):
    response = admin_browser.submit(
        "/support/staff/invite", {"email": customer.email, "role": "admin"}, "/support/staff"
    )
    assert response.status_code == 400
    assert "There is already an account for customer@example.com (customer)" in page_text(response)
    db.session.refresh(customer)
    assert customer.role == "customer" and audit_entries() == []


def test_admin_changes_a_role(admin_browser, admin, customer, app):
    response = admin_browser.submit(
        f"/support/users/{customer.id}/role", {"role": "support"}, f"/support/customers/{customer.id}"
    )

    db.session.refresh(customer)
    assert customer.role == "support"
    assert response.headers["Location"] == "/support/staff"
    [entry] = audit_entries()
    assert (entry.action, entry.details) == ("staff.role", {"previous": "customer", "role": "support"})
    promoted = Browser(app.test_client())
    signed_in = promoted.login(customer.email)
    assert signed_in.headers["Location"].startswith("/login/two-factor/setup")
    assert len(promoted.set_up_two_factor()) == 10
    assert promoted.get("/support/").status_code == 200


def test_admin_cannot_change_their_own_role(admin_browser, admin):
    admin_browser.submit(f"/support/users/{admin.id}/role", {"role": "support"}, "/support/staff")
    db.session.refresh(admin)
    assert admin.role == "admin"
    assert "You cannot change your own role" in page_text(admin_browser.get("/support/staff"))


def test_admin_disables_and_enables_an_account(admin_browser, admin, staff, app):
    agent = Browser(app.test_client())
    agent.login(staff.email)

    admin_browser.submit(f"/support/users/{staff.id}/disable", {}, "/support/staff")

    db.session.refresh(staff)
    assert staff.disabled_at is not None
    assert agent.get("/support/").status_code == 302  # logged out on the next request
    assert "This account is disabled" in page_text(Browser(app.test_client()).login(staff.email, PASSWORD))

    admin_browser.submit(f"/support/users/{staff.id}/enable", {}, "/support/staff")
    db.session.refresh(staff)
    assert staff.disabled_at is None
    assert [entry.action for entry in audit_entries()] == ["staff.disable", "staff.enable"]
    assert Browser(app.test_client()).login(staff.email).headers["Location"] == "/support/"


def test_admin_cannot_disable_themselves(admin_browser, admin):
    admin_browser.submit(f"/support/users/{admin.id}/disable", {}, "/support/staff")
    db.session.refresh(admin)
    assert admin.disabled_at is None and audit_entries() == []


def test_support_agents_cannot_manage_staff(agent, customer):
    invite = agent.submit("/support/staff/invite", {"email": "x@example.com", "role": "admin"}, "/support/")
    role = agent.submit(f"/support/users/{customer.id}/role", {"role": "admin"}, "/support/")
    assert invite.status_code == role.status_code == 404
    db.session.refresh(customer)
    assert customer.role == "customer"
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


# -- every action is audited -------------------------------------------------------------------


def test_every_staff_action_lands_in_the_audit_log(admin_browser, admin, make_user, make_license):
    trial_customer = make_user(email="trial@example.com")
    license = make_license(owner=trial_customer, kind="trial", accounts=25)
    paid = make_license(accounts=50)
    prefix = "/support/licenses/"
    admin_browser.submit(
        f"{prefix}{license.code}/extend", {"days": "5", "reason": "hardware"}, f"{prefix}{license.code}"
    )
    admin_browser.submit(f"{prefix}{paid.code}/revoke", {"reason": "fraud"}, f"{prefix}{paid.code}")
    admin_browser.submit(f"{prefix}{paid.code}/reinstate", {"reason": ""}, f"{prefix}{paid.code}")
    admin_browser.submit(
        "/support/trials/issue", {"email": make_user(email="direct@example.com").email}, "/support/trials"
    )
    admin_browser.submit(
        "/support/staff/invite", {"email": "agent2@example.com", "role": "support"}, "/support/staff"
    )
    invited = db.session.scalar(select(User).where(User.email == "agent2@example.com"))
    admin_browser.submit(f"/support/users/{invited.id}/role", {"role": "admin"}, "/support/staff")
    admin_browser.submit(f"/support/users/{invited.id}/disable", {}, "/support/staff")
    admin_browser.submit(f"/support/users/{invited.id}/enable", {}, "/support/staff")

    entries = audit_entries()
    assert [entry.action for entry in entries] == [
        "trial.extend",
        "license.revoke",
        "license.reinstate",
        "trial.issue",
        "staff.invite",
        "staff.role",
        "staff.disable",
        "staff.enable",
    ]
    assert {entry.actor_id for entry in entries} == {admin.id}
    log = page_text(admin_browser.get("/support/audit"))
    assert log.count(admin.email) >= len(entries)


def test_console_lists_take_the_same_queries_for_one_row_or_many(
    agent, staff, make_user, make_license, pay_order
):
    from app import audit as audit_log
    from app.extensions import db
    from tests.conftest import statements_for
    from tests.factories import add_order

    def add_customer(n):
        user = make_user(email=f"buyer{n}@example.com")
        license = make_license(owner=user)
        pay_order(add_order(user, license=license))
        audit_log.record(staff, "license.revoke", license=license, reason="test")
        db.session.commit()

    add_customer(0)
    few = {url: statements_for(agent, url) for url in ("/support/orders", "/support/audit", "/support/")}
    for n in range(1, 6):
        add_customer(n)
    many = {url: statements_for(agent, url) for url in few}
    assert many == few
