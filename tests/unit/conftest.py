"""Unit tests are pure: no app, no database, no HTTP client (those belong in tests/functional/)."""

from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
APP_FIXTURES = {"_migrated", "app", "client", "runner"}


def pytest_collection_modifyitems(items):
    for item in items:
        if UNIT in Path(item.path).parents and APP_FIXTURES & set(item.fixturenames):
            raise pytest.UsageError(f"{item.nodeid} uses the app: move it to tests/functional/")
