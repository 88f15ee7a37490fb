"""The README's promises, driven exactly as a newcomer would follow them.

The first command of the README must end with the demo reachable and its printed URL showing the
banner; the banner screenshots the README shows are taken here, so they never go stale.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kelisim.domain.catalogue import load
from kelisim.scanner.browser import launch
from kelisim.settings import DEFAULT_CATALOGUE

PROJECT_ROOT = Path(__file__).resolve().parents[1]

README = PROJECT_ROOT / "README.md"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
STARTUP_SECONDS = 300  # the first command may still install packages on a machine that lacks them


def readme_commands() -> list[str]:
    """The commands of the README's first code block, without their comments."""
    block = re.search(r"```sh\n(.*?)```", README.read_text(), re.S)
    assert block, "README has no ```sh block on its first screen"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_names_the_setup_and_test_commands_first():
    first, second = readme_commands()[:2]
    assert first == "scripts/start"
    assert second == "scripts/test"
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci, ".ci/run must run the README's test command"


def _read_until_ready(process: subprocess.Popen, lines: list[str], ready: threading.Event) -> None:
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if "Press Ctrl-C to stop" in line:
            ready.set()
    ready.set()


@pytest.mark.browser
def test_readme_first_command_shows_the_banner_at_the_printed_url(playwright_instance):
    command = readme_commands()[0]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_read_until_ready, args=(process, lines, ready), daemon=True).start()
    try:
        came_up = ready.wait(STARTUP_SECONDS)
        output = "\n".join(lines)
        assert came_up, f"the first command did not come up:\n{output}"
        assert process.poll() is None, f"the first command exited early:\n{output}"
        site = re.search(r"Demo site \(CreditPlus\):\s+(\S+)", output)
        commands = (line.strip() for line in lines)
        desktop = next((line for line in commands if line.startswith("chromium ")), None)
        assert site and desktop, f"no URL or browser command printed:\n{output}"
        printed = shlex.split(desktop)
        assert printed[-1] == site.group(1)
        flags = [
            arg
            for arg in printed
            if arg.startswith(("--host-resolver-rules=", "--ignore-certificate-errors-spki-list="))
        ]
        browser = launch(playwright_instance, extra_args=flags)
        try:
            page = browser.new_page()
            page.goto(site.group(1))
            dialog = page.get_by_role("dialog")
            dialog.wait_for(state="visible", timeout=15_000)
            title = load(DEFAULT_CATALOGUE).texts["ru"]["title"]
            assert title in dialog.inner_text()
        finally:
            browser.close()
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    """Stops the first command's process group without masking the test's own failure.

    A command that already exited (its port in use, say) leaves no group to signal, and that must
    not raise over the assertion that says why it exited."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_banner_screenshot_for_the_readme(demo, demo_browser, language):
    """Takes the screenshots the README shows, and checks the banner they show is the real one."""
    context = demo_browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{demo.site_url}/{language}/")
        dialog = page.get_by_role("dialog")
        dialog.wait_for(state="visible", timeout=15_000)
        texts = load(DEFAULT_CATALOGUE).texts[language]
        shown = dialog.inner_text()
        for key in ("title", "accept_all", "reject_all", "settings"):
            assert texts[key].strip() in shown, f"{key} missing from the {language} banner"
        box = dialog.bounding_box()
        assert box and box["y"] + box["height"] <= 800, "the banner does not fit the viewport"
        time.sleep(0.3)  # let the entrance transition finish before the picture is taken
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path: Path = SCREENSHOTS / f"banner-{language}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
    finally:
        context.close()
