"""Alembic environment: runs migrations on the URL set by storage.migrate."""

from alembic import context
from sqlalchemy import create_engine

from storage.tables import metadata

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "storage.migrate sets sqlalchemy.url"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
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
