"""Signs a checkpoint of the tree every few seconds when it grew, and on demand for a receipt.

One per process (gunicorn worker); they may all sign the same tree at once, which is harmless
(MerkleLog.sign keeps one row per size and key). A failure to sign — the database restarting — is
logged and tried again at the next tick: appends never wait for a checkpoint.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from kelisim.store import audit_tree
from kelisim.store.log import MerkleLog, SignedCheckpoint
from kelisim.store.note import Signer

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self,
        merkle_log: MerkleLog,
        signer: Signer,
        interval: float,
        audit_engine: Engine | None = None,
    ) -> None:
        """`interval` seconds between checks; 0 signs only on demand (and once at start).
        With `audit_engine`, each tick signs the admin audit tree too (kelisim.store.audit_tree)."""
        self._log = merkle_log
        self._audit_engine = audit_engine
        self.signer = signer
        self.verifier_key = str(signer.verifier())
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def on_demand(self) -> bool:
        """No periodic signing: whoever needs a checkpoint of the current tree signs it."""
        return self._interval <= 0

    def start(self) -> None:
        if self.on_demand:
            # The one signing at start happens before the app answers anything: done in a thread it
            # could land after the first appends and pin their receipts to that early tree.
            self._sign_quietly()
            return
        self._thread = threading.Thread(target=self._run, name="kelisim-checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._sign_quietly()
            if self._stop.wait(self._interval):
                return

    def _sign_quietly(self) -> None:
        try:
            self._log.sign(self.signer)
            if self._audit_engine is not None:
                audit_tree.sign(self._audit_engine, self.signer)
        except Exception as error:  # the database may be restarting: try again at the next tick
            log.warning("checkpoint not signed this time: %s", type(error).__name__)

    def covering(self, size: int) -> SignedCheckpoint | None:
        """The newest checkpoint by the current key of a tree of at least `size` leaves, signing
        one now if the newest is older than that (a receipt asked for an event just appended)."""
        latest = self._log.latest_checkpoint(self.verifier_key)
        if latest is not None and latest.tree_size >= size:
            return latest
        self._log.sign(self.signer)
        latest = self._log.latest_checkpoint(self.verifier_key)
        return latest if latest is not None and latest.tree_size >= size else None

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
