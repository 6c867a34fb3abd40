"""Customer lookup, the customer's page and the license page with revoke, reinstate and extend."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import audit
from app.api.installations import release
from app.api.usage import license_usage
from app.billing.invoices import billing_details_of, buyer_snapshot
from app.billing.orders import customer_orders
from app.exceptions import PortalError
from app.extensions import db
from app.licensing.codes import LICENSE_CODE_PREFIX, is_license_code, normalize_license_code
from app.licensing.issuing import license_by_code, licenses_of
from app.models import AuditEntry, Installation, License, Order, TrialRequest, User
from app.support.customer_care import messages_from, notes_on
from app.support.forms import (
    DisableForm,
    EnableForm,
    ExtendTrialForm,
    IssueTrialForm,
    NoteForm,
    ReinstateForm,
    RevokeForm,
    RoleForm,
    SimpleActionForm,
)
from app.support.licenses import reinstate_license, revoke_license
from app.support.search import find_customers, find_order, find_orders
from app.support.views import bounded_page, bp, console_action, now, signing
from app.trials.service import MAX_EXTENSION_DAYS, extend_trial, trial_standing
from app.web.lookups import certificate_response, license_certificate
from app.web.services import current_terms

SEARCH_RESULTS = 50
TRAIL_LENGTH = 20
CUSTOMER_ORDERS_PER_PAGE = 20


def get_customer(user_id):
    return db.get_or_404(User, user_id)


def get_license_by_code(code):
    return db.first_or_404(select(License).where(License.code == normalize_license_code(code)))


def audit_trail(*conditions):
    return db.session.scalars(audit.entries().where(*conditions).limit(TRAIL_LENGTH)).all()


@bp.route("/customers")
def customers():
    """Find a customer by email, company, license code (or part of one), order number, payment id or card.

    An exact license code opens the license, an exact order key (number, payment, charge, invoice) the order.
    """
    query = (request.args.get("q") or "").strip()
    if is_license_code(query):
        license = license_by_code(db.session, query)
        if license is not None:
            return redirect(url_for("support.license_page", code=license.code))
    if order := find_order(db.session, query):
        return redirect(url_for("support.order", order_id=order.id))
    users = find_customers(db.session, query, SEARCH_RESULTS)
    orders = find_orders(db.session, query, SEARCH_RESULTS)
    missing_code = not users and normalize_license_code(query).startswith(LICENSE_CODE_PREFIX + "-")
    if len(users) == 1 and users[0].email == query.lower():
        return redirect(url_for("support.customer", user_id=users[0].id))
    return render_template(
        "support/customers.html", query=query, users=users, orders=orders, missing_code=missing_code
    )


def _billing(user):
    """The customer's billing details as the next invoice would name them, or None."""
    details = billing_details_of(db.session, user)
    return buyer_snapshot(user, details) if details else None


@bp.route("/customers/<int:user_id>")
def customer(user_id):
    user = get_customer(user_id)
    moment = now()
    return render_template(
        "support/customer.html",
        customer=user,
        billing=_billing(user),
        now=moment,
        licenses=licenses_of(db.session, user),
        orders=bounded_page(customer_orders(user.id), CUSTOMER_ORDERS_PER_PAGE, param="orders_page"),
        trial_requests=db.session.scalars(
            select(TrialRequest)
            .where(TrialRequest.user_id == user.id)
            .order_by(TrialRequest.created_at.desc())
        ).all(),
        trail=audit_trail(AuditEntry.customer_id == user.id),
        standing=trial_standing(db.session, user),
        issue_form=IssueTrialForm(email=user.email),
        role_form=RoleForm(role=user.role),
        disable_form=DisableForm(),
        enable_form=EnableForm(),
        notes=notes_on(db.session, user),
        messages=messages_from(db.session, user),
        note_form=NoteForm(),
        action_form=SimpleActionForm(),
    )


def render_license(license, *, extend_form=None, revoke_form=None, reinstate_form=None, status=200):
    moment = now()
    stale_days = current_app.config["CHECKIN_STALE_DAYS"]
    return render_template(
        "support/license.html",
        license=license,
        now=moment,
        usage=license_usage(db.session, license, moment, terms=current_terms(), stale_days=stale_days),
        stale_days=stale_days,
        orders=db.session.scalars(
            select(Order).where(Order.license_id == license.id).order_by(Order.created_at.desc())
        ).all(),
        trail=audit_trail(AuditEntry.license_id == license.id),
        extend_form=extend_form or ExtendTrialForm(),
        revoke_form=revoke_form or RevokeForm(),
        reinstate_form=reinstate_form or ReinstateForm(),
        max_extension_days=MAX_EXTENSION_DAYS,
    ), status


@bp.route("/licenses/<code>")
def license_page(code):
    return render_license(get_license_by_code(code))


@bp.route("/licenses/<code>/certificates/<int:serial>.lic")
def download_certificate(code, serial):
    license = get_license_by_code(code)
    return certificate_response(license_certificate(license, serial))


def _license_action(code, form_class, form_name, act, done):
    """Validate the form, act on the license, commit, and say what happened (or why not)."""
    license = get_license_by_code(code)
    form = form_class()
    if not form.validate_on_submit():
        return render_license(license, status=400, **{form_name: form})
    return console_action(
        lambda: act(license, form, signing()),
        lambda certificate: done.format(code=license.code, serial=certificate.serial, form=form),
        back=redirect(url_for("support.license_page", code=license.code)),
    )


@bp.route("/licenses/<code>/extend", methods=["POST"])
def extend_license_trial(code):
    return _license_action(
        code,
        ExtendTrialForm,
        "extend_form",
        lambda license, form, given: extend_trial(
            db.session, license, current_user, days=form.days.data, reason=form.reason.data, **given
        ),
        "Trial {code} extended by {form.days.data} days: "
        "certificate #{serial} is on its way to the customer.",
    )


@bp.route("/licenses/<code>/revoke", methods=["POST"])
def revoke(code):
    return _license_action(
        code,
        RevokeForm,
        "revoke_form",
        lambda license, form, given: revoke_license(
            db.session, license, current_user, reason=form.reason.data, **given
        ),
        "{code} is revoked: certificate #{serial} says so.",
    )


@bp.route("/licenses/<code>/reinstate", methods=["POST"])
def reinstate(code):
    return _license_action(
        code,
        ReinstateForm,
        "reinstate_form",
        lambda license, form, given: reinstate_license(
            db.session, license, current_user, reason=form.reason.data, **given
        ),
        "{code} is active again: certificate #{serial} went to the customer.",
    )


@bp.route("/licenses/<code>/installations/<int:installation_id>/release", methods=["POST"])
def release_server(code, installation_id):
    """Support frees a license's server for the customer; audited."""
    license = get_license_by_code(code)
    installation = db.get_or_404(Installation, installation_id)
    if installation.license_id != license.id:
        abort(404)

    def act():
        if not release(db.session, installation, now=now(), by="support"):
            raise PortalError(f"{installation.hostname} was already released: nothing was changed.")
        audit.record(
            current_user,
            audit.AuditAction.INSTALLATION_RELEASE,
            license=license,
            hostname=installation.hostname,
            install_id=installation.install_id,
        )

    return console_action(
        act,
        lambda _: f"{installation.hostname} is released: {license.code} can be activated on another server.",
        back=redirect(url_for("support.license_page", code=license.code) + "#servers"),
    )
