"""The public face of the Merkle log under /api/v1/log: checkpoints, keys, consistency proofs.

Everything here is public on purpose — a witness or auditor needs no account to hold Kelisim to
what it signed — and none of it carries personal data: checkpoints and proofs are hashes.
"""

from __future__ import annotations

import base64
import re

from flask import Blueprint, Response, request

from kelisim.store import merkle
from kelisim.web.api.consents import _json_response, services
from kelisim.web.errors import http_problem, validation_error

bp = Blueprint("log_api", __name__, url_prefix="/api/v1/log")

_DECIMAL = re.compile(r"^[0-9]{1,18}$")
NOTE_MIMETYPE = "text/plain; charset=utf-8"


def _text(body: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Type"] = NOTE_MIMETYPE
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/checkpoint")
def checkpoint() -> Response:
    """The newest signed checkpoint, as the C2SP signed note a verifier reads: at most
    KELISIM_CHECKPOINT_SECONDS old, or of the current tree when checkpoints are signed on demand."""
    svc = services()
    wanted = svc.store.log.size() if svc.checkpoints.on_demand else 0
    latest = svc.checkpoints.covering(wanted)
    if latest is None:
        raise http_problem(503, "No checkpoint could be signed right now; try again.")
    return _text(latest.note)


@bp.get("/key")
def key() -> Response:
    """The verifier key of the current signing key, then every older one that signed here."""
    svc = services()
    current = svc.checkpoints.verifier_key
    older = [k for k in svc.store.log.verifier_keys() if k != current]
    return _text("".join(f"{k}\n" for k in [current, *reversed(older)]))


def _size(name: str) -> int:
    value = request.args.get(name)
    if value is None:
        raise validation_error([{"field": name, "message": "is required"}])
    if not _DECIMAL.match(value) or int(value) < 1:
        raise validation_error([{"field": name, "message": "must be a whole number from 1"}])
    return int(value)


@bp.get("/consistency")
def consistency() -> Response:
    """RFC 6962 consistency proof that the tree of `to` leaves extends the tree of `from`."""
    unknown = sorted(set(request.args) - {"from", "to"})
    if unknown:
        raise validation_error(
            [{"field": name[:64], "message": "unknown parameter"} for name in unknown]
        )
    old, new = _size("from"), _size("to")
    if old > new:
        raise validation_error([{"field": "from", "message": "must not exceed to"}])
    size = services().store.log.size()
    if new > size:
        raise validation_error([{"field": "to", "message": f"the log has {size} leaves"}])
    try:
        proof = services().store.log.consistency_proof(old, new)
    except merkle.ProofError as error:
        raise validation_error([{"field": "to", "message": str(error)}]) from None
    return _json_response(
        {
            "from": old,
            "to": new,
            "proof": [base64.b64encode(node).decode("ascii") for node in proof],
        },
        private=False,
    )
