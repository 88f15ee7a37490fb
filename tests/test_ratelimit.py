"""The consent API's rate limits: per client network and per consent id,
429 problem+json with Retry-After, counters shared through the database by every process of
every host."""

from __future__ import annotations

import multiprocessing
import secrets

import pytest
from sqlalchemy import select

from kelisim.services.ratelimit import Admission, RateLimiter, network_of
from kelisim.store import ConsentStore
from kelisim.store.counters import counter_engine
from kelisim.store.throttle_tables import rate_limits
from kelisim.web.app import create_app


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def migrated(database_url):
    store = ConsentStore(database_url)
    store.upgrade()
    yield store
    store.close()


def _limiter(store: ConsentStore, key: bytes = b"k", clock=None) -> RateLimiter:
    engine = counter_engine(store.engine, store.write_engine)
    kwargs = {"clock": clock} if clock is not None else {}
    return RateLimiter(engine, key, owns_engine=engine is not store.engine, **kwargs)


def test_gcra_allows_a_burst_up_to_the_limit_then_one_per_interval(migrated):
    clock = FakeClock()
    limiter = _limiter(migrated, clock=clock)
    assert all(limiter.check("network", "n", 10).allowed for _ in range(10))
    refused = limiter.check("network", "n", 10)
    assert not refused.allowed and refused.retry_after == 6
    clock.now += 6.0
    assert limiter.check("network", "n", 10).allowed
    assert not limiter.check("network", "n", 10).allowed
    assert limiter.check("network", "other", 10).allowed  # keys are independent
    assert limiter.check("network", "n", 0).allowed  # 0 = no limit
    limiter.close()


def test_the_counter_table_holds_no_network_or_id_in_clear(migrated):
    limiter = _limiter(migrated)
    limiter.check("network", "203.0.113.0/24", 5)
    limiter.close()
    with migrated.engine.connect() as conn:
        rows = conn.execute(select(rate_limits)).all()
    assert rows and "203.0.113" not in repr(rows)


def _spend(url: str, count: int, queue) -> None:  # runs in another process
    store = ConsentStore(url)
    limiter = _limiter(store, b"shared")
    # A day's period: the budget must not refill while four processes start on a busy machine.
    queue.put(sum(limiter.check("network", "n", 50, 86_400).allowed for _ in range(count)))
    limiter.close()
    store.close()


def test_the_limit_holds_across_processes(migrated, database_url):
    """Four processes share one budget of 50, as the workers of two hosts do (not 4 x 50)."""
    migrated.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_spend, args=(database_url, 40, queue)) for _ in range(4)]
    for process in processes:
        process.start()
    allowed = sum(queue.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(30)
    assert allowed == 50


def test_no_counter_file_is_written_beside_the_database(settings, tmp_path, consent_body):
    app = create_app(settings.with_changes(consent_rate_per_network=5))
    try:
        app.test_client().post("/api/v1/consent", json=consent_body())
    finally:
        app.extensions["kelisim.limits"].close()
        app.extensions["kelisim"].close()
    assert not list(tmp_path.rglob("rate-limits*"))


def test_network_prefixes():
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2::7") == "2001:db8:1::/48"
    assert network_of("::ffff:203.0.113.77") == "203.0.113.0/24"
    assert network_of("garbage") is None and network_of(None) is None


def test_admission_sheds_when_every_slot_stays_busy():
    admission = Admission(1, 0.01)
    assert admission.acquire()
    assert not admission.acquire()
    admission.release()
    assert admission.acquire()
    admission.release()


@pytest.fixture
def limited_app(settings):
    app = create_app(
        settings.with_changes(
            consent_rate_per_network=5, consent_rate_per_consent=3, trusted_proxies=1
        )
    )
    yield app
    app.extensions["kelisim"].close()


def _post(client, body, ip="203.0.113.77"):
    return client.post("/api/v1/consent", json=body, headers={"X-Forwarded-For": ip})


def test_consent_posts_are_limited_per_network(limited_app, consent_body):
    client = limited_app.test_client()
    statuses = [_post(client, consent_body()).status_code for _ in range(7)]
    assert statuses == [201] * 5 + [429] * 2
    refused = _post(client, consent_body(), ip="203.0.113.200")  # same /24
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"] == "urn:kelisim:problem:rate-limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _post(client, consent_body(), ip="198.51.100.1").status_code == 201  # other network


def test_changes_to_one_consent_are_limited_per_consent_id(limited_app, consent_body):
    client = limited_app.test_client()
    first = _post(client, consent_body(), ip="198.51.100.1").get_json()
    statuses = [
        _post(
            client,
            consent_body(action="reject_all", consent_id=first["consent_id"]),
            ip=f"192.0.{n}.1",
        ).status_code
        for n in range(5)
    ]
    assert statuses == [201] * 3 + [429] * 2
    # Another consent from the same networks is unaffected.
    assert _post(client, consent_body(), ip="192.0.9.1").status_code == 201


def test_a_rate_limited_request_records_nothing(limited_app, consent_body, consent_event_count):
    client = limited_app.test_client()
    for _ in range(5):
        _post(client, consent_body())
    before = consent_event_count()
    assert _post(client, consent_body(event_id=secrets.token_urlsafe(12))).status_code == 429
    assert consent_event_count() == before
