"""Fixtures for tests against localstripe."""

from tests.integration.localstripe_fixture import *  # noqa: F403
