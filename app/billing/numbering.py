"""Gapless document numbers: ``INV-2026-000001``, ``CN-2026-000001``, one series per kind and year.

The number is taken by one statement, ``INSERT … ON CONFLICT (series, year)
DO UPDATE SET last_number = last_number + 1 RETURNING last_number``, in the
transaction that issues the document (fulfilment, a refund). On PostgreSQL the
counter row stays locked until that transaction ends, so a concurrent payment
waits and then reads the committed number; SQLite admits one writer at a time.
A transaction that rolls back gives its number back with it: no gaps, no
duplicates, and the unique ``number`` column is the backstop.
"""

from sqlalchemy.dialects import postgresql, sqlite

from app.models import DocumentCounter

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_number(session, series, year):
    """The next number of ``series`` in ``year``, ``INV-2026-000001``, taken in the caller's transaction."""
    insert = _INSERTS[session.get_bind().dialect.name]
    statement = insert(DocumentCounter).values(series=series, year=year, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[DocumentCounter.series, DocumentCounter.year],
        set_={"last_number": DocumentCounter.last_number + 1},
    ).returning(DocumentCounter.last_number)
    number = session.execute(statement).scalar_one()
    return f"{series}-{year}-{number:06d}"
