"""Argon2 parameters: strong in production, cheap in the tests, and old hashes always verify."""

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.models import user as users
from app.models.user import User, configure_password_hashing
from config import DevelopmentConfig, ProductionConfig, TestConfig


def parameters(config):
    return (config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST, config.ARGON2_PARALLELISM)


@pytest.fixture
def hashing():
    """Configure the process's hasher freely; the one configured before comes back afterwards."""
    before = (users._hasher, users._DUMMY_HASH)
    yield configure_password_hashing
    users._hasher, users._DUMMY_HASH = before


@pytest.mark.parametrize("config", [ProductionConfig, DevelopmentConfig])
def test_production_and_development_hash_with_rfc_9106_low_memory_or_stronger(config):
    time_cost, memory_cost, parallelism = parameters(config)
    assert time_cost >= RFC_9106_LOW_MEMORY.time_cost == 3
    assert memory_cost >= RFC_9106_LOW_MEMORY.memory_cost == 64 * 1024  # KiB: 64 MiB
    assert parallelism >= 1
    defaults = PasswordHasher()
    assert (time_cost, memory_cost, parallelism) >= (defaults.time_cost, defaults.memory_cost, 1)


def test_the_tests_hash_cheaply():
    assert parameters(TestConfig) < parameters(ProductionConfig)


def test_new_hashes_use_the_configured_parameters(hashing):
    hashing(time_cost=1, memory_cost=8, parallelism=1)
    account = User(email="customer@example.com")
    account.set_password("correct-horse-battery")

    used = extract_parameters(account.password_hash)
    assert (used.time_cost, used.memory_cost, used.parallelism) == (1, 8, 1)
    assert account.check_password("correct-horse-battery")
    assert not account.check_password("wrong-horse-battery")


def test_passwords_hashed_with_other_parameters_still_verify(hashing):
    hashing(*parameters(ProductionConfig))
    strong = User(email="old@example.com")
    strong.set_password("correct-horse-battery")  # as production stores it
    assert extract_parameters(strong.password_hash).memory_cost == RFC_9106_LOW_MEMORY.memory_cost

    hashing(time_cost=1, memory_cost=8, parallelism=1)
    assert strong.check_password("correct-horse-battery")
    assert not strong.check_password("wrong-horse-battery")


def test_unknown_emails_are_checked_against_a_hash_made_with_the_same_parameters(hashing):
    hashing(time_cost=1, memory_cost=8, parallelism=1)
    assert extract_parameters(users._DUMMY_HASH).memory_cost == 8
    assert users.check_password_dummy("anything") is False
