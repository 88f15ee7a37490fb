"""The staff login throttle across hosts: an attempt is counted atomically before the password is
checked, lock-outs back off exponentially, attempts during a lock do not lengthen it, and staff
can unlock an account (web admin and CLI)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import kelisim.services.accounts
from kelisim.cli.users import main_users
from kelisim.services.accounts import ACCOUNT_FAILURE_LIMIT, Accounts
from kelisim.store import ConsentStore
from kelisim.store.admin_tables import audit_log

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def store(database_url):
    store = ConsentStore(database_url)
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def hosts(store, database_url, clock, settings):
    """Two Accounts on separate engines, as two hosts sharing one database would have."""
    other = ConsentStore(database_url)
    made = [
        Accounts(
            s.engine, write_engine=s.write_engine, throttle_key=settings.secret_key, clock=clock
        )
        for s in (store, other)
    ]
    made[0].create_user("boss", PASSWORD, "admin", actor="test")
    yield made
    other.close()


@pytest.fixture
def verifications(monkeypatch):
    checked: list[str] = []
    lock = threading.Lock()
    real = kelisim.services.accounts._verify

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(kelisim.services.accounts, "_verify", counting)
    return checked


def _failed_audits(accounts: Accounts) -> int:
    with accounts.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "login.failed")
        ).scalar_one()


def test_a_parallel_burst_over_two_hosts_is_counted_whole_and_verified_only_up_to_the_limit(
    hosts, verifications
):
    def guess(n: int):
        # Different networks, so only the account's own limit applies.
        return hosts[n % 2].authenticate("boss", f"wrong guess {n:04d}", f"198.51.{n}.7")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(guess, range(50)))

    assert not any(result.ok for result in results)
    assert sum(result.throttled for result in results) == 50 - ACCOUNT_FAILURE_LIMIT
    assert len(verifications) == ACCOUNT_FAILURE_LIMIT
    state = hosts[0].lockout("boss")
    assert state is not None and state.failures == 50 and state.locked_until is not None
    assert _failed_audits(hosts[0]) == ACCOUNT_FAILURE_LIMIT
    # Locked as configured: even the right password is refused unseen.
    assert hosts[1].authenticate("boss", PASSWORD, "192.0.2.1").throttled


def _lock(accounts: Accounts, ip: str = "198.51.100.7") -> None:
    for n in range(ACCOUNT_FAILURE_LIMIT):
        assert not accounts.authenticate("boss", f"wrong guess {n}", ip).throttled


def test_attempts_during_a_lock_do_not_lengthen_it(hosts, clock):
    accounts = hosts[0]
    _lock(accounts)
    first = accounts.authenticate("boss", "still guessing", "198.51.100.7")
    assert first.throttled and first.retry_after == 60
    for _ in range(20):
        clock.advance(2)
        assert accounts.authenticate("boss", "still guessing", "203.0.113.9").throttled
    clock.advance(60 - 40 + 1)
    assert accounts.authenticate("boss", PASSWORD, "198.51.100.7").ok


def test_each_new_lock_lasts_twice_as_long_and_the_back_off_is_capped(hosts, clock):
    accounts = hosts[0]
    seen = []
    for round_ in range(9):
        ip = f"198.51.{round_}.7"  # a fresh network each round: only the account's lock counts
        _lock(accounts, ip)
        refused = accounts.authenticate("boss", "one more", ip)
        seen.append(refused.retry_after)
        clock.advance(refused.retry_after + 1)
    assert seen == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_staff_unlock_lifts_the_lock_and_is_audited(hosts):
    accounts = hosts[0]
    _lock(accounts)
    assert accounts.authenticate("boss", PASSWORD, "198.51.100.7").throttled
    assert accounts.unlock("boss", actor="helpdesk")
    assert accounts.authenticate("boss", PASSWORD, "192.0.2.50").ok
    with accounts.engine.connect() as conn:
        actors = conn.execute(
            select(audit_log.c.actor).where(audit_log.c.action == "user.unlock")
        ).all()
    assert [row.actor for row in actors] == ["helpdesk"]


def test_the_cli_unlocks_an_account(hosts, settings, capsys):
    accounts = hosts[0]
    _lock(accounts)
    assert accounts.authenticate("boss", PASSWORD, "198.51.100.7").throttled
    assert main_users(["unlock", "boss"], settings) == 0
    assert "unlocked boss" in capsys.readouterr().out
    assert accounts.authenticate("boss", PASSWORD, "198.51.100.7").ok
    assert main_users(["unlock", "nobody-here"], settings) == 1


def test_an_admin_unlocks_a_locked_colleague_on_the_users_page(app):
    from tests.support.admin import add_user, csrf_token, login, with_admin

    admin_app = with_admin(app)
    add_user(admin_app, "boss", "admin")
    add_user(admin_app, "clerk", "editor")
    attacker = admin_app.test_client()
    for n in range(ACCOUNT_FAILURE_LIMIT):
        login(attacker, "clerk", f"wrong guess {n}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    clerk = admin_app.test_client()
    assert login(clerk, "clerk", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 429

    boss = admin_app.test_client()
    login(boss, "boss")
    page = boss.get("/admin/users").get_data(as_text=True)
    assert "/admin/users/clerk/unlock" in page and "/admin/users/boss/unlock" not in page
    token = csrf_token(boss, "/admin/users")
    assert boss.post("/admin/users/clerk/unlock", data={"csrf_token": token}).status_code == 302
    assert login(clerk, "clerk", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 302


def test_the_migration_creates_the_throttle_tables_as_the_code_describes_them(store):
    from sqlalchemy import inspect

    from kelisim.store.throttle_tables import metadata

    inspector = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
