"""`kelisim serve --production`: what it refuses, and what a real gunicorn server then guarantees:
explicit secrets, a durable database, schema set up before the workers fork,
security headers, and rate limits that hold across workers."""

from __future__ import annotations

import http.client
import re
import secrets
import sqlite3
import threading
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from kelisim.cli import main as cli
from kelisim.cli.production import ProductionError, check_durability, check_secrets, default_workers
from kelisim.settings import Settings
from kelisim.store import ConsentStore
from kelisim.store.note import Signer
from tests.support.crash import Server, consent_body, post, production_env

GOOD = {
    **{
        name: secrets.token_urlsafe(40)
        for name in ("KELISIM_SECRET_KEY", "KELISIM_TOKEN_KEYS", "KELISIM_IP_PEPPER")
    },
    "KELISIM_LOG_SIGNING_KEY": str(Signer.generate("test.kelisim.kz/consent-log")),
}


def _run_production(monkeypatch, tmp_path: Path, capsys, **env: str) -> tuple[int, str]:
    for name in [*GOOD, "KELISIM_DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = cli.main(["serve", "--production", "--port", "1"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_production_refuses_to_start_without_each_explicit_secret(
    monkeypatch, tmp_path, capsys, missing
):
    env = {name: value for name, value in GOOD.items() if name != missing}
    code, err = _run_production(monkeypatch, tmp_path, capsys, **env)
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"{missing} is not set" in err
    assert err.startswith("kelisim: refusing to start in production:")


def test_production_refuses_a_log_key_that_is_not_a_signing_key(monkeypatch, tmp_path, capsys):
    code, err = _run_production(
        monkeypatch, tmp_path, capsys, **{**GOOD, "KELISIM_LOG_SIGNING_KEY": "PRIVATE+KEY+x"}
    )
    assert code == 2 and "KELISIM_LOG_SIGNING_KEY is not a signing key" in err


def test_production_refuses_short_or_shared_secrets(monkeypatch, tmp_path, capsys):
    code, err = _run_production(
        monkeypatch, tmp_path, capsys, **{**GOOD, "KELISIM_TOKEN_KEYS": "short"}
    )
    assert code == 2 and "KELISIM_TOKEN_KEYS is too short" in err
    same = GOOD["KELISIM_SECRET_KEY"]
    with pytest.raises(ProductionError, match="must differ"):
        check_secrets(
            Settings.from_env(
                {**GOOD, "KELISIM_IP_PEPPER": same, "KELISIM_VAR_DIR": str(tmp_path / "v")}
            )
        )


def test_the_development_defaults_are_not_explicit(tmp_path):
    settings = Settings.from_env({"KELISIM_VAR_DIR": str(tmp_path)})
    assert settings.explicit_secrets == frozenset()
    with pytest.raises(ProductionError):
        check_secrets(settings)


def test_a_migrated_sqlite_database_is_durable(sqlite_url):
    store = ConsentStore(sqlite_url)
    try:
        store.upgrade()
        check_durability(store)  # WAL + synchronous=FULL: no exception
    finally:
        store.close()


def test_sqlite_outside_wal_mode_is_refused(tmp_path):
    path = tmp_path / "rollback.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    store = ConsentStore(f"sqlite:///{path}")
    try:
        with pytest.raises(ProductionError, match="journal_mode is delete, not wal"):
            check_durability(store)
    finally:
        store.close()


def test_sqlite_connections_without_synchronous_full_are_refused(sqlite_url):
    store = ConsentStore(sqlite_url)
    try:
        store.upgrade()
        store.engine.dispose()
        # A later listener overrides the store's own FULL, as a careless change to it would.
        event.listen(
            store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous = NORMAL")
        )
        with pytest.raises(ProductionError, match="synchronous is 1, not FULL"):
            check_durability(store)
    finally:
        store.close()


def test_in_memory_sqlite_is_refused():
    store = ConsentStore("sqlite://")
    try:
        with pytest.raises(ProductionError, match="in memory"):
            check_durability(store)
    finally:
        store.close()


@pytest.mark.postgres
def test_postgresql_with_asynchronous_commit_is_refused(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    store = ConsentStore(database_url)
    try:
        check_durability(store)  # the default: synchronous_commit=on, fsync=on
        name = make_url(database_url).database
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        admin.dispose()
        store.engine.dispose()
        with pytest.raises(ProductionError, match="synchronous_commit is off"):
            check_durability(store)
    finally:
        store.close()


def test_workers_are_sized_for_the_database():
    assert default_workers("sqlite:///x", cores=2) == 2  # one writer: more only queue
    assert default_workers("postgresql+psycopg://h/d", cores=2) == 2
    assert default_workers("postgresql+psycopg://h/d", cores=64) == 8


# --- the real server -------------------------------------------------------------------------


@pytest.fixture
def production_server(tmp_path: Path):
    servers: list[Server] = []

    def start(*args: str, **env: str) -> Server:
        base = production_env(f"sqlite:///{tmp_path / 'kelisim.sqlite3'}", tmp_path / "var")
        server = Server({**base, **env}, tmp_path / f"server{len(servers)}.log", args=args)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.mark.slow
def test_cold_starts_of_four_workers_under_immediate_load_never_answer_500(tmp_path):
    """§4.6: WAL switched per worker raced on a fresh file; production switches it once first."""
    statuses: dict[int, int] = {}
    for attempt in range(3):
        database = tmp_path / f"cold{attempt}.sqlite3"
        env = production_env(
            f"sqlite:///{database}",
            tmp_path / f"var{attempt}",
            KELISIM_CONSENT_RATE_PER_NETWORK="0",
        )
        server = Server(env, tmp_path / f"cold{attempt}.log", args=("--workers", "4"))
        results: list[int] = []
        stop = threading.Event()

        def hammer(port: int, results: list[int] = results, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                try:
                    status, _, conn = post(
                        port, "/api/v1/consent", consent_body(secrets.token_hex(8))
                    )
                    conn.close()
                    results.append(status)
                except OSError:
                    pass

        server.start()
        threads = [threading.Thread(target=hammer, args=(server.port,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        stop.wait(1.0)
        stop.set()
        for thread in threads:
            thread.join(10)
        server.stop()
        for status in results:
            statuses[status] = statuses.get(status, 0) + 1
        assert "database is locked" not in (tmp_path / f"cold{attempt}.log").read_text()
    print(f"cold starts: {statuses}")
    assert statuses.get(500, 0) == 0 and statuses.get(201, 0) > 0


@pytest.mark.slow
def test_production_responses_carry_the_security_headers(production_server):
    server = production_server()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    nonces = set()
    for path in (
        "/api/v1/config?site=default&lang=ru",
        "/nowhere",
        "/admin/login",
        "/api/v1/openapi.json",
        "/admin/login",
        "/admin/login",
    ):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert headers["x-content-type-options"] == "nosniff"
        assert "referrer-policy" in headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        found = re.findall(r"'nonce-([^']+)'", csp)
        if path.startswith("/admin/"):
            nonces.update(found)
        else:  # JSON and problem documents: a policy that runs nothing, and needs no nonce
            assert csp.startswith("default-src 'none'") and not found
    assert len(nonces) == 3  # the HTML page: a fresh nonce per response
    conn.close()


@pytest.mark.slow
def test_the_consent_rate_limit_holds_across_gunicorn_workers(production_server):
    """20 per minute per network, 2 workers, one connection per request: exactly 20 get through."""
    # Shedding off: on a loaded machine a request queued past the admission budget would be
    # answered 503, and this test counts the limiter's answers, not the shedder's.
    server = production_server(
        "--workers", "2", KELISIM_CONSENT_RATE_PER_NETWORK="20", KELISIM_MAX_IN_FLIGHT="0"
    )
    answers = []
    for _ in range(40):
        status, payload, conn = post(
            server.port, "/api/v1/consent", consent_body(secrets.token_hex(8))
        )
        conn.close()
        answers.append((status, payload))
    accepted = [status for status, _ in answers if status == 201]
    limited = [payload for status, payload in answers if status == 429]
    assert len(accepted) == 20, [status for status, _ in answers]
    assert len(limited) == 20, answers
    assert limited[0]["type"] == "urn:kelisim:problem:rate-limited"


@pytest.mark.slow
def test_a_429_carries_retry_after_and_problem_json(production_server):
    server = production_server(KELISIM_CONSENT_RATE_PER_NETWORK="1", KELISIM_MAX_IN_FLIGHT="0")
    post(server.port, "/api/v1/consent", consent_body(secrets.token_hex(8)))[2].close()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request(
        "POST", "/api/v1/consent", b'{"site": "default"}', {"Content-Type": "application/json"}
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 429
    assert response.getheader("Content-Type") == "application/problem+json"
    assert 1 <= int(response.getheader("Retry-After")) <= 60
    conn.close()


@pytest.mark.slow
def test_login_throttling_holds_across_gunicorn_workers(production_server):
    """Failed logins on separate connections (so on both workers) are counted in one place.

    Behind a TLS proxy as in production (X-Forwarded-Proto), so the Secure cookies apply; the
    cookies are carried by hand because a cookie jar will not send Secure cookies over http.
    """
    server = production_server("--workers", "2", KELISIM_TRUSTED_PROXIES="1")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.77"}
    answers = []
    for _ in range(7):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/admin/login", headers=forwarded)
        page = conn.getresponse()
        html = page.read().decode()
        cookies = "; ".join(
            value.split(";", 1)[0] for name, value in page.getheaders() if name == "Set-Cookie"
        )
        conn.close()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode(
            {"csrf_token": token, "username": "nobody", "password": "wrong password 123"}
        )
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request(
            "POST",
            "/admin/login",
            data,
            {
                **forwarded,
                "Cookie": cookies,
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{server.port}",
                "Referer": f"https://127.0.0.1:{server.port}/admin/login",
                "Host": f"127.0.0.1:{server.port}",
            },
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        answers.append(response.status)
    print(f"login answers: {answers}")
    assert answers[:5] == [answers[0]] * 5 and answers[0] not in (403, 429)
    assert answers[5:] == [429, 429]
