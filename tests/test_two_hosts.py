"""Two hosts behind a real nginx, sharing one PostgreSQL: the state that must hold across hosts.

Two `kelisim serve --production` instances on different loopback ports (the two hosts, same
secrets, same database), Debian's nginx in front on a third port (config written to a temp dir,
run as a non-daemon, scripts/install-nginx when it is missing). Through it the test shows:
a staff session works on either host; a publish on one host is served by the other within 2 s;
the consent rate limit holds for the pair as one; consents written through both hosts form one
log that `kelisim db verify` accepts; and 50 parallel wrong passwords for one account, spread over
both hosts, record exactly 50 failures, reach the password check only as often as the limit
allows, and lock the account as configured.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kelisim.services.accounts import ACCOUNT_FAILURE_LIMIT, Accounts
from kelisim.store import ConsentStore
from kelisim.store.admin_tables import audit_log
from tests.conftest import POSTGRES_ENV, _postgres_admin_url
from tests.support.crash import Server, consent_body, post, production_env
from tests.support.two_hosts import Nginx, Staff, nginx_binary, wait_for_http

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
CONSENT_LIMIT = 20


@pytest.fixture
def shared_database():
    admin_url = _postgres_admin_url()
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} not set")
    name = f"kelisim_two_hosts_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def deployment(shared_database, tmp_path):
    binary = nginx_binary()
    if binary is None:
        pytest.skip("no nginx, and scripts/install-nginx could not install it (needs root)")
    base = production_env(
        shared_database,
        tmp_path / "var-a",
        KELISIM_TRUSTED_PROXIES="1",
        KELISIM_CONSENT_RATE_PER_NETWORK=str(CONSENT_LIMIT),
        KELISIM_MFA_REQUIRED_ROLES="",
    )
    hosts = [
        Server({**base, "KELISIM_VAR_DIR": str(tmp_path / f"var-{name}")}, tmp_path / f"{name}.log",
               args=("--workers", "2"))
        for name in ("a", "b")
    ]  # fmt: skip
    nginx = None
    try:
        for host in hosts:
            host.start()
        store = ConsentStore(shared_database)
        accounts = Accounts(
            store.engine, write_engine=store.write_engine, throttle_key=base["KELISIM_SECRET_KEY"]
        )
        accounts.create_user("boss", PASSWORD, "admin", actor="cli")
        accounts.create_user("clerk", PASSWORD, "editor", actor="cli")
        nginx = Nginx(binary, tmp_path / "nginx", (hosts[0].port, hosts[1].port)).start()
        wait_for_http(nginx.port, "/healthz")
        yield {"hosts": hosts, "nginx": nginx, "accounts": accounts, "store": store, "env": base}
        store.close()
    finally:
        if nginx is not None:
            nginx.stop()
        for host in hosts:
            host.stop()


def _served_revision(port: int) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/config?site=default&lang=ru&detail=banner")
    body = json.loads(conn.getresponse().read())
    conn.close()
    return body["revision"]


def test_two_hosts_behind_nginx_share_every_piece_of_state(deployment):
    host_a, host_b = deployment["hosts"]
    nginx = deployment["nginx"]

    # A staff session made through the proxy works on either host.
    staff = Staff(nginx.port)
    assert staff.login("clerk", PASSWORD) == 302
    for port in (host_a.port, host_b.port, nginx.port):
        status, _, page = staff.at(port).request("GET", "/admin/")
        assert status == 200 and "clerk" in page, port

    # A publish on host A is served by host B within 2 s.
    on_a = staff.at(host_a.port)
    status, _, exported = on_a.request("GET", "/admin/revisions/1/vendors.yaml")
    assert status == 200
    document = yaml.safe_load(exported)
    document["texts"]["en"]["title"] = "Cookies on two hosts"
    status, _, _ = on_a.post_file(
        "/admin/revisions/import", "/admin/revisions", "catalogue", "vendors.yaml",
        yaml.safe_dump(document, allow_unicode=True).encode(),
    )  # fmt: skip
    assert status == 302
    _, draft = on_a.csrf("/admin/revisions/draft")
    reviewed = re.search(r'name="reviewed_hash" type="hidden" value="([^"]+)"', draft).group(1)
    assert _served_revision(host_b.port) == 1
    status, _, _ = on_a.post_form(
        "/admin/revisions/publish", {"reviewed_hash": reviewed}, token_from="/admin/revisions/draft"
    )
    published_at = time.monotonic()
    assert status == 302
    while _served_revision(host_b.port) != 2:
        assert time.monotonic() - published_at < 2.0, "host B did not serve the publish in 2 s"
        time.sleep(0.05)
    seen_after = time.monotonic() - published_at
    print(f"publish on A served by B after {seen_after * 1000:.0f} ms")

    # At once, consents for revision 2 are accepted wherever nginx sends them: a worker that has
    # not looked at the head yet does so when a banner newer than its own arrives.
    # The consent rate limit holds for the pair as one; what got through is one verified log.
    answers = []
    for _ in range(2 * CONSENT_LIMIT):
        status, _, conn = post(
            nginx.port, "/api/v1/consent", consent_body(secrets.token_hex(8), revision=2)
        )
        conn.close()
        answers.append(status)
    assert answers.count(201) == CONSENT_LIMIT and answers.count(429) == CONSENT_LIMIT, answers
    for host in (host_a, host_b):
        assert '"POST /api/v1/consent" 201' in host.log.read_text(), "one host got no consent"
    verified = subprocess.run(
        [sys.executable, "-m", "kelisim.cli.main", "db", "verify"],
        env={**deployment["env"], "PYTHONPATH": str(os.getcwd())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert str(CONSENT_LIMIT) in verified.stdout

    # 50 parallel wrong passwords for one account, spread over both hosts.
    accounts = deployment["accounts"]
    barrier = threading.Barrier(50)

    def guess(n: int) -> int:
        client = Staff(nginx.port)
        token, _ = client.csrf("/admin/login")
        import urllib.parse

        body = urllib.parse.urlencode(
            {"csrf_token": token, "username": "boss", "password": f"wrong guess {n:03d}"}
        ).encode()
        barrier.wait(timeout=60)
        return client.request("POST", "/admin/login", body)[0]

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(guess, range(50)))
    assert set(statuses) <= {200, 429} and statuses.count(429) >= 50 - ACCOUNT_FAILURE_LIMIT
    state = accounts.lockout("boss")
    assert state is not None and state.failures == 50
    assert state.locked_until is not None and state.locked_until > time.time()
    with accounts.engine.connect() as conn:
        checked = conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.action == "login.failed")
        ).scalar_one()
    assert checked == ACCOUNT_FAILURE_LIMIT  # only that many reached the password check
    for port in (host_a.port, host_b.port):
        assert Staff(port).login("boss", PASSWORD) == 429  # locked on both hosts
    for host in (host_a, host_b):
        assert "POST /admin/login" in host.log.read_text()
