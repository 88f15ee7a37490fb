"""Progress of a scan: a bar on a terminal, plain lines in CI logs (CI set, or not a TTY)."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from kelisim.scanner.model import Visit


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.bar = not os.environ.get("CI") and self.stream.isatty()
        self.started = time.monotonic()

    def __call__(self, visit: Visit, done: int, total: int) -> None:
        if self.quiet:
            return
        total = max(total, done)
        rate = done / max(time.monotonic() - self.started, 1e-6) * 60
        status = "ok" if visit.ok else f"FAILED ({visit.error})"
        if self.bar:
            width = 30
            filled = int(width * done / total) if total else width
            line = (
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                f"{rate:4.0f}/min  {visit.state[:24]:<24} {visit.page[-40:]:<40}"
            )
            self.stream.write(line)
            if done >= total:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"scan {done}/{total}: {visit.page} [{visit.state}] {status} "
                f"{visit.duration_ms} ms, {len(visit.observations)} observations\n"
            )
        self.stream.flush()

    def finish(self) -> None:
        if self.bar and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()
