from app.support.views import bp

__all__ = ["bp"]
