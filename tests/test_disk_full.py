"""Recovery from a full disk without a restart (SQLite): once space is freed, consents are
recorded again, although the WAL would otherwise take the freed space back.

The database lives on a real 4 MiB tmpfs mounted for the test (root only, as on CI and the
development machines; elsewhere the test is skipped and says why). A 2 MiB file stands for the
logs or backups that filled the disk; deleting it is the operator freeing space.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from kelisim.web.app import create_app
from tests.conftest import make_settings


@pytest.fixture
def small_disk(tmp_path: Path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 4 MiB tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
def test_writes_recover_once_a_full_disk_has_space_again(small_disk, tmp_path):
    settings = make_settings(
        f"sqlite:///{small_disk / 'kelisim.sqlite3'}", tmp_path, consent_rate_per_network=0
    )
    app = create_app(settings)
    client = app.test_client()
    revision = app.extensions["kelisim"].catalogue.revision

    def post() -> int:
        body = {
            "site": "default",
            "revision": revision,
            "language": "ru",
            "action": "accept_all",
            "event_id": secrets.token_urlsafe(12),
            "page": "https://creditplus.kz/" + "p" * 500,
        }
        return client.post("/api/v1/consent", json=body).status_code

    try:
        filler = small_disk / "old-logs"
        filler.write_bytes(b"x" * 2 * 1024 * 1024)
        written = 0
        while post() == 201:
            written += 1
            assert written < 5000, "the disk never filled"
        assert post() == 503  # full: refused, and said so
        filler.unlink()
        after = [post() for _ in range(150)]
        assert after == [201] * 150, f"{after.count(503)} of 150 refused after space was freed"
    finally:
        app.extensions["kelisim.limits"].close()
        app.extensions["kelisim"].close()
