"""Kelisim's Prometheus metrics, safe for several gunicorn worker processes.

`kelisim serve --production` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before any
worker imports this module, so every process writes its samples to memory-mapped files there and
a scrape of any worker adds them up (prometheus_client's multiprocess mode); without it (tests,
the development server) the process's own registry is used. No label holds anything personal:
actions, reasons and endpoint rules only.

The consent log's checkpoints (the Merkle log) report through `checkpoint_written(at)`; the
scrape turns the newest timestamp into `kelisim_checkpoint_age_seconds`.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

__all__ = [
    "CONSENTS",
    "LATENCY",
    "REJECTED",
    "SCAN_UPLOADS",
    "SHED",
    "checkpoint_written",
    "exposition",
    "shed_by_worker",
]

CONSENTS = Counter(
    "kelisim_consents_recorded_total",
    "Consent events the API acknowledged: new ones and faithful retries.",
    ["outcome"],
)
SHED = Counter(
    "kelisim_shed_total",
    "Consent POSTs answered 503 to shed load, by where: the worker before the app, or the app.",
    ["where"],
)
REJECTED = Counter(
    "kelisim_consents_rejected_total",
    "Consent POSTs refused, by reason.",
    ["reason"],
)
LATENCY = Histogram(
    "kelisim_request_duration_seconds",
    "Time to answer a request in the app, by endpoint rule and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SCAN_UPLOADS = Counter(
    "kelisim_scan_uploads_total",
    "Scanner reports uploaded, by outcome (stored, refused).",
    ["outcome"],
)
CHECKPOINT_AT = Gauge(
    "kelisim_checkpoint_timestamp_seconds",
    "Unix time of the newest signed checkpoint of the consent log (0: none reported yet).",
    multiprocess_mode="max",
)

# Status of a consent POST -> reason label (503 is counted as shed, not rejected).
REASONS = {
    400: "invalid",
    403: "origin_not_allowed",
    409: "conflict_or_stale",
    413: "too_large",
    415: "wrong_content_type",
    422: "invalid",
    429: "rate_limited",
}


def checkpoint_written(at: float | None = None) -> None:
    """The hook for the consent log: call it when a checkpoint is signed and stored."""
    CHECKPOINT_AT.set(time.time() if at is None else at)


def shed_by_worker() -> None:
    SHED.labels(where="worker").inc()


class _CheckpointAge:
    """Adds `kelisim_checkpoint_age_seconds` at scrape time from the newest checkpoint stamp."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):  # type: ignore[no-untyped-def]
        newest = 0.0
        for family in self._registry.collect():
            if family.name == "kelisim_checkpoint_timestamp_seconds":
                newest = max([sample.value for sample in family.samples] or [0.0])
        age = GaugeMetricFamily(
            "kelisim_checkpoint_age_seconds",
            "Seconds since the newest signed checkpoint of the consent log (-1: none yet).",
        )
        age.add_metric([], time.time() - newest if newest > 0 else -1.0)
        yield age


def exposition() -> bytes:
    """The text format for a scrape: all workers' samples in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = CollectorRegistry()
    output.register(_Everything(registry))
    output.register(_CheckpointAge(registry))
    return generate_latest(output)


class _Everything:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):  # type: ignore[no-untyped-def]
        yield from self._registry.collect()
