"""Staff accounts for the admin UI: users and roles, password hashing, login throttling, sessions.

Everything that must hold across several server processes (failed-login counts, live sessions)
is kept in the database, not in memory, so a throttle or a logout is the same on every worker.
The rules follow OWASP ASVS 5.0 level 2 (session, anti-automation and authentication):

* passwords are hashed with argon2id (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4, above
  ASVS's t=2 / 19 MiB floor) and rehashed on login when the parameters change;
* an unknown username costs the same hash verification as a wrong password, and every failure
  reads the same, so the login form does not reveal which accounts exist;
* failed logins are throttled per account and per client network (/24, /48) with exponential
  lock-outs that attempts during a lock cannot lengthen, counted atomically before the password
  is checked (kelisim.services.throttle), and staff can unlock an account;
* a session ends after 30 minutes without activity or 12 hours after login, on logout, and when
  its user is disabled; only a hash of the session id is stored.

This module is domain code: it never imports Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from kelisim.domain.passwords import is_common, is_guessable
from kelisim.services.audit import AuditLog
from kelisim.services.throttle import Attempt, LoginThrottle, ThrottleKey, ThrottleState
from kelisim.store.admin_tables import admin_sessions, admin_users

Clock = Callable[[], datetime]

ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
"""Ordered from least to most privileged; each role can do everything the ones before it can."""

ACCOUNT_FAILURE_LIMIT = 5
# Offices and mobile carriers put many people behind one /24, so the network limit is looser.
NETWORK_FAILURE_LIMIT = 20
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen_at on every request is wasted I/O; a minute of slack on a 30-minute idle
# timeout is harmless.
_TOUCH_INTERVAL = timedelta(seconds=60)

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{2,63}")

HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)


def utc_now() -> datetime:
    return datetime.now(UTC)


class AccountError(ValueError):
    """A change to an account that the rules refuse; `code` lets the UI say it in its language."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    disabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or a more privileged one."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    retry_after: int | None = None
    """Seconds until another attempt is accepted, when the attempt was throttled."""

    @property
    def ok(self) -> bool:
        return self.user is not None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


@dataclass(frozen=True)
class ActiveSession:
    user: User
    created_at: datetime
    last_seen_at: datetime


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            "invalid_username",
            "username: 3-64 characters: latin letters, digits, '.', '_', '@', '-'",
        )
    return name


def check_password(password: str, username: str) -> None:
    """Length, not on the common list, not guessable (kelisim.domain.passwords); no composition
    rules and no forced rotation (ASVS 5.0 6.2.1, 6.2.9)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(
            "weak_password", f"password: at least {PASSWORD_MIN_LENGTH} characters, please"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise AccountError(
            "weak_password", f"password: at most {PASSWORD_MAX_LENGTH} characters, please"
        )
    if password.strip().lower() == normalise_username(username):
        raise AccountError("weak_password", "password: must not be the username")
    if is_common(password):
        raise AccountError(
            "common_password", "password: it is on the list of common passwords; choose another"
        )
    name = normalise_username(username)
    if is_guessable(password, name, *re.split(r"[._@-]", name), "kelisim"):
        raise AccountError(
            "guessable_password",
            "password: too easy to guess (repeats, sequences, keyboard rows, common words); "
            "a few unrelated words make a strong one",
        )


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("invalid_role", f"role: one of {', '.join(ROLES)}")
    return role


def network_prefix(ip: str | None) -> str | None:
    """The client's /24 (IPv4) or /48 (IPv6): throttles a neighbourhood, not a person."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so both failures cost the same."""
    return HASHER.hash(secrets.token_urlsafe(24))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_login_at=row["last_login_at"],
    )


def _public(user: User) -> dict[str, object]:
    """What the audit log keeps of an account: never the hash."""
    return {"username": user.username, "role": user.role, "disabled": user.disabled}


class Accounts:
    def __init__(
        self,
        engine: Engine,
        *,
        throttle_key: str | bytes,
        write_engine: Engine | None = None,
        audit: AuditLog | None = None,
        clock: Clock = utc_now,
        throttle: LoginThrottle | None = None,
    ) -> None:
        """`throttle_key` keys the HMACs under which failed-login counters are stored;
        `write_engine`, when given, runs the transactions that write (SQLite: BEGIN IMMEDIATE)."""
        self.engine = engine
        self.write_engine = write_engine or engine
        self._throttle_key = (
            throttle_key.encode() if isinstance(throttle_key, str) else throttle_key
        )
        self.audit = audit or AuditLog(self.write_engine, clock=clock)
        self.clock = clock
        self.throttle = throttle or LoginThrottle(
            self.write_engine, clock=lambda: self.clock().timestamp()
        )

    # -- users ---------------------------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str, *, actor: str) -> User:
        name = check_username(username)
        check_role(role)
        check_password(password, name)
        now = self.clock()
        password_hash = HASHER.hash(password)
        with self.write_engine.begin() as conn:
            if self._row(conn, name) is not None:
                raise AccountError("username_taken", f"username: {name!r} already exists")
            user_id = conn.execute(
                insert(admin_users).values(
                    username=name,
                    password_hash=password_hash,
                    role=role,
                    role_granted_by=actor,
                    disabled=False,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            user = _user(self._row_by_id(conn, int(user_id)))
            self.audit.append(actor, "user.add", name, None, _public(user), conn=conn, at=now)
        return user

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(admin_users).order_by(admin_users.c.username)).mappings()
            return [_user(row) for row in rows]

    def find(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = self._row(conn, normalise_username(username))
        return _user(row) if row is not None else None

    def set_disabled(self, username: str, disabled: bool, *, actor: str) -> User:
        """Disabling also ends every session of the account, so it takes effect at once."""
        return self._change(
            username,
            actor,
            "user.disable" if disabled else "user.enable",
            {"disabled": disabled},
        )

    def set_role(self, username: str, role: str, *, actor: str) -> User:
        return self._change(
            username, actor, "user.role", {"role": check_role(role), "role_granted_by": actor}
        )

    def independent_of(self, approver: str, requester: str) -> bool:
        """Whether `approver` is an admin whose role does not trace back to `requester`.

        The second-admin rule means nothing if the requester can make the second admin: an
        account created or promoted by the requester — or by anyone the requester made, and so
        on — is not independent of them. Accounts made by the CLI (the operator) or before roles
        were recorded are roots.
        """
        name, requester = normalise_username(approver), normalise_username(requester)
        if name == requester:
            return False
        with self.engine.connect() as conn:
            first = self._row(conn, name)
            if first is None or first["role"] != "admin" or first["disabled"]:
                return False
            seen = {name}
            granted_by = first["role_granted_by"]
            while granted_by:
                if normalise_username(granted_by) == requester:
                    return False
                if granted_by in seen:
                    return True
                seen.add(granted_by)
                row = self._row(conn, normalise_username(granted_by))
                granted_by = row["role_granted_by"] if row is not None else None
        return True

    def set_password(self, username: str, password: str, *, actor: str) -> User:
        """A new password ends the account's sessions: whoever knew the old one is logged out."""
        user = self.find(username)
        if user is None:
            raise AccountError("unknown_user", f"username: no account {username!r}")
        check_password(password, user.username)
        return self._change(
            username, actor, "user.password", {"password_hash": HASHER.hash(password)}
        )

    def _change(self, username: str, actor: str, action: str, values: dict[str, object]) -> User:
        name = normalise_username(username)
        now = self.clock()
        with self.write_engine.begin() as conn:
            row = self._row(conn, name, for_update=True)
            if row is None:
                raise AccountError("unknown_user", f"username: no account {name!r}")
            before = _user(row)
            losing_admin = before.role == "admin" and not before.disabled
            if losing_admin and (
                values.get("disabled") is True or values.get("role", "admin") != "admin"
            ):
                self._require_other_admin(conn, before.id)
            conn.execute(
                update(admin_users)
                .where(admin_users.c.id == before.id)
                .values(**values, updated_at=now)
            )
            after = _user(self._row_by_id(conn, before.id))
            if after.disabled or "password_hash" in values:
                conn.execute(delete(admin_sessions).where(admin_sessions.c.user_id == before.id))
            self.audit.append(
                actor, action, name, _public(before), _public(after), conn=conn, at=now
            )
        return after

    def _require_other_admin(self, conn: Connection, user_id: int) -> None:
        """Nobody could manage accounts any more (short of the CLI) without an active admin."""
        others = conn.execute(
            select(func.count())
            .select_from(admin_users)
            .where(
                admin_users.c.role == "admin",
                admin_users.c.disabled.is_(False),
                admin_users.c.id != user_id,
            )
        ).scalar_one()
        if not others:
            raise AccountError("last_admin", "the last active admin cannot be disabled or demoted")

    @staticmethod
    def _row(conn: Connection, username: str, *, for_update: bool = False):
        query = select(admin_users).where(admin_users.c.username == username)
        if for_update:
            query = query.with_for_update()
        return conn.execute(query).mappings().first()

    @staticmethod
    def _row_by_id(conn: Connection, user_id: int):
        return conn.execute(select(admin_users).where(admin_users.c.id == user_id)).mappings().one()

    # -- login ---------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, ip: str | None) -> LoginResult:
        """Check a login attempt; it is counted first, and throttled ones are not even verified."""
        dummy = _dummy_hash()
        name = normalise_username(username)
        now = self.clock()
        keys = self._throttle_keys(name, ip)
        attempt = self.throttle.attempt(keys)
        if not attempt.granted:
            return LoginResult(user=None, retry_after=attempt.retry_after)

        with self.engine.connect() as conn:
            row = self._row(conn, name) if USERNAME_PATTERN.fullmatch(name) else None
        verified = _verify(row["password_hash"] if row is not None else dummy, password)
        if row is None or not verified or row["disabled"]:
            self.throttle.failed(keys)
            if row is not None:
                # Bounded by the throttle: at most `limit` rows per account per lock.
                self.audit.append("-", "login.failed", name, at=now)
            return LoginResult(user=None)

        values: dict[str, object] = {"last_login_at": now}
        if HASHER.check_needs_rehash(row["password_hash"]):
            values["password_hash"] = HASHER.hash(password)
        self.throttle.clear(self._account_key(name).key_hash)
        with self.write_engine.begin() as conn:
            conn.execute(update(admin_users).where(admin_users.c.id == row["id"]).values(**values))
            self.audit.append(name, "login", name, conn=conn, at=now)
            user = _user(self._row_by_id(conn, row["id"]))
        return LoginResult(user=user)

    def _account_key(self, username: str) -> ThrottleKey:
        return ThrottleKey(self._key("account", username), ACCOUNT_FAILURE_LIMIT)

    def _throttle_keys(self, username: str, ip: str | None) -> list[ThrottleKey]:
        """The client's network first (when known), then the account.

        A locked network's attempts do not use up the account's slots, so one noisy network
        cannot lock an account for everyone else by itself (it is still counted on both).
        """
        keys: list[ThrottleKey] = []
        prefix = network_prefix(ip)
        if prefix is not None:
            keys.append(ThrottleKey(self._key("network", prefix), NETWORK_FAILURE_LIMIT))
        keys.append(self._account_key(username))
        return keys

    def _key(self, kind: str, value: str) -> str:
        message = f"kelisim.admin.throttle\x00{kind}\x00{value}".encode()
        return hmac.new(self._throttle_key, message, hashlib.sha256).hexdigest()

    def code_attempt(self, username: str) -> Attempt:
        """Count a second-factor code attempt on the account's throttle, before it is checked."""
        return self.throttle.attempt([self._account_key(normalise_username(username))])

    def code_failed(self, username: str) -> None:
        self.throttle.failed([self._account_key(normalise_username(username))])

    def lockout(self, username: str) -> ThrottleState | None:
        """The account's throttle counters (failures recorded, lock), for staff and the CLI."""
        return self.throttle.state(self._account_key(normalise_username(username)).key_hash)

    def unlock(self, username: str, *, actor: str) -> bool:
        """Lift an account's lock and forget its back-off level; audited. True if it had one."""
        name = normalise_username(username)
        if self.find(name) is None:
            raise AccountError("unknown_user", f"username: no account {name!r}")
        cleared = self.throttle.clear(self._account_key(name).key_hash)
        self.audit.append(actor, "user.unlock", name)
        return cleared

    # -- sessions ------------------------------------------------------------------------------

    def start_session(self, user: User) -> str:
        """A new random session id, returned once for the cookie; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        # Logins are rare: a good moment to drop throttle rows that no longer hold anything.
        self.throttle.sweep()
        with self.write_engine.begin() as conn:
            conn.execute(
                delete(admin_sessions).where(
                    (admin_sessions.c.created_at < now - ABSOLUTE_TIMEOUT)
                    | (admin_sessions.c.last_seen_at < now - IDLE_TIMEOUT)
                )
            )
            conn.execute(
                insert(admin_sessions).values(
                    id_hash=_session_hash(token), user_id=user.id, created_at=now, last_seen_at=now
                )
            )
        return token

    def resume_session(self, token: str | None) -> ActiveSession | None:
        """The session's user if the session is live; an expired one is deleted on the way."""
        if not token or not isinstance(token, str):
            return None
        id_hash = _session_hash(token)
        now = self.clock()
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(
                        admin_users,
                        admin_sessions.c.created_at.label("session_created_at"),
                        admin_sessions.c.last_seen_at,
                    )
                    .join(admin_sessions, admin_users.c.id == admin_sessions.c.user_id)
                    .where(admin_sessions.c.id_hash == id_hash)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        expired = (
            now - row["last_seen_at"] > IDLE_TIMEOUT
            or now - row["session_created_at"] > ABSOLUTE_TIMEOUT
            or row["disabled"]
        )
        if expired:
            self.end_session(token)
            return None
        last_seen = row["last_seen_at"]
        if now - last_seen >= _TOUCH_INTERVAL:
            last_seen = now
            with self.write_engine.begin() as conn:
                conn.execute(
                    update(admin_sessions)
                    .where(admin_sessions.c.id_hash == id_hash)
                    .values(last_seen_at=now)
                )
        return ActiveSession(
            user=_user(row), created_at=row["session_created_at"], last_seen_at=last_seen
        )

    def end_session(self, token: str | None) -> None:
        if not token or not isinstance(token, str):
            return
        with self.write_engine.begin() as conn:
            conn.execute(
                delete(admin_sessions).where(admin_sessions.c.id_hash == _session_hash(token))
            )
