"""The staff second factor: TOTP (RFC 6238) with one-time recovery codes: staff who can
publish scripts onto the lender's pages need more than a password.

Why these choices:
* TOTP through pyotp (a small, well-kept implementation of RFCs 4226/6238): 6 digits, 30-second
  steps, one step of clock drift either way. Every accepted code moves `last_step` on, and a code
  whose step is not newer is refused, so a code read over someone's shoulder or replayed from a
  log is worthless once used (RFC 6238 §5.2).
* Enrolment is two-phase: the secret is stored unconfirmed, shown as a QR code and as text, and
  only a correct code from the authenticator confirms it; until then it protects nothing.
* Ten recovery codes, each usable once, shown once at enrolment; only SHA-256 hashes are kept
  (a code has 50 random bits, so no slow hash is needed).
* Enrolment, every use and every reset is written to the audit log.
Domain code: no Flask.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import Engine, delete, insert, select, update

from kelisim.services.audit import AuditLog
from kelisim.store.admin_tables import admin_recovery_codes, admin_totp

__all__ = ["ISSUER", "RECOVERY_CODES", "Enrolment", "SecondFactor"]

ISSUER = "Kelisim"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str

    def qr_svg(self) -> str:
        """The provisioning URI as an inline SVG: rendered on the server, no script, CSP-safe."""
        buffer = io.BytesIO()
        segno.make(self.uri, error="m").save(
            buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, nl=False
        )
        return buffer.getvalue().decode("utf-8")


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class SecondFactor:
    def __init__(
        self,
        engine: Engine,
        write_engine: Engine,
        audit: AuditLog,
        clock: Callable[[], datetime],
        unix_time: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.audit = audit
        self.clock = clock
        self.unix_time = unix_time

    def enrolled(self, user_id: int) -> bool:
        with self.engine.connect() as conn:
            confirmed = conn.execute(
                select(admin_totp.c.confirmed_at).where(admin_totp.c.user_id == user_id)
            ).scalar()
        return confirmed is not None

    def begin(self, user_id: int, username: str) -> Enrolment:
        """A new unconfirmed secret for the account (replacing an unconfirmed one)."""
        with self.write_engine.begin() as conn:
            row = conn.execute(select(admin_totp).where(admin_totp.c.user_id == user_id)).first()
            if row is not None and row.confirmed_at is not None:
                raise ValueError("already enrolled; reset first")
            secret = row.secret if row is not None else pyotp.random_base32()
            if row is None:
                conn.execute(
                    insert(admin_totp).values(
                        user_id=user_id, secret=secret, confirmed_at=None, last_step=0
                    )
                )
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
        return Enrolment(secret=secret, uri=uri)

    def confirm(self, user_id: int, username: str, code: str) -> list[str] | None:
        """Confirm enrolment with a first code; returns the recovery codes (shown once)."""
        with self.write_engine.begin() as conn:
            row = conn.execute(
                select(admin_totp).where(admin_totp.c.user_id == user_id).with_for_update()
            ).first()
            if row is None or row.confirmed_at is not None:
                return None
            step = self._matching_step(row.secret, code, row.last_step)
            if step is None:
                return None
            conn.execute(
                update(admin_totp)
                .where(admin_totp.c.user_id == user_id)
                .values(confirmed_at=self.clock(), last_step=step)
            )
            codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
            conn.execute(
                delete(admin_recovery_codes).where(admin_recovery_codes.c.user_id == user_id)
            )
            conn.execute(
                insert(admin_recovery_codes),
                [{"user_id": user_id, "code_hash": _hash(c), "used_at": None} for c in codes],
            )
            self.audit.append(username, "mfa.enrol", username, conn=conn)
        return codes

    def verify(self, user_id: int, username: str, code: str) -> str | None:
        """'totp' or 'recovery' when `code` is a fresh TOTP code or an unused recovery code."""
        code = (code or "").strip()
        with self.write_engine.begin() as conn:
            row = conn.execute(
                select(admin_totp).where(admin_totp.c.user_id == user_id).with_for_update()
            ).first()
            if row is None or row.confirmed_at is None:
                return None
            if code.isdigit() and len(code) == 6:
                step = self._matching_step(row.secret, code, row.last_step)
                if step is None:
                    return None
                conn.execute(
                    update(admin_totp).where(admin_totp.c.user_id == user_id).values(last_step=step)
                )
                self.audit.append(
                    username, "mfa.used", username, after={"factor": "totp"}, conn=conn
                )
                return "totp"
            used = conn.execute(
                update(admin_recovery_codes)
                .where(
                    admin_recovery_codes.c.user_id == user_id,
                    admin_recovery_codes.c.code_hash == _hash(code),
                    admin_recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=self.clock())
            ).rowcount
            if not used:
                return None
            self.audit.append(
                username, "mfa.used", username, after={"factor": "recovery"}, conn=conn
            )
            return "recovery"

    def reset(self, user_id: int, username: str, *, actor: str) -> None:
        """Remove the second factor (a lost phone): the next login enrols again."""
        with self.write_engine.begin() as conn:
            conn.execute(delete(admin_totp).where(admin_totp.c.user_id == user_id))
            conn.execute(
                delete(admin_recovery_codes).where(admin_recovery_codes.c.user_id == user_id)
            )
            self.audit.append(actor, "mfa.reset", username, conn=conn)

    def _matching_step(self, secret: str, code: str, last_step: int) -> int | None:
        """The 30-second step `code` belongs to (now, or one either side), if newer than last."""
        code = code.strip()
        if not (code.isdigit() and len(code) == 6):
            return None
        totp = pyotp.TOTP(secret)
        now = self.unix_time()
        current = int(now // totp.interval)
        for step in (current - 1, current, current + 1):
            if step > last_step and secrets.compare_digest(totp.at(step * totp.interval), code):
                return step
        return None
