"""Alembic environment for Kelisim's schema.

ConsentStore.upgrade() hands over an open connection (already inside a transaction that holds the
upgrade lock), so migrations run inside the package without an alembic.ini in the working directory.
Run by hand (`alembic -c src/kelisim/store/alembic.ini upgrade head`), the URL comes from
KELISIM_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context

config = context.config


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=None, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = os.environ.get("KELISIM_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set KELISIM_DATABASE_URL, or use `kelisim db upgrade`")
    # The store's engine, so SQLite gets its per-connection settings. WAL mode is switched on by
    # ConsentStore.upgrade() (`kelisim db upgrade`), which deployments use.
    from kelisim.store import _create_engine

    engine = _create_engine(url)
    try:
        with engine.begin() as conn:
            run_migrations(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_online()
