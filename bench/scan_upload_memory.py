"""Memory of a production worker taking one large scan upload, against a plain json.loads baseline.

Starts `kelisim serve --production --workers 1` on 127.0.0.1 (fresh SQLite, a scan upload token),
sends one ~18 MB report made of millions of tiny values (`{},` repeated — what made a worker grow
from ~86 MB to ~660 MB), and reads the worker's peak RSS (VmHWM in /proc) before and after. The
baseline, measured in the same run: a fresh Python process that only does what the old upload
path did with the same bytes (read them whole, decode, json.loads). Prints both growths and their
ratio. One upload, loopback only, the server stopped at the end.
Usage: .venv/bin/python bench/scan_upload_memory.py
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.crash import Server, production_env

TOKEN = "bench-scan-token-" + "x" * 24
BODY = (
    b'{"schema": "kelisim-scan/1", "findings": [], "observations": ['
    + b"{}," * (6 * 1024 * 1024)
    + b"{}]}"
)


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def _baseline_growth_kib(path: Path) -> int:
    code = (
        "import json, resource, sys\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "report = json.loads(data.decode('utf-8'))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    return int(done.stdout.strip())


def _upload(port: int) -> str:
    """Send the report; the server may answer (413) and close before the whole body is sent."""
    head = (
        f"POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(BODY)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        # The server may answer and close early: then read what it said.
        with contextlib.suppress(OSError):
            sock.sendall(head + BODY)
        try:
            answer = sock.recv(200).decode("latin-1")
        except OSError:
            return "connection reset before an answer was read"
    return answer.split("\r\n", 1)[0] or "no answer"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kelisim-bench-upload-") as work:
        work_dir = Path(work)
        body_file = work_dir / "report.json"
        body_file.write_bytes(BODY)
        baseline = _baseline_growth_kib(body_file)
        env = production_env(
            f"sqlite:///{work_dir / 'kelisim.sqlite3'}",
            work_dir / "var",
            KELISIM_SCAN_UPLOAD_TOKENS=TOKEN,
        )
        server = Server(env, work_dir / "server.log", args=("--workers", "1")).start()
        try:
            worker = _worker_pid(server.process.pid)
            before = _peak_kib(worker)
            started = time.monotonic()
            status = _upload(server.port)
            seconds = time.monotonic() - started
            after = _peak_kib(worker)
        finally:
            server.stop()
    growth = after - before
    print(f"body: {len(BODY) / 1e6:.1f} MB of tiny JSON values; answer: {status}")
    print(f"baseline (read whole + json.loads in a fresh process): +{baseline / 1024:.0f} MiB")
    print(
        f"production worker: peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB "
        f"(+{growth / 1024:.0f} MiB) in {seconds:.2f} s"
    )
    print(f"ratio worker growth / baseline: {growth / max(baseline, 1):.3f}")


if __name__ == "__main__":
    main()
