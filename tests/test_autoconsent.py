"""DuckDuckGo's autoconsent, the real npm package with Kelisim's rule from
integrations/autoconsent/kelisim.json, answers the demo's banner the way a privacy-minded visitor's
browser extension would: it finds the banner in every language, refuses, passes its own self-test,
and no vendor host hears from the page."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.npm_tools import package_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.browser

RULE = PROJECT_ROOT / "integrations" / "autoconsent" / "kelisim.json"


@pytest.fixture(scope="module")
def content_script() -> str:
    """autoconsent's own content script for Playwright (dist/autoconsent.playwright.js)."""
    root = package_dir("autoconsent", "@duckduckgo/autoconsent")
    return (root / "dist" / "autoconsent.playwright.js").read_text(encoding="utf-8")


def test_the_rule_is_in_autoconsents_format() -> None:
    rule = json.loads(RULE.read_text(encoding="utf-8"))
    assert rule["name"] == "kelisim"
    for steps in ("detectCmp", "detectPopup", "optIn", "optOut", "test"):
        assert isinstance(rule[steps], list) and rule[steps], steps
    text = RULE.read_text(encoding="utf-8")
    for action in ("accept-all", "reject-all"):
        assert f"[data-kelisim-action={action}]" in text


class Extension:
    """What autoconsent's browser extension does around the content script: answers its messages
    (init with our rule, eval requests, the self-test after it is done) and keeps what it said."""

    def __init__(self, page: Any, script: str, rule: dict[str, Any]) -> None:
        self.page, self.script, self.rule = page, script, rule
        self.inbox: list[tuple[Any, dict[str, Any]]] = []
        self.received: list[dict[str, Any]] = []
        self.self_test_frame: Any = None
        page.expose_binding(
            "autoconsentSendMessage", lambda source, msg: self.inbox.append((source["frame"], msg))
        )

    def inject(self) -> None:
        self.page.evaluate(self.script)

    def reply(self, frame: Any, message: dict[str, Any]) -> None:
        frame.evaluate("m => autoconsentReceiveMessage(m)", message)

    def pump(self) -> None:
        while self.inbox:
            frame, msg = self.inbox.pop(0)
            self.received.append(msg)
            kind = msg.get("type")
            if kind == "init":
                config = {
                    "enabled": True,
                    "autoAction": "optOut",
                    "disabledCmps": [],
                    "enablePrehide": False,
                    "enableCosmeticRules": False,
                    "enableGeneratedRules": False,
                    "enableHeuristicDetection": False,
                    "detectRetries": 20,
                    "isMainWorld": False,
                    "visualTest": False,
                }
                self.reply(
                    frame,
                    {"type": "initResp", "config": config, "rules": {"autoconsent": [self.rule]}},
                )
            elif kind == "eval":
                result = frame.evaluate(msg["code"])
                self.reply(frame, {"id": msg["id"], "type": "evalResp", "result": result})
            elif kind == "optOutResult" and msg.get("scheduleSelfTest"):
                self.self_test_frame = frame
            elif kind == "autoconsentDone" and self.self_test_frame is not None:
                self.reply(self.self_test_frame, {"type": "selfTest"})

    def wait_for(self, kind: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            for msg in self.received:
                if msg.get("type") == kind:
                    return msg
            self.page.wait_for_timeout(100)
        raise AssertionError(f"autoconsent never sent {kind}: {self.received}")


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_autoconsent_finds_the_banner_refuses_and_passes_its_self_test(
    demo, demo_browser, content_script, language
) -> None:
    rule = json.loads(RULE.read_text(encoding="utf-8"))
    vendor_hosts = set(demo.host_map)
    demo.clear_requests()
    context = demo_browser.new_context(locale={"kk": "kk-KZ", "en": "en-US"}.get(language, "ru-RU"))
    try:
        page = context.new_page()
        started: list[str] = []
        context.on("request", lambda request: started.append(request.url))
        extension = Extension(page, content_script, rule)
        page.goto(f"{demo.site_url}/{language}/", wait_until="commit")
        extension.inject()
        assert extension.wait_for("cmpDetected")["cmp"] == "kelisim"
        assert extension.wait_for("popupFound")["cmp"] == "kelisim"
        result = extension.wait_for("optOutResult")
        assert result["result"] is True, extension.received
        assert extension.wait_for("autoconsentDone")["cmp"] == "kelisim"
        assert extension.wait_for("selfTestResult")["result"] is True, extension.received
        errors = [m for m in extension.received if m.get("type") == "autoconsentError"]
        assert errors == []
        # The refusal is Kelisim's own, recorded and applied.
        state = page.evaluate("kelisim.get()")
        assert state["status"] == "refused" and state["granted"] == []
        assert state["language"] == language  # the banner it answered was in that language
        assert page.locator("#kelisim").count() == 0
        page.wait_for_timeout(1000)
        contacted = {urlsplit(url).hostname for url in started} & vendor_hosts
        assert contacted == set()
        assert demo.requests() == []
    finally:
        context.close()
