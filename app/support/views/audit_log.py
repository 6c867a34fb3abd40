"""The audit log of staff actions: read-only, filtered, newest first, a page at a time."""

from contextlib import suppress
from datetime import datetime

from flask import render_template, request
from sqlalchemy import false, select

from app.audit import AuditAction
from app.audit import entries as audit_entries
from app.extensions import db
from app.formatting import datetime_, money
from app.guards import id_number
from app.models import AuditEntry, User
from app.models.user import normalize_email
from app.support.exports import DateRange, csv_response, minute
from app.support.views import bounded_page, bp

ENTRIES_PER_PAGE = 50


@bp.app_template_filter("audit_action")
def audit_action(action):
    """The log's words for an action: its label; an action no longer recorded reads as its words."""
    try:
        return AuditAction(action).label
    except ValueError:
        return action.replace(".", " ").replace("_", " ")


@bp.app_template_filter("audit_summary")
def audit_summary(entry):
    """What happened, in words: "Refunded $112.50 of order #12", "Issued certificate serial 3"."""
    details = entry.details or {}
    order = entry.order
    if entry.action in (AuditAction.ORDER_REFUND, AuditAction.ORDER_PARTIAL_REFUND) and order is not None:
        amount = money(details.get("amount_cents", 0), order.currency)
        text = f"Refunded {amount} of order #{order.id}"
        if details.get("packs"):
            text += f" ({details['packs']} pack{'s' if details['packs'] != 1 else ''})"
        return text
    text = audit_action(entry.action)
    return text[:1].upper() + text[1:]


@bp.app_template_filter("audit_details")
def audit_details(entry):
    """The entry's details as short phrases, without the internal keys."""
    details = entry.details or {}
    words = []
    if "serial" in details:
        words.append(f"new certificate, serial {details['serial']}")
    if "days" in details:
        words.append(f"{details['days']} more days")
    if "ends_at" in details:
        with suppress(TypeError, ValueError):
            words.append(f"now ends {datetime_(datetime.fromisoformat(details['ends_at']))}")
    if "hostname" in details:
        words.append(f"server {details['hostname']}")
    if "role" in details:
        previous = f"{details['previous']} → " if "previous" in details else ""
        words.append(f"role {previous}{details['role']}")
    if "accounts_removed" in details:
        words.append(f"{details['accounts_removed']} accounts removed")
    if "number" in details:
        words.append(details["number"])
    return " · ".join(words)


def staff_actors():
    """Who can have acted: everyone who has had a staff role, those since demoted too (by an index)."""
    return db.session.scalars(select(User).where(User.staff_since.is_not(None)).order_by(User.email)).all()


@bp.route("/audit")
def audit():
    system = request.args.get("actor") == "system"
    actor_id = None if system else request.args.get("actor", type=id_number)
    customer_email = normalize_email(request.args.get("customer"))
    action = request.args.get("action") or ""
    query = audit_entries()
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    elif system:
        query = query.where(AuditEntry.actor_id.is_(None))
    customer = None
    if customer_email:
        customer = db.session.scalar(select(User).where(User.email == customer_email))
        query = query.where(AuditEntry.customer_id == customer.id if customer else false())
    if action:
        query = query.where(AuditEntry.action == action)
    dates = DateRange(request.args)
    query = dates.apply(query, AuditEntry.created_at)
    if request.args.get("format") == "csv" and not dates.error:
        return csv_response(
            "audit-log.csv",
            ["when", "who", "what", "customer", "license", "order", "details", "reason", "note_to_customer"],
            (
                [
                    minute(e.created_at),
                    e.actor.email if e.actor else "system",
                    audit_summary(e),
                    e.customer.email if e.customer else "",
                    e.license.code if e.license else "",
                    e.order.id if e.order else "",
                    audit_details(e),
                    e.reason,
                    e.customer_note,
                ]
                for e in db.session.scalars(query)
            ),
        )
    return render_template(
        "support/audit.html",
        page=bounded_page(query, ENTRIES_PER_PAGE),
        actors=staff_actors(),
        actions=list(AuditAction),
        actor_id=actor_id,
        system=system,
        customer_email=customer_email,
        customer_missing=bool(customer_email) and customer is None,
        action=action,
        dates=dates,
    ), (400 if dates.error else 200)
