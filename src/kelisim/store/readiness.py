"""Whether the database can take consents now: reachable, and its schema at the code's migrations.

Asked by `/readyz` for every balancer probe, so it is two cheap statements and a cached read of
the migration scripts; it reports which check failed and nothing about the server behind it.
"""

from __future__ import annotations

from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from kelisim.store import MIGRATIONS


@cache
def _migration_heads() -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_checks(engine: Engine) -> dict[str, str]:
    """`database`: ok | unreachable; `migrations`: ok | behind | unknown."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = {
                    row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
                }
            except SQLAlchemyError:
                current = set()
    except SQLAlchemyError:
        return {"database": "unreachable", "migrations": "unknown"}
    return {"database": "ok", "migrations": "ok" if current == _migration_heads() else "behind"}
