from app.auth import second_factor  # noqa: F401  (its pages are registered on bp)
from app.auth.views import bp

__all__ = ["bp"]
