"""30-day trials: the customer's request, support's decision, extension, expiry and the reminders."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import AuditEntry, License, TrialRequest
from tests.conftest import Browser, sent_mail

TRIAL_FORM = {
    "company": "Example Hosting",
    "hostname": "cp.example-hosting.com",
    "expected_accounts": "40",
    "note": "We move 40 sites from another panel.",
}


@pytest.fixture
def agent(app, staff):
    """A second browser, logged in as the support agent."""
    agent = Browser(app.test_client())
    agent.login(staff.email)
    return agent


def ask_for_trial(browser, **fields):
    return browser.submit("/trial", {**TRIAL_FORM, **fields})


def trial_requests():
    return db.session.scalars(select(TrialRequest).order_by(TrialRequest.id)).all()


def trial_licenses():
    return db.session.scalars(select(License).where(License.kind == "trial")).all()


def audit_actions():
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def approve(agent, trial_request, note=""):
    return agent.submit(
        f"/support/trials/{trial_request.id}/approve",
        {f"approve-{trial_request.id}-note": note},
        "/support/trials",
    )


def deny(agent, trial_request, reason):
    return agent.submit(
        f"/support/trials/{trial_request.id}/deny",
        {f"deny-{trial_request.id}-reason": reason},
        "/support/trials",
    )


def page_text(response):
    return response.get_data(as_text=True)


# -- the customer asks -------------------------------------------------------------------------


def test_trial_form_has_the_fields(customer_browser):
    page = page_text(customer_browser.get("/trial"))
    for label in ("Company", "Control panel server hostname", "Expected number of accounts", "Note"):
        assert f">{label}</label>" in page
    assert 'value="Example Hosting"' in page  # the company from the account


def test_request_is_pending_on_home_and_announced_to_support(customer_browser, customer):
    response = ask_for_trial(
        customer_browser, hostname=" CP.Example-Hosting.com. ", expected_accounts="1,000"
    )

    assert response.headers["Location"] == "/licenses"
    [trial_request] = trial_requests()
    assert (trial_request.status, trial_request.hostname, trial_request.expected_accounts) == (
        "pending",
        "cp.example-hosting.com",
        1000,
    )
    home = page_text(customer_browser.get("/licenses"))
    assert "Your trial request is waiting for support." in home and "cp.example-hosting.com" in home
    [announcement] = sent_mail("support@example.com")
    assert announcement.subject == "Trial request from Example Hosting"
    assert customer.email in announcement.text_body and "We move 40 sites" in announcement.text_body
    assert "http://portal.test/support/trials" in announcement.text_body
    assert sent_mail(customer.email) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hostname", "", "Enter the host name of the server"),
        ("hostname", "localhost", "Enter the full host name of the server"),
        ("hostname", "192.168.10.20", "Enter the full host name of the server"),
        ("hostname", "cp_1.example.com", "Enter the full host name of the server"),
        ("hostname", "-cp.example.com", "Enter the full host name of the server"),
        ("hostname", "https://cp.example.com/", "Enter the full host name of the server"),
        ("expected_accounts", "", "whole number greater than 0"),
        ("expected_accounts", "0", "whole number greater than 0"),
        ("expected_accounts", "-5", "whole number greater than 0"),
        ("expected_accounts", "2.5", "whole number greater than 0"),
        ("expected_accounts", "lots", "whole number greater than 0"),
        ("company", "  ", "Enter the name of your company."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_sent(customer_browser, field, value, message):
    response = ask_for_trial(customer_browser, **{field: value})

    assert response.status_code == 200
    assert message in page_text(response)
    assert trial_requests() == [] and sent_mail() == []


def test_second_request_while_one_is_pending_is_explained(customer_browser):
    ask_for_trial(customer_browser)

    page = page_text(customer_browser.get("/trial"))
    again = ask_for_trial(customer_browser, hostname="other.example.com")

    assert "You have already asked for a trial" in page and "Withdraw request" in page
    assert "You have already asked for a trial" in page_text(again)
    assert len(trial_requests()) == 1 and len(sent_mail("support@example.com")) == 1


def test_two_submissions_at_once_make_one_request(app, customer):
    browsers = [Browser(app.test_client()) for _ in range(2)]
    for browser in browsers:
        browser.login(customer.email)
    tokens = [_token(browser.get("/trial")) for browser in browsers]
    start = threading.Barrier(2)
    statuses = []

    def submit(browser, token):
        start.wait()
        statuses.append(browser.client.post("/trial", data={**TRIAL_FORM, "csrf_token": token}).status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(statuses) == 2 and 302 in statuses
    assert len(trial_requests()) == 1
    assert len(sent_mail("support@example.com")) == 1


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("trial", "You have already had your trial: there is one trial per customer."),
        ("paid", "You already have a license, so there is no trial for this account"),
    ],
)
def test_customer_with_a_license_is_told_why_not(customer_browser, make_license, kind, message):
    make_license(kind=kind)

    page = page_text(customer_browser.get("/trial"))
    refused = ask_for_trial(customer_browser)

    assert message in page and 'name="hostname"' not in page
    assert message in page_text(refused)
    assert trial_requests() == []
    assert "Request a 30-day trial" not in page_text(customer_browser.get("/licenses"))


def test_unconfirmed_customer_confirms_first(browser, make_user):
    user = make_user(email="new@example.com", confirmed=False)
    browser.login(user.email)

    response = browser.submit("/trial", TRIAL_FORM, form_url="/account")

    assert response.headers["Location"] == "/licenses"
    assert "Confirm your email address first" in page_text(browser.get("/licenses"))
    assert trial_requests() == []


def test_staff_do_not_request_trials(agent):
    response = agent.get("/trial")
    assert response.headers["Location"] == "/support/"


def test_trial_page_needs_login(client):
    assert client.get("/trial").headers["Location"].startswith("/login?next=")


def test_eligible_customer_is_invited_to_ask_on_home(customer_browser):
    home = page_text(customer_browser.get("/licenses"))
    assert "Request a 30-day trial" in home and 'href="/trial"' in home


def test_customer_withdraws_a_pending_request(customer_browser):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()

    response = customer_browser.submit(f"/trial/{trial_request.id}/withdraw", form_url="/licenses")

    assert response.headers["Location"] == "/licenses"
    db.session.refresh(trial_request)
    assert trial_request.status == "withdrawn"
    home = page_text(customer_browser.get("/licenses"))
    assert "Your trial request is withdrawn" in home and "Request a 30-day trial" in home


def test_customer_cannot_withdraw_someone_elses_request(customer_browser, make_user, app):
    other = make_user(email="other@example.com")
    other_browser = Browser(app.test_client())
    other_browser.login(other.email)
    ask_for_trial(other_browser)
    [trial_request] = trial_requests()

    response = customer_browser.submit(f"/trial/{trial_request.id}/withdraw", form_url="/licenses")

    assert response.status_code == 404
    db.session.refresh(trial_request)
    assert trial_request.status == "pending"


def test_trial_requests_are_rate_limited(customer_browser):
    statuses = [ask_for_trial(customer_browser).status_code for _ in range(6)]
    assert statuses[:5] == [302, 200, 200, 200, 200]
    assert statuses[5] == 429


# -- support decides ---------------------------------------------------------------------------


def test_the_queue_shows_the_accounts_asked_for_and_support_sets_the_trials(
    customer_browser, customer, agent, keyring
):
    ask_for_trial(customer_browser, expected_accounts="60")
    [trial_request] = trial_requests()
    field = f"approve-{trial_request.id}-accounts"

    queue = page_text(agent.get("/support/trials"))
    response = agent.submit(f"/support/trials/{trial_request.id}/approve", {field: "60"}, "/support/trials")

    assert "<dt>Expected accounts</dt><dd>60" in queue
    assert f'<label for="{field}">Accounts of the trial</label>' in queue and 'value="25"' in queue
    assert "Asked for 60; from 1 to 100." in queue
    assert response.headers["Location"] == "/support/trials"
    [license] = trial_licenses()
    assert license.accounts == 60
    assert verify_certificate(license.current_certificate.text, keyring.public_keys()).accounts == 60


@pytest.mark.parametrize("accounts", ["101", "0", "", "2.5"])
def test_a_trial_beyond_the_maximum_accounts_is_refused(customer_browser, agent, accounts):
    ask_for_trial(customer_browser, expected_accounts="500")
    [trial_request] = trial_requests()

    response = agent.submit(
        f"/support/trials/{trial_request.id}/approve",
        {f"approve-{trial_request.id}-accounts": accounts},
        "/support/trials",
    )

    assert response.status_code == 400
    assert "Enter the trial&#39;s accounts, a whole number from 1 to 100." in page_text(response)
    db.session.refresh(trial_request)
    assert trial_request.status == "pending" and trial_licenses() == [] and audit_actions() == []


def test_approving_a_trial_with_more_accounts_than_the_maximum_changes_nothing(
    customer_browser, staff, keyring
):
    from app.trials.service import TrialError, approve_request
    from app.web.services import current_keyring, current_terms

    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()

    with pytest.raises(TrialError, match="A trial can have 1 to 100 accounts."):
        approve_request(
            db.session,
            trial_request,
            staff,
            note="",
            accounts=101,
            terms=current_terms(),
            keyring=current_keyring(),
            now=datetime.now(UTC),
        )

    db.session.rollback()
    assert trial_requests()[0].status == "pending" and trial_licenses() == []


def test_approval_issues_the_trial_and_emails_the_certificate(
    customer_browser, customer, agent, staff, keyring
):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()
    approved_at = datetime.now(UTC)

    response = approve(agent, trial_request, note="Welcome aboard!")

    assert response.headers["Location"] == "/support/trials"
    [license] = trial_licenses()
    assert (license.owner_id, license.accounts, license.status) == (customer.id, 25, "active")
    assert abs(license.trial_expires_at - (approved_at + timedelta(days=30))) < timedelta(minutes=1)
    assert license.support_until == license.trial_expires_at
    db.session.refresh(trial_request)
    assert (trial_request.status, trial_request.decided_by_id, trial_request.license_id) == (
        "approved",
        staff.id,
        license.id,
    )
    certificate = license.current_certificate
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.kind, claims.accounts, claims.serial, claims.license_code) == (
        "trial",
        25,
        1,
        license.code,
    )
    assert claims.expires_at == license.trial_expires_at.replace(microsecond=0)

    [email] = sent_mail(customer.email)
    assert email.subject == f"Your trial license {license.code}"
    assert "Welcome aboard!" in email.text_body and license.code in email.text_body
    assert email.attachments == [
        {"filename": f"{license.code}-1.lic", "content_type": "text/plain", "content": certificate.text}
    ]
    home = page_text(customer_browser.get("/licenses"))
    assert license.code in home and "30 days left" in home
    assert f"support included until {license.support_until:%d %b %Y}" in home
    assert "Buy this license" in home
    assert "Trial approved" in page_text(agent.get("/support/trials"))


def test_double_approval_gives_one_license(customer_browser, customer, agent, staff):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()

    approve(agent, trial_request)
    second = approve(agent, trial_request)

    assert second.headers["Location"] == "/support/trials"
    queue = page_text(agent.get("/support/trials"))
    assert f"This request from {customer.email} was already approved by {staff.email}" in queue
    assert len(trial_licenses()) == 1
    assert len(sent_mail(customer.email)) == 1
    assert audit_actions() == ["trial.approve"]


def test_two_agents_approving_at_once_give_one_license(app, customer_browser, customer, make_user, agent):
    colleague = Browser(app.test_client())
    colleague.login(make_user(email="colleague@example.com", role="support").email)
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()
    start = threading.Barrier(2)
    statuses = []

    def click(browser):
        token_page = browser.get("/support/trials")
        start.wait()
        statuses.append(
            browser.client.post(
                f"/support/trials/{trial_request.id}/approve",
                data={"csrf_token": _token(token_page)},
            ).status_code
        )

    threads = [threading.Thread(target=click, args=(b,)) for b in (agent, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [302, 302]
    assert len(trial_licenses()) == 1
    assert len(sent_mail(customer.email)) == 1
    assert audit_actions() == ["trial.approve"]


def _token(response):
    from tests.conftest import csrf_token

    return csrf_token(page_text(response))


def test_approving_a_withdrawn_request_does_nothing_and_says_so(customer_browser, customer, agent):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()
    agent.get("/support/trials")  # the agent has the queue open
    customer_browser.submit(f"/trial/{trial_request.id}/withdraw", form_url="/licenses")

    approve(agent, trial_request)

    assert f"{customer.email} withdrew this request: nothing was issued." in page_text(
        agent.get("/support/trials")
    )
    assert trial_licenses() == [] and sent_mail(customer.email) == [] and audit_actions() == []


def test_denying_without_a_reason_is_an_error_and_changes_nothing(customer_browser, customer, agent):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()

    response = deny(agent, trial_request, "   ")

    assert response.status_code == 400
    assert "Give a reason for the denial" in page_text(response)
    db.session.refresh(trial_request)
    assert trial_request.status == "pending"
    assert sent_mail(customer.email) == [] and audit_actions() == []


def test_denial_reason_reaches_the_customer_by_email_and_on_the_page(
    customer_browser, customer, agent, staff
):
    ask_for_trial(customer_browser)
    [trial_request] = trial_requests()
    reason = "We could not verify the company. Please write from your company address."

    deny(agent, trial_request, reason)

    db.session.refresh(trial_request)
    assert (trial_request.status, trial_request.decision_note, trial_request.decided_by_id) == (
        "denied",
        reason,
        staff.id,
    )
    [email] = sent_mail(customer.email)
    assert email.subject == "Your trial request" and reason in email.text_body
    home = page_text(customer_browser.get("/licenses"))
    assert "was not approved" in home and reason in home and "Request a trial again" in home
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.customer_id, entry.reason) == (
        "trial.deny",
        staff.id,
        customer.id,
        reason,
    )
    assert trial_licenses() == []


def test_queue_shows_pending_requests_oldest_first_with_the_customers_details(app, agent, make_user):
    for day, email in ((3, "third@example.com"), (1, "first@example.com"), (2, "second@example.com")):
        user = make_user(email=email, company=f"{email.split('@')[0].title()} Hosting")
        browser = Browser(app.test_client())
        browser.login(email)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=day), tick=False):
            ask_for_trial(browser, company=user.company, hostname=f"cp.{email.split('@')[0]}.com")

    queue = page_text(agent.get("/support/trials"))

    positions = [queue.index(f"{name}@example.com</a>") for name in ("first", "second", "third")]
    assert positions == sorted(positions)
    assert "cp.first.com" in queue and "First Hosting" in queue and "We move 40 sites" in queue


def test_support_issues_a_trial_directly(agent, customer, staff):
    response = agent.submit(
        "/support/trials/issue", {"email": customer.email.upper(), "note": "As promised"}, "/support/trials"
    )

    [license] = trial_licenses()
    assert response.headers["Location"] == f"/support/customers/{customer.id}"
    assert (license.owner_id, license.accounts) == (customer.id, 25)
    [email] = sent_mail(customer.email)
    assert email.attachments[0]["filename"] == f"{license.code}-1.lic"
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.license_id, entry.reason, entry.customer_note) == (
        "trial.issue",
        staff.id,
        license.id,
        None,
        "As promised",
    )

    again = agent.submit("/support/trials/issue", {"email": customer.email}, "/support/trials")
    assert again.status_code == 400
    assert "has already had a trial" in page_text(again)
    assert len(trial_licenses()) == 1


def test_issuing_a_trial_needs_a_registered_customer_without_a_pending_request(
    agent, customer_browser, customer
):
    unknown = agent.submit("/support/trials/issue", {"email": "nobody@example.com"}, "/support/trials")
    assert unknown.status_code == 400
    assert "There is no account for nobody@example.com" in page_text(unknown)

    ask_for_trial(customer_browser)
    pending = agent.submit("/support/trials/issue", {"email": customer.email}, "/support/trials")
    assert "has a pending trial request: approve it in the trial queue" in page_text(pending)
    assert trial_licenses() == []


# -- extension ---------------------------------------------------------------------------------


def extend(agent, license, days="10", reason="Waiting for the hardware"):
    return agent.submit(
        f"/support/licenses/{license.code}/extend",
        {"days": days, "reason": reason},
        f"/support/licenses/{license.code}",
    )


def test_extending_a_trial_once_issues_a_new_certificate(agent, customer, make_license, keyring, staff):
    license = make_license(kind="trial", accounts=25)
    ends = license.trial_expires_at

    response = extend(agent, license, days="10")

    assert response.headers["Location"] == f"/support/licenses/{license.code}"
    db.session.refresh(license)
    assert license.trial_expires_at == ends + timedelta(days=10)
    assert license.support_until == license.trial_expires_at and license.trial_extended
    certificate = license.current_certificate
    assert (certificate.serial, certificate.reason) == (2, "trial_extension")
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert claims.expires_at == license.trial_expires_at.replace(microsecond=0)
    [email] = sent_mail(customer.email)
    assert email.subject == f"Your trial {license.code} is extended"
    assert email.attachments[0]["filename"] == f"{license.code}-2.lic"
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.reason, entry.details["days"]) == (
        "trial.extend",
        staff.id,
        "Waiting for the hardware",
        10,
    )

    again = extend(agent, license, days="5")
    assert again.headers["Location"] == f"/support/licenses/{license.code}"
    assert "has already been extended once" in page_text(agent.get(f"/support/licenses/{license.code}"))
    db.session.refresh(license)
    assert len(license.certificates) == 2


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        ("31", "x", "Enter a number of days from 1 to 30."),
        ("0", "x", "Enter a number of days from 1 to 30."),
        ("10", "", "Say why the trial is extended"),
    ],
)
def test_extension_input_is_checked(agent, make_license, days, reason, message):
    license = make_license(kind="trial", accounts=25)

    response = extend(agent, license, days=days, reason=reason)

    assert response.status_code == 400 and message in page_text(response)
    db.session.refresh(license)
    assert not license.trial_extended and len(license.certificates) == 1


def test_a_paid_license_is_not_extended(agent, make_license):
    license = make_license(kind="paid")

    extend(agent, license)

    assert "only trials can be extended" in page_text(agent.get(f"/support/licenses/{license.code}"))
    assert audit_actions() == []


def test_an_expired_trial_is_extended_from_today(agent, make_license):
    license = make_license(kind="trial", accounts=25, now=datetime.now(UTC) - timedelta(days=40))

    extend(agent, license, days="10")

    db.session.refresh(license)
    assert license.status_at(datetime.now(UTC)) == "active"
    assert license.trial_days_left(datetime.now(UTC)) == 10


# -- expiry and reminders ----------------------------------------------------------------------

# In the future: travelling back in time would expire the browser's signed session cookie.
START = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)
END = START + timedelta(days=30)


def test_trial_expires_exactly_at_its_end(browser, customer, make_license, keyring):
    license = make_license(kind="trial", accounts=25, now=START)
    claims = verify_certificate(license.current_certificate.text, keyring.public_keys())

    with time_machine.travel(END - timedelta(seconds=1), tick=False):
        browser.login(customer.email)  # a session from today would be too old by then
        home = page_text(browser.get("/licenses"))
        page = page_text(browser.get(f"/licenses/{license.code}?created=25"))
    assert "active</span>" in page and "OK</span>" in page
    assert "1 day left" in home
    assert not claims.is_expired(END - timedelta(seconds=1))

    with time_machine.travel(END, tick=False):
        home = page_text(browser.get("/licenses"))
        page = page_text(browser.get(f"/licenses/{license.code}?created=1"))
    assert "expired</span>" in page and "BLOCKED</span>" in page and "This license is expired" in page
    assert f"ended on {END:%d %b %Y}" in home and "Buy this license" in home
    assert claims.is_expired(END)


def notify(runner):
    result = runner.invoke(args=["trials", "notify"])
    assert result.exit_code == 0, result.output
    return result.output


def test_notify_warns_a_week_before_and_on_the_last_day_once_each(runner, make_license, customer, make_user):
    license = make_license(kind="trial", accounts=25, now=START)
    later = make_license(
        owner=make_user(email="later@example.com"), kind="trial", accounts=25, now=START + timedelta(days=10)
    )

    with time_machine.travel(END - timedelta(days=7, hours=1), tick=False):
        notify(runner)
    assert sent_mail(customer.email) == []  # 7 days and an hour: not yet

    with time_machine.travel(END - timedelta(days=6, hours=23), tick=False):
        output = notify(runner)
        notify(runner)
    assert "Queued 1 'trial ends soon' and 0 'trial ends today'" in output
    [warning] = sent_mail(customer.email)
    assert warning.subject == f"Your trial {license.code} ends in 7 days"
    assert f"http://portal.test/licenses/{license.code}" in warning.text_body

    with time_machine.travel(END - timedelta(hours=4), tick=False):
        notify(runner)
    with time_machine.travel(END + timedelta(hours=1), tick=False):
        notify(runner)
    warning, last_day = sent_mail(customer.email)
    assert last_day.subject == f"Your trial {license.code} ends today"
    assert sent_mail(later.owner.email) == []


def test_notify_tells_a_trial_that_ended_since_the_last_run(runner, make_license, customer):
    license = make_license(kind="trial", accounts=25, now=START)

    with time_machine.travel(END + timedelta(days=1), tick=False):
        notify(runner)
        notify(runner)

    [ended] = sent_mail(customer.email)
    assert ended.subject == f"Your trial {license.code} has ended"
    assert "ended on" in ended.text_body


def test_notify_leaves_converted_and_revoked_trials_alone(runner, make_license, make_user):
    converted = make_license(kind="trial", accounts=25, now=START)
    converted.kind, converted.trial_expires_at = "paid", None
    revoked = make_license(owner=make_user(email="revoked@example.com"), kind="trial", accounts=25, now=START)
    revoked.status = "revoked"
    db.session.commit()

    with time_machine.travel(END - timedelta(days=1), tick=False):
        notify(runner)

    assert sent_mail() == []


def test_notify_needs_the_portal_address(app, runner, make_license):
    app.config.update(SERVER_NAME=None, PORTAL_URL=None)
    result = runner.invoke(args=["trials", "notify"])
    assert result.exit_code != 0 and "PORTAL_URL is not set" in result.output


def test_notify_links_to_the_portal_url(app, runner, make_license, customer):
    app.config.update(SERVER_NAME=None, PORTAL_URL="https://licenses.example.com")
    license = make_license(kind="trial", accounts=25, now=START)
    with time_machine.travel(END - timedelta(days=3), tick=False):
        notify(runner)
    [message] = sent_mail(customer.email)
    assert f"https://licenses.example.com/licenses/{license.code}/upgrade" in message.text_body


def test_extension_rearms_the_reminders(runner, agent, make_license, customer):
    license = make_license(kind="trial", accounts=25, now=START)
    with time_machine.travel(END - timedelta(days=3), tick=False):
        notify(runner)
        extend(agent, license, days="10")
        notify(runner)
    with time_machine.travel(END + timedelta(days=4), tick=False):
        notify(runner)

    subjects = [message.subject for message in sent_mail(customer.email)]
    assert subjects == [
        f"Your trial {license.code} ends in 3 days",
        f"Your trial {license.code} is extended",
        f"Your trial {license.code} ends in 6 days",
    ]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
