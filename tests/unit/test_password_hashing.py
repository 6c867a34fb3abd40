"""Argon2 parameters: strong in production, cheap in the tests; old hashes verify and are replaced."""

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from app.auth.passwords import Passwords
from app.models.user import User
from config import DevelopmentConfig, ProductionConfig, TestConfig

CHEAP = (1, 8, 1)


def parameters(config):
    return (config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST, config.ARGON2_PARALLELISM)


def used(password_hash):
    found = extract_parameters(password_hash)
    return (found.time_cost, found.memory_cost, found.parallelism)


def passwords(time_cost, memory_cost, parallelism):
    return Passwords(PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism))


@pytest.mark.parametrize("config", [ProductionConfig, DevelopmentConfig])
def test_production_and_development_hash_with_rfc_9106_low_memory_in_one_lane(config):
    time_cost, memory_cost, parallelism = parameters(config)
    assert time_cost == RFC_9106_LOW_MEMORY.time_cost == 3
    assert memory_cost == RFC_9106_LOW_MEMORY.memory_cost == 64 * 1024  # KiB: 64 MiB
    assert parallelism == 1


def test_the_tests_hash_cheaply():
    assert parameters(TestConfig) == CHEAP


def test_new_hashes_use_the_given_parameters_and_check_the_password():
    cheap = passwords(*CHEAP)
    account = User(email="customer@example.com")
    cheap.set(account, "correct-horse-battery")

    assert used(account.password_hash) == CHEAP
    assert cheap.check(account, "correct-horse-battery")
    assert not cheap.check(account, "wrong-horse-battery")
    made = account.password_hash
    cheap.set(account, "correct-horse-battery")
    assert account.password_hash != made  # a new salt each time


def test_a_new_password_signs_out_every_browser():
    account = User(email="customer@example.com", session_token="before")
    passwords(*CHEAP).set(account, "correct-horse-battery")
    assert account.session_token != "before"


@pytest.mark.parametrize("old", [(1, 64, 4), (2, 8, 1), (1, 32, 1)], ids=["4 lanes", "2 passes", "32 KiB"])
def test_a_hash_made_with_other_parameters_verifies_and_is_replaced(old):
    account = User(email="old@example.com", password_hash=PasswordHasher(*old).hash("correct-horse-battery"))
    old_hash = account.password_hash
    cheap = passwords(*CHEAP)

    assert not cheap.check(account, "wrong-horse-battery")
    assert account.password_hash == old_hash  # a wrong password changes nothing

    assert cheap.check(account, "correct-horse-battery")
    assert used(account.password_hash) == CHEAP
    assert cheap.check(account, "correct-horse-battery")


def test_a_hash_made_with_the_same_parameters_is_kept():
    cheap = passwords(*CHEAP)
    account = User(email="customer@example.com")
    cheap.set(account, "correct-horse-battery")
    made = account.password_hash
    assert cheap.check(account, "correct-horse-battery")
    assert account.password_hash == made


def test_an_unknown_address_is_never_right():
    cheap = passwords(*CHEAP)
    assert cheap.pretend_check("correct-horse-battery") is False
    assert cheap.pretend_check("") is False


def test_an_unknown_address_is_checked_against_a_hash_of_the_same_cost():
    cheap, strong = passwords(*CHEAP), passwords(2, 16, 2)
    assert used(cheap._unknown_user_hash) == CHEAP
    assert used(strong._unknown_user_hash) == (2, 16, 2)


@pytest.mark.parametrize(
    "broken",
    [
        None,
        "",
        "not a hash",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$",  # no hash
        "$argon2id$v=19$m=8,t=1,p=1$c2Fsd!Nhb$aGFzaGhhc2hoYXNoaGFzaA",  # not base64
        "$argon2id$v=19$m=8,t=1,p=9$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",  # too little memory for 9 lanes
    ],
)
def test_what_is_no_hash_never_matches_and_stays(broken):
    account = User(email="broken@example.com", password_hash=broken)
    assert passwords(*CHEAP).check(account, "anything") is False
    assert account.password_hash == broken
