"""The portal's data, one module per aggregate."""

from app.models import indexes  # noqa: F401 (the list indexes join their tables' metadata)
from app.models.contact import CustomerNote, SupportMessage, SupportReply
from app.models.installation import Installation, UsageReport
from app.models.invoice import BillingDetails, BillingDocument, DocumentCounter, DocumentKind
from app.models.license import Certificate, License, LicenseKind, LicenseStatus
from app.models.order import Order, OrderStatus, PaymentAttempt, StripeEvent
from app.models.outbox import OutboxMessage
from app.models.refund import RefundAttempt, RefundKind, RefundStatus
from app.models.sign_in import SignInSession
from app.models.signing_key import SigningKey
from app.models.support import AuditEntry, TrialRequest, TrialRequestStatus
from app.models.user import User

__all__ = [
    "AuditEntry",
    "BillingDetails",
    "BillingDocument",
    "Certificate",
    "Installation",
    "CustomerNote",
    "DocumentCounter",
    "DocumentKind",
    "License",
    "LicenseKind",
    "LicenseStatus",
    "Order",
    "OrderStatus",
    "OutboxMessage",
    "PaymentAttempt",
    "RefundAttempt",
    "RefundKind",
    "RefundStatus",
    "SignInSession",
    "SigningKey",
    "StripeEvent",
    "SupportMessage",
    "SupportReply",
    "TrialRequest",
    "TrialRequestStatus",
    "UsageReport",
    "User",
]
