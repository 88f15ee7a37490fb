"""What the gate costs on the wire: /cmp.js with its copy of the gate (async mode), /cmp.js?gate=0
(for pages with the bootstrap) and /bootstrap.js (the gate with the catalogue's rules), raw, gzip
and brotli, with each figure's ratio to /cmp.js?gate=0, the runtime alone, measured in the same run.

    .venv/bin/python bench/gate.py [--lang ru]

Figures, not a test. Bytes are deterministic, so one run is enough.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path

import brotli

from kelisim.settings import DEFAULT_CATALOGUE, Settings
from kelisim.web.app import create_app


def sizes(body: bytes) -> tuple[int, int, int]:
    return len(body), len(gzip.compress(body, 9)), len(brotli.compress(body, quality=11))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="ru")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            catalogue_path=DEFAULT_CATALOGUE,
            token_keys=("bench-token-key-" + "k" * 32,),
            secret_key="bench-secret-key-" + "s" * 32,
            ip_pepper="bench-ip-pepper-" + "p" * 32,
        )
        client = create_app(settings).test_client()
        base = f"/cmp.js?site=default&lang={args.lang}"
        urls = {
            "cmp.js?gate=0 (baseline)": base + "&gate=0",
            "cmp.js (gate inside)": base,
            "bootstrap.js": "/bootstrap.js?site=default",
        }
        measured = {name: sizes(client.get(url).get_data()) for name, url in urls.items()}
    baseline = measured["cmp.js?gate=0 (baseline)"]
    print(f"{'':28}{'raw':>8}{'gzip':>8}{'brotli':>8}   ratios to the baseline")
    for name, figures in measured.items():
        ratios = " ".join(f"{f / b:.2f}" for f, b in zip(figures, baseline, strict=True))
        print(f"{name:28}{figures[0]:>8}{figures[1]:>8}{figures[2]:>8}   {ratios}")
    both = [a + b for a, b in zip(baseline, measured["bootstrap.js"], strict=True)]
    print(f"{'bootstrap + cmp.js?gate=0':28}{both[0]:>8}{both[1]:>8}{both[2]:>8}   (two requests)")


if __name__ == "__main__":
    main()
