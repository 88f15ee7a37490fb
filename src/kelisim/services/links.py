"""Native-app installations and logged-in customers, linked to consents by keyed hashes only.

A lender's app records consent through the same API and log as its website (site `app`), but a
customer who uses both has two consents. Withdrawing must be as easy as giving (Law 94-V Art. 8,
GDPR Art. 7(3)), so a withdrawal of one consent of a customer reaches every other consent linked
to that customer: it is appended to each as an event of its own, and the app's next verify says
"withdrawn". Only withdrawals travel: a grant given on one device is not a grant on another.

Neither the app's device id nor the lender's customer id is stored: both are kept as HMAC-SHA256
under the server's IP pepper (like the IP address, kelisim.domain.context), each with a label of its
own, so a device hash can never be matched against a customer hash and nobody without the pepper can
test a guessed id against the database.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select

from kelisim.store import ConsentStore
from kelisim.store.integration_tables import app_devices, customer_links

__all__ = ["Links", "keyed_hash"]

IDENTIFIER_MAX_LENGTH = 256


def keyed_hash(pepper: str, label: str, value: str) -> str:
    """hex HMAC-SHA256(pepper, label NUL value): a different label never gives the same hash."""
    # surrogatepass: JSON may carry a lone surrogate; it is hashed as it came, never stored.
    message = f"{label}\x00{value}".encode("utf-8", "surrogatepass")
    return hmac.new(pepper.encode("utf-8"), message, hashlib.sha256).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


class Links:
    """Device registrations and customer links (kelisim.services.consents spreads a withdrawal
    along them)."""

    def __init__(
        self,
        store: ConsentStore,
        pepper: str,
        id_key: bytes,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not pepper:
            raise ValueError("Links needs a non-empty pepper")
        self.store = store
        self.pepper = pepper
        self.id_key = id_key
        self.clock = clock

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def device_hash(self, device_id: str) -> str:
        return keyed_hash(self.pepper, "kelisim.app-device.v1", device_id)

    def customer_hash(self, customer_id: str) -> str:
        return keyed_hash(self.pepper, "kelisim.customer.v1", customer_id)

    def register_device(self, consent_id: str, device_id: str) -> bool:
        """Remember which installation a consent belongs to; False if it already named another."""
        digest = self.device_hash(device_id)
        with self.store.write_engine.begin() as conn:
            known = conn.execute(
                select(app_devices.c.device_hmac).where(app_devices.c.consent_id == consent_id)
            ).scalar()
            if known is not None:
                return hmac.compare_digest(known, digest)
            conn.execute(
                insert(app_devices).values(
                    consent_id=consent_id, device_hmac=digest, registered_at=self.clock()
                )
            )
        return True

    def link(self, consent_id: str, customer_id: str) -> int:
        """Link a consent to a customer (a later link to another customer replaces the first).

        Returns how many consents the customer has linked now, this one included.
        """
        digest = self.customer_hash(customer_id)
        with self.store.write_engine.begin() as conn:
            conn.execute(delete(customer_links).where(customer_links.c.consent_id == consent_id))
            conn.execute(
                insert(customer_links).values(
                    consent_id=consent_id, customer_hmac=digest, linked_at=self.clock()
                )
            )
            return len(
                conn.execute(
                    select(customer_links.c.consent_id).where(
                        customer_links.c.customer_hmac == digest
                    )
                ).all()
            )

    def linked_consents(self, consent_id: str) -> list[str]:
        """The other consents of the same customer, oldest link first."""
        with self.engine.connect() as conn:
            digest = conn.execute(
                select(customer_links.c.customer_hmac).where(
                    customer_links.c.consent_id == consent_id
                )
            ).scalar()
            if digest is None:
                return []
            rows = conn.execute(
                select(customer_links.c.consent_id)
                .where(customer_links.c.customer_hmac == digest)
                .where(customer_links.c.consent_id != consent_id)
                .order_by(customer_links.c.linked_at, customer_links.c.consent_id)
            ).all()
        return [row.consent_id for row in rows]

    def forget(self, consent_id: str) -> None:
        """A destroyed consent keeps no device or customer link."""
        with self.store.write_engine.begin() as conn:
            conn.execute(delete(app_devices).where(app_devices.c.consent_id == consent_id))
            conn.execute(delete(customer_links).where(customer_links.c.consent_id == consent_id))

    def linked_event_id(self, source_event_id: str, consent_id: str) -> str:
        """The event id of the withdrawal a consent gets from its customer's other one."""
        message = f"linked-withdrawal\x00{source_event_id}\x00{consent_id}".encode()
        digest = hmac.new(self.id_key, message, hashlib.sha256).digest()[:18]
        return "lw-" + urlsafe_b64encode(digest).decode("ascii")
