"""The audit log of staff actions: read-only, filtered, newest first, a page at a time."""

from flask import render_template, request
from sqlalchemy import false, select

from app.audit import entries as audit_entries
from app.extensions import db
from app.guards import id_number, page_number
from app.models import AuditEntry, User
from app.models.user import STAFF_ROLES, normalize_email
from app.support.views import bp

ENTRIES_PER_PAGE = 50

ACTIONS = {
    "trial.approve": "approved a trial",
    "trial.deny": "denied a trial",
    "trial.issue": "issued a trial",
    "trial.extend": "extended a trial",
    "license.revoke": "revoked a license",
    "license.reinstate": "reinstated a license",
    "order.refund": "refunded an order",
    "order.cancel": "cancelled an order",
    "order.extra_refund": "refunded an extra payment automatically",
    "staff.invite": "invited a staff member",
    "staff.role": "changed a role",
    "staff.disable": "disabled an account",
    "staff.enable": "enabled an account",
}


@bp.app_template_filter("audit_action")
def audit_action(action):
    return ACTIONS.get(action, action.replace(".", " ").replace("_", " "))


@bp.route("/audit")
def audit():
    actor_id = request.args.get("actor", type=id_number)
    customer_email = normalize_email(request.args.get("customer"))
    action = request.args.get("action") or ""
    query = audit_entries()
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    customer = None
    if customer_email:
        customer = db.session.scalar(select(User).where(User.email == customer_email))
        query = query.where(AuditEntry.customer_id == customer.id if customer else false())
    if action:
        query = query.where(AuditEntry.action == action)
    actors = db.session.scalars(
        select(User)
        .where(User.role.in_(STAFF_ROLES) | User.id.in_(select(AuditEntry.actor_id)))
        .order_by(User.email)
    ).all()
    return render_template(
        "support/audit.html",
        page=db.paginate(
            query,
            page=request.args.get("page", 1, type=page_number),
            per_page=ENTRIES_PER_PAGE,
            error_out=False,
        ),
        actors=actors,
        actions=ACTIONS,
        actor_id=actor_id,
        customer_email=customer_email,
        customer_missing=bool(customer_email) and customer is None,
        action=action,
    )
