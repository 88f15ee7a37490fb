"""The package as a release ships it: a wheel, installed (not editable), serving from an empty dir.

A lender installs Kelisim from a wheel, not from a checkout; if the runtime, the templates, the
migrations or the example catalogue stayed outside the package, `/cmp.js` or the admin would fail
only there. The wheel is built with `python -m build`, installed into a fresh virtual environment
that sees the suite's dependencies but not the checkout, and `kelisim serve` is started in an empty
directory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.contract import VENDOR_IDS

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("kelisim-*.whl")
    return built


def test_the_wheel_holds_the_runtime_templates_migrations_and_catalogue(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "kelisim/web/static/cmp.min.js",
        "kelisim/web/static/cmp/page.js",
        "kelisim/web/static/kelisim.d.ts",
        "kelisim/web/static/bootstrap.min.js",
        "kelisim/web/static/cmp-settings.min.js",
        "kelisim/web/static/cmp.css",
        "kelisim/web/receipt/static/receipt.css",
        "kelisim/web/templates/receipt.html",
        "kelisim/web/templates/admin/login.html",
        "kelisim/store/alembic.ini",
        "kelisim/store/migrations/env.py",
        "kelisim/data/vendors.yaml",
        "kelisim/domain/data/common-passwords.txt",
    ):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "bench/", "src/")) for name in names)


def test_kelisim_serve_from_an_installed_wheel_answers(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The wheel itself, unpacked as pip would install it (no editable finder, no checkout) ...
    zipfile.ZipFile(wheel).extractall(site)
    # ... and the suite's third-party packages, seen as a plain path entry: a directory named in
    # a .pth file gets no .pth processing of its own, so the checkout's editable install stays out.
    (site / "suite-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KELISIM_VAR_DIR": str(empty / "var"),
    }
    where = subprocess.run(
        [str(python), "-c", "import kelisim, json; print(json.dumps(kelisim.__file__))"],
        capture_output=True,
        text=True,
        cwd=empty,
        env=env,
        check=True,
    )
    assert json.loads(where.stdout).startswith(str(site)), where.stdout
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [
            str(python),
            "-c",
            "import sys; from kelisim.cli.main import main; sys.exit(main())",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=empty,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = _get(f"{base}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "kelisim serve did not answer within 90 s"
            time.sleep(0.3)
        status, body = _get(f"{base}/cmp.js")
        assert status == 200 and b"kelisim" in body
        status, body = _get(f"{base}/api/v1/config")
        assert status == 200
        config = json.loads(body)
        assert {vendor["id"] for vendor in config["vendors"]} == set(VENDOR_IDS)
        status, body = _get(f"{base}/admin/login")
        assert status == 200 and b"<form" in body
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
