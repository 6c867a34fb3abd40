"""Every form stands on the portal's base: no control characters or line breaks where an email
header or a database column would take them, a length cap, and limits on forms that email support."""

import importlib
import pkgutil

import flask_wtf
import pytest
from sqlalchemy import func, select

import app as app_package
from app.extensions import db
from app.forms import FlaskForm
from app.mail import _build, render
from app.models import OutboxMessage, SupportMessage, TrialRequest
from tests.conftest import sent_mail

TRIAL = {"company": "Example Hosting", "hostname": "cp.example.com", "expected_accounts": "25", "note": ""}
UNSENDABLE_LINES = ["Help\r\nBcc: x@example.com", "Help\u2028me", "Help\u2029me", "Help\x85me", "Nul\x00"]


def every_form_class():
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        if not module.name.endswith(".__main__"):  # a program's entry point runs when imported
            importlib.import_module(module.name)
    found, todo = set(), [flask_wtf.FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("app.")}


def test_every_form_of_the_portal_derives_from_its_base():
    forms = every_form_class()
    assert len(forms) >= 30, sorted(cls.__name__ for cls in forms)
    strays = sorted(f"{cls.__module__}.{cls.__name__}" for cls in forms if not issubclass(cls, FlaskForm))
    assert strays == []


def rows(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def supported(customer_browser, make_license):
    """The customer, with a paid license that includes support."""
    make_license()
    return customer_browser


@pytest.mark.parametrize("subject", UNSENDABLE_LINES)
def test_a_subject_no_email_can_carry_is_refused_with_a_message(supported, subject):
    response = supported.submit("/contact", {"subject": subject, "license": "", "message": "Hello"})
    assert response.status_code == 200
    assert "not allowed here" in response.get_data(as_text=True)
    assert rows(SupportMessage) == 0 and rows(OutboxMessage) == 0


def test_a_nul_in_the_message_is_refused_with_a_message(supported):
    response = supported.submit("/contact", {"subject": "Help", "license": "", "message": "a\x00b"})
    assert "not allowed here" in response.get_data(as_text=True)
    assert rows(SupportMessage) == 0


def test_a_ten_kilobyte_subject_is_refused_with_a_message(supported):
    response = supported.submit("/contact", {"subject": "x" * 10_240, "license": "", "message": "Hello"})
    assert "Keep the subject under 200 characters." in response.get_data(as_text=True)
    assert rows(SupportMessage) == 0


def test_a_subject_with_accents_and_a_multi_line_message_reach_support(app, supported):
    response = supported.submit(
        "/contact", {"subject": "Zertifikat für Café", "license": "", "message": "line one\r\nline two"}
    )
    assert response.status_code == 302
    [message] = sent_mail(app.config["SUPPORT_EMAIL"])
    assert _build(render(message), app.config)["Subject"].endswith("Zertifikat für Café")


@pytest.mark.parametrize("company", ["Example\u2028Hosting", "Example\x85Hosting"])
def test_a_trial_company_no_email_subject_can_carry_is_refused(customer_browser, company):
    response = customer_browser.submit("/trial", {**TRIAL, "company": company})
    assert response.status_code == 200
    assert "not allowed here" in response.get_data(as_text=True)
    assert rows(TrialRequest) == 0 and rows(OutboxMessage) == 0


def test_messages_to_support_are_limited_per_customer(supported):
    question = {"license": "", "message": "Hello"}
    answers = [supported.submit("/contact", {**question, "subject": f"Q{i}"}).status_code for i in range(6)]
    assert answers == [302] * 5 + [429]
    assert rows(SupportMessage) == 5
