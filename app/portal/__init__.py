from app.portal.views import bp

__all__ = ["bp"]
