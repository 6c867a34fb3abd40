"""Fixtures for tests against localstripe."""

from tests.support.localstripe import *  # noqa: F403
