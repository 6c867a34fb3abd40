"""Argon2 parameters: strong in production, cheap in the tests, old hashes always verify, one thread each."""

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError
from argon2.low_level import hash_secret
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.models import user as users
from app.models.user import User, configure_password_hashing
from app.passwords import SerialHasher
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


# Cheap parameters, each with several lanes: the lanes are what the portal computes on one thread.
CHEAP = [(1, 64, 4), (2, 32, 2), (1, 8, 1)]


@pytest.mark.parametrize(("time_cost", "memory_cost", "lanes"), CHEAP)
def test_one_thread_gives_the_hashes_every_argon2_library_gives(time_cost, memory_cost, lanes):
    ours = SerialHasher(time_cost, memory_cost, lanes)
    library = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=lanes)
    made_here, made_there = ours.hash("correct-horse-battery"), library.hash("correct-horse-battery")
    assert extract_parameters(made_here) == extract_parameters(made_there)
    assert library.verify(made_here, "correct-horse-battery")
    assert ours.verify(made_there, "correct-horse-battery")
    assert not ours.verify(made_there, "correct-horse-batteri")
    assert not ours.verify(made_here, "")
    assert made_here != ours.hash("correct-horse-battery")  # a new salt each time


def test_argon2i_and_argon2d_hashes_verify_too():
    for kind in (Type.I, Type.D):
        encoded = hash_secret(b"pass phrase", b"saltsaltsalt", 1, 64, 2, 32, kind).decode()
        assert SerialHasher(1, 64, 2).verify(encoded, "pass phrase")
        assert not SerialHasher(1, 64, 2).verify(encoded, "pass phrase!")


def test_an_empty_password_has_a_hash_of_its_own():
    hasher = SerialHasher(1, 8, 1)
    assert hasher.verify(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(""), "")
    assert not hasher.verify(hasher.hash(""), " ")


@pytest.mark.parametrize(
    "broken",
    [
        "",
        "not a hash",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$",  # no hash
        "$argon2id$v=19$m=8,t=1,p=1$c2Fsd!Nhb$aGFzaGhhc2hoYXNoaGFzaA",  # not base64
        "$argon2id$v=19$m=8,t=1,p=9$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",  # too little memory for 9 lanes
    ],
)
def test_what_is_no_hash_is_said_so_and_never_matches(broken):
    with pytest.raises(InvalidHashError):
        SerialHasher(1, 8, 1).verify(broken, "anything")
    account = User(email="broken@example.com", password_hash=broken)
    assert account.check_password("anything") is False
