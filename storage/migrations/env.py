"""Alembic environment: runs migrations on the URL set by storage.migrate."""

from alembic import context
from sqlalchemy import create_engine, text

from storage.tables import metadata

config = context.config

# Any number of replicas may start together on an empty database: each migrates under this
# transaction-scoped advisory lock, so the others wait, then find the schema current.
# (Without it two ran `CREATE TABLE alembic_version` at once and one crashed.)
MIGRATION_LOCK_ID = 0x63697263  # "circ"


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "storage.migrate sets sqlalchemy.url"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
