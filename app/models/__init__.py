"""The portal's data, one module per aggregate."""

from app.models.outbox import OutboxMessage
from app.models.user import User

__all__ = ["OutboxMessage", "User"]
