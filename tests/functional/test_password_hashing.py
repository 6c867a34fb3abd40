"""The app hashes passwords with the Argon2 parameters of its configuration."""

from argon2 import extract_parameters

from app import create_app
from app.models.user import User
from config import ProductionConfig, TestConfig


def used(password_hash):
    found = extract_parameters(password_hash)
    return (found.time_cost, found.memory_cost, found.parallelism)


def test_test_app_hashes_with_the_test_parameters(make_user):
    account = make_user()
    assert used(account.password_hash) == (
        TestConfig.ARGON2_TIME_COST,
        TestConfig.ARGON2_MEMORY_COST,
        TestConfig.ARGON2_PARALLELISM,
    )


def test_production_app_hashes_with_the_production_parameters(app_settings):
    create_app(ProductionConfig(), **app_settings)
    try:
        account = User(email="customer@example.com")
        account.set_password("correct-horse-battery")
        assert used(account.password_hash) == (
            ProductionConfig.ARGON2_TIME_COST,
            ProductionConfig.ARGON2_MEMORY_COST,
            ProductionConfig.ARGON2_PARALLELISM,
        )
    finally:
        create_app(TestConfig(), **app_settings)
