"""Customer lookup, the customer's page and the license page with revoke, reinstate and extend."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from app import audit
from app.api.installations import release
from app.api.usage import license_usage
from app.extensions import db
from app.licensing.codes import LICENSE_CODE_PREFIX, normalize_license_code
from app.licensing.issuing import license_by_code, licenses_of
from app.models import AuditEntry, Certificate, Installation, Order, TrialRequest, User
from app.portal.lookups import certificate_response
from app.support.forms import (
    DisableForm,
    EnableForm,
    ExtendTrialForm,
    IssueTrialForm,
    ReinstateForm,
    RevokeForm,
    RoleForm,
)
from app.support.licenses import LicenseActionError, reinstate_license, revoke_license
from app.support.views import bp, keyring, now, pack_size
from app.trials.service import TrialError, extend_trial, trial_standing

SEARCH_RESULTS = 50
TRAIL_LENGTH = 20


def get_customer(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def get_license_by_code(code):
    license = license_by_code(db.session, code)
    if license is None:
        abort(404)
    return license


def audit_trail(*conditions):
    return db.session.scalars(audit.entries().where(*conditions).limit(TRAIL_LENGTH)).all()


@bp.route("/customers")
def customers():
    """Find a customer by email (or part of it), company, or a license code."""
    query = (request.args.get("q") or "").strip()
    if normalize_license_code(query).startswith(LICENSE_CODE_PREFIX + "-"):
        license = license_by_code(db.session, query)
        if license is not None:
            return redirect(url_for("support.license_page", code=license.code))
        return render_template("support/customers.html", query=query, users=[], missing_code=True)
    search = select(User).order_by(User.created_at.desc()).limit(SEARCH_RESULTS)
    if query:
        search = search.where(
            or_(User.email.icontains(query, autoescape=True), User.company.icontains(query, autoescape=True))
        )
    users = db.session.scalars(search).all()
    if len(users) == 1 and users[0].email == query.lower():
        return redirect(url_for("support.customer", user_id=users[0].id))
    return render_template("support/customers.html", query=query, users=users, missing_code=False)


@bp.route("/customers/<int:user_id>")
def customer(user_id):
    user = get_customer(user_id)
    moment = now()
    return render_template(
        "support/customer.html",
        customer=user,
        now=moment,
        licenses=licenses_of(db.session, user),
        orders=db.session.scalars(
            select(Order).where(Order.user_id == user.id).order_by(Order.created_at.desc())
        ).all(),
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
    )


def render_license(license, *, extend_form=None, revoke_form=None, reinstate_form=None, status=200):
    moment = now()
    stale_days = current_app.config["CHECKIN_STALE_DAYS"]
    return render_template(
        "support/license.html",
        license=license,
        now=moment,
        usage=license_usage(db.session, license, moment, pack_size=pack_size(), stale_days=stale_days),
        stale_days=stale_days,
        orders=db.session.scalars(
            select(Order).where(Order.license_id == license.id).order_by(Order.created_at.desc())
        ).all(),
        trail=audit_trail(AuditEntry.license_id == license.id),
        extend_form=extend_form or ExtendTrialForm(),
        revoke_form=revoke_form or RevokeForm(),
        reinstate_form=reinstate_form or ReinstateForm(),
    ), status


@bp.route("/licenses/<code>")
def license_page(code):
    return render_license(get_license_by_code(code))


@bp.route("/licenses/<code>/certificates/<int:serial>.lic")
def download_certificate(code, serial):
    license = get_license_by_code(code)
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.license_id == license.id, Certificate.serial == serial)
    )
    if certificate is None:
        abort(404)
    return certificate_response(certificate)


def _license_action(code, form_class, form_name, act, done):
    """Validate the form, act on the license, commit, and say what happened (or why not)."""
    license = get_license_by_code(code)
    form = form_class()
    if not form.validate_on_submit():
        return render_license(license, status=400, **{form_name: form})
    signing = {"keyring": keyring(), "now": now(), "pack_size": pack_size()}
    try:
        certificate = act(license, form, signing)
    except (LicenseActionError, TrialError) as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    else:
        db.session.commit()
        flash(done.format(code=license.code, serial=certificate.serial, form=form), "success")
    return redirect(url_for("support.license_page", code=license.code))


@bp.route("/licenses/<code>/extend", methods=["POST"])
def extend_license_trial(code):
    return _license_action(
        code,
        ExtendTrialForm,
        "extend_form",
        lambda license, form, signing: extend_trial(
            db.session, license, current_user, days=form.days.data, reason=form.reason.data, **signing
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
        lambda license, form, signing: revoke_license(
            db.session, license, current_user, reason=form.reason.data, **signing
        ),
        "{code} is revoked: certificate #{serial} says so.",
    )


@bp.route("/licenses/<code>/reinstate", methods=["POST"])
def reinstate(code):
    return _license_action(
        code,
        ReinstateForm,
        "reinstate_form",
        lambda license, form, signing: reinstate_license(
            db.session, license, current_user, reason=form.reason.data, **signing
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
    if release(db.session, installation, now=now(), by="support"):
        audit.record(
            current_user,
            "installation.release",
            license=license,
            hostname=installation.hostname,
            install_id=installation.install_id,
        )
        db.session.commit()
        flash(
            f"{installation.hostname} is released: {license.code} can be activated on another server.",
            "success",
        )
    else:
        flash(f"{installation.hostname} was already released: nothing was changed.", "info")
    return redirect(url_for("support.license_page", code=license.code) + "#servers")
