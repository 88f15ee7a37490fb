"""How Kelisim starts Chromium: one place for the executable and the flags every run needs.

Playwright cannot download its own browser here, so Debian's Chromium is launched by path. The
background-networking flags keep Chromium from calling Google's services, which a closed network
refuses many times a second; `RenderDocument` is disabled so beacons sent on `pagehide` during a
navigation stay visible to the network observers.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

CHROMIUM_ENV = "KELISIM_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=RenderDocument",
)


def chromium_executable() -> str | None:
    """The Chromium to drive: $KELISIM_CHROMIUM, else Debian's, else None (Playwright's build)."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def resolver_rules(host_map: dict[str, str]) -> str:
    """Chromium's --host-resolver-rules value that maps each real hostname to a loopback address."""
    return ", ".join(f"MAP {host} {target}" for host, target in sorted(host_map.items()))


FEATURE_SWITCHES = ("--disable-features=", "--enable-features=")


def launch_args(extra: Sequence[str] = ()) -> list[str]:
    """Kelisim's flags plus `extra`; repeated feature switches are merged into one.

    Chromium keeps only the last `--disable-features=` it is given, so a caller's list would
    otherwise silently drop `RenderDocument` (and the beacons with it).
    """
    args: list[str] = []
    features: dict[str, list[str]] = {}
    for arg in [*CHROMIUM_ARGS, *extra]:
        prefix = next((p for p in FEATURE_SWITCHES if arg.startswith(p)), None)
        if prefix is None:
            args.append(arg)
            continue
        if prefix not in features:
            features[prefix] = []
            args.append(prefix)
        for name in arg[len(prefix) :].split(","):
            if name and name not in features[prefix]:
                features[prefix].append(name)
    return [a + ",".join(features[a]) if a in features else a for a in args]


def launch(playwright, *, extra_args: Sequence[str] = (), **options):
    """Launch Chromium with Kelisim's flags; `playwright` is a started sync or async Playwright."""
    return playwright.chromium.launch(
        executable_path=chromium_executable(),
        args=launch_args(extra_args),
        **options,
    )


# Cross-site iframes share the page's renderer, so one CDP session per page sees every frame's
# requests and Set-Cookie headers (out-of-process iframes would need a session each, attached
# before their first request). navigator.webdriver stays false, as in a visitor's Chrome: consent
# managers that hide from bots (vanilla-cookieconsent's default `hideFromBots`) would otherwise
# show the scanner no banner, and the site it scans would not be the one visitors get.
SCANNER_ARGS: tuple[str, ...] = (
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
    "--disable-blink-features=AutomationControlled",
)

# Chromium's cookie-controls preference: 0 allows third-party cookies (Chrome's default for normal
# windows), 1 blocks them in incognito only, 2 blocks them everywhere.
COOKIE_CONTROLS = {"allow-third-party": 0, "block-third-party": 2}


def write_scanner_profile(profile_dir: Path, cookie_policy: str) -> None:
    """Prepare a profile whose preferences the scan's contexts inherit.

    Playwright's contexts are incognito-like and refuse third-party cookies; a profile preference is
    the one switch they inherit, so it is written before Chromium starts.
    """
    default = profile_dir / "Default"
    default.mkdir(parents=True, exist_ok=True)
    mode = COOKIE_CONTROLS[cookie_policy]
    prefs = {
        "profile": {
            "cookie_controls_mode": mode,
            "block_third_party_cookies": mode == 2,
            "default_content_setting_values": {"cookies": 1},
        }
    }
    (default / "Preferences").write_text(json.dumps(prefs), encoding="utf-8")


def launch_scanner(
    playwright,
    profile_dir: Path,
    *,
    cookie_policy: str = "allow-third-party",
    extra_args: Sequence[str] = (),
    **options,
):
    """Start Chromium for a scan: a persistent profile carrying the cookie policy, whose
    `.browser.new_context()` then gives each visit a fresh, isolated context under that policy.

    Works with the sync and the async Playwright (the async one returns an awaitable).
    """
    write_scanner_profile(profile_dir, cookie_policy)
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=chromium_executable(),
        args=launch_args([*SCANNER_ARGS, *extra_args]),
        **options,
    )
