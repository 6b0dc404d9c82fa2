"""Alembic environment: runs against the connection Steward hands it (see steward.db.migrate)."""

from alembic import context
from sqlalchemy import create_engine

config = context.config
# Only autogenerate needs the models' metadata; the caller hands it over (the composition
# root's load_models), since the db kit imports no domain.
target_metadata = config.attributes.get("target_metadata")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table rebuilds
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
