"""Each app hashes with the Argon2 parameters of its configuration; old hashes are replaced at login."""

import pytest
from argon2 import PasswordHasher, extract_parameters

from app import create_app
from app.extensions import db
from app.models.user import User
from config import ProductionConfig, TestConfig
from tests.conftest import PASSWORD


def used(password_hash):
    found = extract_parameters(password_hash)
    return (found.time_cost, found.memory_cost, found.parallelism)


def stored_hash(user):
    db.session.rollback()
    return db.session.get(User, user.id).password_hash


def test_test_app_hashes_with_the_test_parameters(make_user):
    account = make_user()
    assert used(account.password_hash) == (
        TestConfig.ARGON2_TIME_COST,
        TestConfig.ARGON2_MEMORY_COST,
        TestConfig.ARGON2_PARALLELISM,
    )


def test_two_apps_in_one_process_hash_each_with_its_own_parameters(app, app_settings):
    production = create_app(ProductionConfig(), **app_settings)
    strong, cheap = User(email="strong@example.com"), User(email="cheap@example.com")

    production.extensions["password_hasher"].set(strong, "correct-horse-battery")
    app.extensions["password_hasher"].set(cheap, "correct-horse-battery")

    assert used(strong.password_hash) == (3, 64 * 1024, 1)
    assert used(cheap.password_hash) == (1, 8, 1)


@pytest.mark.parametrize("old", [(1, 64, 4), (1, 32, 1)], ids=["4 lanes", "32 KiB"])
def test_an_old_hash_is_replaced_at_login_and_the_password_still_works(browser, make_user, old):
    customer = make_user()
    customer.password_hash = PasswordHasher(*old).hash(PASSWORD)
    db.session.commit()

    refused = browser.login(customer.email, "wrong-horse-battery")
    assert refused.status_code == 200
    assert "The email or password is not correct." in refused.get_data(as_text=True)
    assert used(stored_hash(customer)) == old

    assert browser.login(customer.email).headers["Location"] == "/licenses"
    assert used(stored_hash(customer)) == (1, 8, 1)

    browser.logout()
    assert browser.login(customer.email).headers["Location"] == "/licenses"


def test_an_old_hash_is_replaced_once_the_password_is_right_before_the_code(browser, staff):
    staff.password_hash = PasswordHasher(1, 64, 4).hash(PASSWORD)
    db.session.commit()

    answer = browser.submit("/login", {"email": staff.email, "password": PASSWORD})

    assert answer.headers["Location"] == "/login/code"
    assert used(stored_hash(staff)) == (1, 8, 1)


@pytest.mark.parametrize(
    ("setting", "value"), [("ARGON2_MEMORY_COST", 1), ("ARGON2_TIME_COST", 0), ("ARGON2_PARALLELISM", -1)]
)
def test_parameters_argon2_cannot_hash_with_stop_the_start(app_settings, setting, value):
    with pytest.raises(SystemExit, match=f"Argon2 cannot hash with .*{setting}={value}.*refuses to start"):
        create_app(TestConfig(), **app_settings, **{setting: value})
