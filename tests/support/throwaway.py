"""Settings for a test's or a bench run's own Kelisim app: a database it chose and fresh keys.

Nothing a test or a bench records has to outlive it (no token is read back after the run, no key
is kept), so each one draws its keys anew instead of reading or writing ./var.
"""

from __future__ import annotations

import secrets

from kelisim.settings import DEFAULT_CATALOGUE, Settings


def throwaway_settings(database_url: str, **changes: object) -> Settings:
    settings = Settings(
        database_url=database_url,
        catalogue_path=DEFAULT_CATALOGUE,
        token_keys=(secrets.token_urlsafe(32),),
        secret_key=secrets.token_urlsafe(32),
        ip_pepper=secrets.token_urlsafe(32),
    )
    return settings.with_changes(**changes) if changes else settings
