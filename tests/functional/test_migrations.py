"""The migrations leave no triggers: what the portal shows is read from its tables when it is shown."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.support.databases import scratch_database

RECORDS_COUNT = "0014_records_versions"


def triggers():
    if db.engine.dialect.name == "postgresql":
        found = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        found = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    with db.engine.connect() as connection:
        return sorted(connection.scalars(text(found)))


def test_the_migrated_database_keeps_no_count_of_changes_and_no_triggers(app):
    assert "records_versions" not in inspect(db.engine).get_table_names()
    assert triggers() == []


def test_going_back_to_the_count_of_changes_and_forward_again(app_settings, tmp_path):
    other = create_app(
        TestConfig(), **app_settings | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}"}
    )
    with other.app_context():
        upgrade()
        downgrade(revision=RECORDS_COUNT)
        assert "records_versions" in inspect(db.engine).get_table_names()
        assert len(triggers()) == 12  # insert, update and delete on four tables

        upgrade()
        assert "records_versions" not in inspect(db.engine).get_table_names()
        assert triggers() == []
        db.engine.dispose()


def test_the_last_three_migrations_go_down_and_up_again(app_settings, tmp_path):
    """A release can be rolled back: on PostgreSQL when DATABASE_URL is, as in production."""
    with scratch_database("migrations", tmp_path) as url:
        other = create_app(TestConfig(), **app_settings | {"SQLALCHEMY_DATABASE_URI": url})
        with other.app_context():
            upgrade()
            head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(inspect(db.engine).get_table_names())
            db.session.remove()
            for _ in range(3):
                downgrade(revision="-1")
            assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() != head
            db.session.remove()
            upgrade()
            assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
            assert set(inspect(db.engine).get_table_names()) == tables
            db.session.remove()
            db.engine.dispose()
