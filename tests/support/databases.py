"""Databases of a test's own, beside the test database: PostgreSQL when DATABASE_URL is, else SQLite."""

from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import database_url


@contextmanager
def scratch_database(suffix, folder):
    """An empty database named after the test database and `suffix`, dropped afterwards."""
    url = database_url("")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{suffix}.db'}"
        return
    url = make_url(url)
    name = f"{url.database}_{suffix}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
