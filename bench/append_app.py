"""The second baseline for bench/load.py: a Flask app whose POST only appends to the consent log.

Each POST parses the JSON body and appends, through Kelisim's own ConsentStore, the event that an
Accept all on the packaged catalogue records (the body's event_id, every vendor granted, the
purposes that follows), then answers once its batch is durable: the group commit, the Merkle
leaf and tree hashes, the transaction and its fsync, and nothing else. No validation, no
catalogue revision, no token, no receipt link, no CORS or security headers, no metrics, no log
line. Served by gunicorn exactly as the hello baseline is (bench/hello_app.py), on the database
the consent run used.

So its ratio to hello is the most any consent endpoint on this store, this web stack and this
machine can reach: what the durable, verifiable append costs by itself. The consent API's own
ratio can only be lower; the gap between the two is what the API's view adds.

The database URL comes from KELISIM_BENCH_DATABASE_URL (bench/load.py sets it).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request

from kelisim.domain.catalogue import load
from kelisim.domain.consent import decide, expires_at
from kelisim.settings import DEFAULT_CATALOGUE
from kelisim.store import ConsentStore, NewEvent

DATABASE_ENV = "KELISIM_BENCH_DATABASE_URL"

_catalogue = load(DEFAULT_CATALOGUE)
_accept_all = decide(_catalogue, "accept_all", None)
_purposes = _accept_all.purposes(_catalogue)
_store = ConsentStore(os.environ[DATABASE_ENV])
_store.upgrade()

app = Flask(__name__)


def _event(event_id: str) -> NewEvent:
    now = datetime.now(UTC)
    return NewEvent(
        event_id=event_id,
        consent_id=f"bench-{event_id}"[:128],
        site="default",
        action=_accept_all.action,
        status=str(_accept_all.status),
        grants=dict(_accept_all.grants),
        purposes=dict(_purposes),
        revision=_catalogue.revision,
        catalogue_hash=_catalogue.content_hash,
        language="ru",
        page="/credit",
        region=None,
        device_class="desktop",
        is_bot=False,
        ip_prefix="127.0.0.0/24",
        ip_hmac=None,
        gpc=False,
        recorded_at=now,
        expires_at=expires_at(now, _catalogue),
    )


@app.post("/append")
def append() -> Any:
    body = request.get_json(silent=True) or {}
    stored, created = _store.append(_event(str(body.get("event_id", ""))))
    return jsonify(seq=stored.seq), 201 if created else 200
