"""The License Portal.

``create_app`` is in ``app.factory``, loaded on first use: a part of the package run as a
program (``python -m app.licensing.extractor``) starts without loading the web framework.
"""

_FACTORY_NAMES = ("create_app", "Portal")


def __getattr__(name):
    if name in _FACTORY_NAMES:
        from app import factory

        return getattr(factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
