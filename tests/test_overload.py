"""Overload of the production server.

At twice the measured capacity `kelisim serve --production` must shed consent POSTs with a quick
429/503, let no request hang, and lose nothing it acknowledged. The mechanism: the gunicorn worker
stamps each request when it is queued for a thread (src/kelisim/cli/production.py) and a consent
POST that has already waited `KELISIM_ADMISSION_WAIT_MS` is answered 503 before the app does any
work.

CI machines are shared and noisy, so the end-to-end test asserts what a visitor's browser would
notice and nothing finer: no request hangs past the 5 s client timeout, every answer is 2xx, 429
or 503, some are shed, every acknowledged consent is in the log and every row was acknowledged,
and the median shed answer comes within a fifth of that timeout (1 s), so the banner's retry
starts long before the browser would give up. A server whose queue grows under overload, or that
makes the shed wait out a long budget, fails it (checked: a server started with a 1,500 ms budget
gives a median of about 1,550 ms). It runs alone, after the parallel part of scripts/test, and
prints the shed median beside the served median at capacity measured on the same server.
The real target, shed p99 < 100 ms, is what bench/overload.py measures and reports
(docs/operations.md has the figures and the command). The shedding paths themselves are checked
deterministically below, without timing.
"""

from __future__ import annotations

import statistics
import time

import pytest

from bench.load import production_server, run_python, stored_event_ids
from bench.overload import open_loop
from kelisim.cli.production import QUEUED_AT
from kelisim.services.ratelimit import Admission

CLIENT_TIMEOUT_MS = 5000
SHED_P50_MAX_MS = CLIENT_TIMEOUT_MS / 5


def test_a_consent_post_that_waited_out_the_budget_is_shed_before_any_work(client, consent_body):
    """The API's half: time queued in the server counts against the admission budget."""
    body = consent_body()
    late = client.post(
        "/api/v1/consent", json=body, environ_overrides={QUEUED_AT: time.monotonic() - 1.0}
    )
    assert late.status_code == 503
    assert late.headers["Retry-After"] == "1"
    assert late.get_json()["type"] == "urn:kelisim:problem:unavailable"
    # The same event_id retried in time is *created* (201, not a replay): the 503 stored nothing.
    fresh = client.post(
        "/api/v1/consent", json=body, environ_overrides={QUEUED_AT: time.monotonic()}
    )
    assert fresh.status_code == 201


def test_admission_counts_the_time_already_queued():
    # A budget of 2 s, so that a host stall cannot pass for the whole budget: the rest waited
    # is 0.1 s, and only a wait ten times longer than that counts as the whole budget.
    admission = Admission(1, 2.0)
    assert admission.expired(2.0) and not admission.expired(0.5)
    started = time.monotonic()
    assert not admission.acquire(waited=2.1)  # budget spent in the queue: no slot wait at all
    assert admission.acquire(waited=0.5)
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    assert not admission.acquire(waited=1.9)  # the slot is busy: waits only the rest (0.1 s)
    elapsed = time.monotonic() - started
    assert 0.09 <= elapsed < 1.0, f"waited {elapsed:.3f} s of the 0.1 s left"
    admission.release()
    assert not Admission(0, 0.05).expired(10.0)  # admission off: nothing is shed


def _ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def _check(results: list, stored: set[str], served_p50_ms: float, label: str) -> float:
    """The invariants that hold however loaded the machine is; returns the shed median in ms."""
    statuses: dict[int, int] = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    shed = [latency for _, status, latency in results if status in (429, 503)]
    acked = {event_id for event_id, status, _ in results if 200 <= status < 300}
    summary = (
        f"{label}: {statuses}, shed p50 {_ms(shed, 50):.1f} ms p99 {_ms(shed, 99):.1f} ms, "
        f"served at capacity p50 {served_p50_ms:.1f} ms, "
        f"acked {len(acked)} stored {len(stored)}"
    )
    print(summary)
    assert statuses.get(-2, 0) == 0, f"requests hung past 5 s: {summary}"
    assert set(statuses) <= {200, 201, 429, 503}, summary  # -1: reset or no answer
    assert acked == stored, summary  # every request was answered: stored == acknowledged exactly
    assert acked, summary
    assert shed, f"nothing was shed at twice the capacity: {summary}"
    return _ms(shed, 50)


@pytest.mark.slow
@pytest.mark.alone
def test_twice_the_capacity_is_shed_quickly_and_nothing_acknowledged_is_lost(tmp_path):
    """Up to two overload runs: every run must keep the invariants, one must shed quickly.

    The second run only exists for the latency bound: on a shared CI machine another job can
    starve the server of CPU for a few seconds, which delays every answer alike.
    """
    medians = []
    with production_server(tmp_path) as (server, database_url):
        run_python(server.port, 1.0, 4, "warmup")
        # Capacity, quickly: the closed-loop client of bench/load.py, 16 connections, 2 s.
        probe = run_python(server.port, 2.0, 16, "probe")
        capacity = max(20.0, probe.ok / probe.seconds)
        for attempt in range(2):
            prefix = f"overload{attempt}"
            results = open_loop(server.port, 2 * capacity, 3.0, prefix)
            stored = stored_event_ids(database_url, prefix)
            label = f"capacity {capacity:.0f}/s, 2x run {attempt}"
            medians.append(_check(results, stored, probe.p50_ms, label))
            if medians[-1] <= SHED_P50_MAX_MS:
                break
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    assert min(medians) <= SHED_P50_MAX_MS, f"shed median per run (ms): {medians}"
