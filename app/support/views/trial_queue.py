"""The trial queue: approve or deny requests, or issue a trial directly."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import License, TrialRequest, TrialRequestStatus, User
from app.models.user import normalize_email
from app.support.forms import ApproveTrialForm, DenyTrialForm, IssueTrialForm
from app.support.views import bp, console_action, now, signing
from app.trials.service import approve_request, deny_request, issue_trial
from app.web.services import current_terms

RECENT_DECISIONS = 20
APPROVE, DENY = 0, 1  # the forms of a request, in the order decision_forms gives them


def decision_forms(trial_request, formdata=None):
    """The approve and deny forms of one request in the queue.

    Prefixed by the request, so that every field on the page has its own id; the
    page's CSRF token is checked for every POST by CSRFProtect, not per form.
    """
    terms = current_terms()
    options = {"formdata": formdata, "meta": {"csrf": False}}
    approve = ApproveTrialForm(prefix=f"approve-{trial_request.id}", accounts=terms.trial_accounts, **options)
    approve.accounts.maximum = terms.trial_max_accounts
    approve.accounts.message = (
        f"Enter the trial's accounts, a whole number from 1 to {terms.trial_max_accounts}."
    )
    return approve, DenyTrialForm(prefix=f"deny-{trial_request.id}", **options)


def get_trial_request(request_id):
    return db.get_or_404(TrialRequest, request_id)


def _grouped(query, key):
    grouped = {}
    for row in db.session.scalars(query):
        grouped.setdefault(key(row), []).append(row)
    return grouped


def render_queue(*, submitted=None, issue_form=None, status=200):
    """The queue page; ``submitted`` maps a request id to its forms as posted, errors and all."""
    pending = db.session.scalars(
        select(TrialRequest)
        .where(TrialRequest.status == TrialRequestStatus.PENDING)
        .order_by(TrialRequest.created_at, TrialRequest.id)
        .options(selectinload(TrialRequest.user))
    ).all()
    customers = [r.user_id for r in pending]
    decided = db.session.scalars(
        select(TrialRequest)
        .where(TrialRequest.status != TrialRequestStatus.PENDING)
        .order_by(TrialRequest.decided_at.desc(), TrialRequest.id.desc())
        .options(selectinload(TrialRequest.user), selectinload(TrialRequest.decided_by))
        .limit(RECENT_DECISIONS)
    ).all()
    forms = {r.id: decision_forms(r) for r in pending} | (submitted or {})
    return render_template(
        "support/trials.html",
        pending=pending,
        decided=decided,
        licenses=_grouped(
            select(License).where(License.owner_id.in_(customers)).order_by(License.created_at),
            key=lambda license: license.owner_id,
        ),
        history=_grouped(
            select(TrialRequest)
            .where(TrialRequest.user_id.in_(customers), TrialRequest.status != TrialRequestStatus.PENDING)
            .order_by(TrialRequest.created_at),
            key=lambda earlier: earlier.user_id,
        ),
        forms=forms,
        issue_form=issue_form or IssueTrialForm(),
        now=now(),
    ), status


@bp.route("/trials")
def trial_queue():
    return render_queue()


def decide(request_id, which, act, done, category):
    """Approve or deny: validate the posted form, act on the request, commit, and say what happened.

    ``which`` picks the form (``APPROVE`` or ``DENY``); ``act(trial_request, form)`` makes the
    decision, and ``done`` is formatted with the request and what ``act`` returned.
    """
    trial_request = get_trial_request(request_id)
    forms = decision_forms(trial_request, request.form)
    if not forms[which].validate():
        return render_queue(submitted={trial_request.id: forms}, status=400)
    return console_action(
        lambda: act(trial_request, forms[which]),
        lambda outcome: done.format(trial_request=trial_request, outcome=outcome),
        back=redirect(url_for("support.trial_queue")),
        category=category,
    )


@bp.route("/trials/<int:request_id>/approve", methods=["POST"])
def approve_trial(request_id):
    def approve(trial_request, form):
        return approve_request(
            db.session,
            trial_request,
            current_user,
            note=form.note.data,
            accounts=form.accounts.data,
            **signing(),
        )

    return decide(
        request_id,
        APPROVE,
        approve,
        "Trial approved: {outcome.code} for {trial_request.user.email}, {outcome.accounts} accounts. "
        "The customer has the certificate by email.",
        "success",
    )


@bp.route("/trials/<int:request_id>/deny", methods=["POST"])
def deny_trial(request_id):
    def deny(trial_request, form):
        return deny_request(db.session, trial_request, current_user, reason=form.reason.data, now=now())

    return decide(
        request_id,
        DENY,
        deny,
        "Trial request from {trial_request.user.email} denied. The customer has the reason by email.",
        "info",
    )


@bp.route("/trials/issue", methods=["POST"])
def issue_trial_directly():
    form = IssueTrialForm()
    if not form.validate_on_submit():
        return render_queue(issue_form=form, status=400)
    customer = db.session.scalar(select(User).where(User.email == normalize_email(form.email.data)))
    if customer is None:
        form.email.errors.append(f"There is no account for {form.email.data}: the customer registers first.")
        return render_queue(issue_form=form, status=400)

    def refused(error):
        form.email.errors.append(error.message)
        return render_queue(issue_form=form, status=400)

    return console_action(
        lambda: issue_trial(db.session, customer, current_user, note=form.note.data, **signing()),
        lambda license: (
            f"Trial {license.code} issued to {customer.email}. The customer has the certificate by email."
        ),
        back=redirect(url_for("support.customer", user_id=customer.id)),
        refused=refused,
    )
