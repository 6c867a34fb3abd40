"""The portal's data, one module per aggregate."""

from app.models.contact import CustomerNote, SupportMessage
from app.models.license import Certificate, License, LicenseKind, LicenseStatus
from app.models.order import Order, OrderStatus, StripeEvent
from app.models.outbox import OutboxMessage
from app.models.support import AuditEntry, TrialRequest, TrialRequestStatus
from app.models.user import User

__all__ = [
    "AuditEntry",
    "Certificate",
    "CustomerNote",
    "License",
    "LicenseKind",
    "LicenseStatus",
    "Order",
    "OrderStatus",
    "OutboxMessage",
    "StripeEvent",
    "SupportMessage",
    "TrialRequest",
    "TrialRequestStatus",
    "User",
]
