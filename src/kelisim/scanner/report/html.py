"""report.html: one self-contained file (inline CSS, screenshots as base64 PNG) that CI keeps as
an artifact and a marketer can open offline."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Any

from kelisim.scanner.model import Visit
from kelisim.scanner.report.declaration import to_html as declaration_html

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.5rem;margin:0 0 .3rem}
h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #dde;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.error{color:#a8071a;font-weight:600}.warning{color:#ad6800}
.ok{color:#237804;font-weight:600}.muted{color:#6b7280}code,pre{font-size:12px}
pre{white-space:pre-wrap;margin:0;max-width:48rem}.pill{padding:.05rem .4rem;border-radius:.6rem;
background:#eef}.shot{max-width:46%;border:1px solid #ccd;margin:.3rem}details{margin:.4rem 0}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _revision_rows(mismatch: Any) -> list[str]:
    """A scan judged against another catalogue revision than the site serves says so first."""
    if not isinstance(mismatch, dict):
        return []
    live = ", ".join(str(number) for number in mismatch.get("live") or [])
    return [
        _row(
            "Catalogue revision",
            f"judged against {mismatch.get('scanned_with')}, the site serves {live}",
        )
    ]


def render(report: dict[str, Any], visits: list[Visit]) -> str:
    s = report["summary"]
    env = report["environment"]
    verdict = {0: ("ok", "clean"), 1: ("error", "findings"), 3: ("error", "site unreachable")}.get(
        s["exit_code"], ("error", f"exit {s['exit_code']}")
    )
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>Kelisim scan — {_e(', '.join(report['target']['urls']))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Kelisim scan: <span class={verdict[0]}>{verdict[1]}</span></h1>",
        f"<p class=muted>{_e(', '.join(report['target']['urls']))} · {_e(report['started_at'])} · "
        f"{s['visits']} page-state visits in {report['duration_s']} s · schema "
        f"{_e(report['schema'])}</p>",
        "<table>",
        _row("Pages", len(report["target"]["pages"])),
        _row("States", ", ".join(report["target"]["states"])),
        _row("Cookie policy scanned", env.get("cookie_policy")),
        _row("Browser", env.get("browser")),
        *_revision_rows(env.get("catalogue_revision")),
        *_consent_rows(report.get("consent") or {}, env.get("autoconsent") or {}),
        _row("Failing findings", json.dumps(s["failing"]) + f" (fail on {s['fail_on']})"),
        _row("New / waived", f"{s['new']} / {s['waived']}"),
        _row("Requests (aborted, still counted)", f"{s['requests']} ({s['requests_aborted']})"),
        _row("Unreachable", ", ".join(report["target"]["unreachable"]) or "none"),
        _row("Template clustering", _clustering_summary(report.get("clustering") or {})),
        "</table>",
        "<h2>Findings</h2>",
        _findings(report["findings"]),
        *_clusters(report.get("clustering") or {}),
        "<h2>Banner</h2>",
        _banners(visits),
        "<h2>Vendors seen</h2>",
        _vendors(report["observations"]),
        "<h2>Cookie declaration (generated)</h2>",
        declaration_html(report["declaration"]),
        "<h2>Visits</h2>",
        _visits(report["visits"], (report.get("clustering") or {}).get("clusters") or []),
        "</body></html>",
    ]
    return "\n".join(parts)


def _row(label: str, value: Any) -> str:
    return f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"


def _consent_rows(consent: dict[str, Any], autoconsent: dict[str, Any]) -> list[str]:
    methods = {
        "kelisim": "Kelisim API (window.kelisim)",
        "autoconsent": "DuckDuckGo autoconsent",
        "selectors": "scan.yaml selectors",
    }
    driven = "; ".join(
        f"{methods.get(m, m)}: {', '.join(states)}"
        for m, states in consent.get("methods", {}).items()
    )
    not_driven = "; ".join(
        f"{row['state']} on {row['page']}: {row.get('reason')}"
        for row in consent.get("not_driven", [])
    )
    tests = consent.get("self_test") or {}
    if autoconsent.get("version"):
        tool = f"{autoconsent.get('package')} {autoconsent['version']}"
        tool += f" ({autoconsent.get('rules')} rules)"
    elif autoconsent.get("off"):
        tool = f"off: {autoconsent['off']}"
    else:
        tool = "—"
    return [
        _row("Consent manager detected", ", ".join(consent.get("cmps", [])) or "none"),
        _row("Consent set by", driven or "—"),
        _row("States not set", not_driven or "none"),
        _row(
            "autoconsent self-test",
            f"{tests.get('passed', 0)} passed, {tests.get('failed', 0)} failed, "
            f"{tests.get('not_run', 0)} not run",
        ),
        _row("autoconsent", tool),
    ]


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<p class=ok>No findings.</p>"
    rows = [
        "<table><tr><th>Rule</th><th>Severity</th><th>State</th><th>Vendor</th><th>Finding</th>"
        "<th>Pages</th><th>Evidence</th><th>Id</th></tr>"
    ]
    for f in findings:
        tags = []
        if f.get("waived"):
            tags.append(f"waived: {f['waived']}")
        if not f.get("new", True):
            tags.append("in baseline")
        if f.get("clustered_pages"):
            tags.append(
                f"stands for {len(f['clustered_pages'])} more page(s) of the same template, "
                "not visited in this state"
            )
        tag = f"<br><span class=pill>{_e('; '.join(tags))}</span>" if tags else ""
        evidence = json.dumps(f.get("evidence", {}), ensure_ascii=False, indent=1)
        pages = "<br>".join(_e(p) for p in f.get("pages", [])[:5])
        rows.append(
            f"<tr><td>{_e(f['rule'])}</td><td class={_e(f['severity'])}>{_e(f['severity'])}</td>"
            f"<td>{_e(f['state'])}</td><td>{_e(f.get('vendor') or '—')}</td>"
            f"<td>{_e(f['message'])}{tag}</td><td>{pages}</td><td><details><summary>show</summary><pre>{_e(evidence)}</pre></details></td>"
            f"<td><code>{_e(f['id'])}</code></td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _banners(visits: list[Visit]) -> str:
    out = []
    for visit in visits:
        b = visit.banner
        if b is None:
            continue
        out.append(f"<h3>{_e(b.page)}</h3>")
        buttons = ", ".join(
            f"{role}: {_e(v.get('text'))} ({v['width']:.0f}×{v['height']:.0f}px, "
            f"{v['font_size']:.0f}px/{v['font_weight']})"
            for role, v in b.buttons.items()
        )
        out.append(f"<p>{buttons or 'no banner buttons found'}</p>")
        for shot in (b.screenshot_png_b64, b.settings_screenshot_png_b64):
            if shot:
                out.append(
                    f"<img class=shot alt='banner screenshot' src='data:image/png;base64,{shot}'>"
                )
    return "\n".join(out) or "<p class=muted>The banner was not measured.</p>"


def _vendors(observations: list[dict[str, Any]]) -> str:
    counts: Counter[tuple[str, str, str]] = Counter(
        (o.get("vendor") or "(unattributed)", o["state"], o["kind"]) for o in observations
    )
    by_vendor: dict[str, Counter[str]] = {}
    for (vendor, state, kind), n in counts.items():
        by_vendor.setdefault(vendor, Counter())[f"{state}/{kind}"] += n
    rows = ["<table><tr><th>Vendor</th><th>Observations by state/kind</th></tr>"]
    for vendor in sorted(by_vendor):
        detail = ", ".join(f"{k}: {n}" for k, n in sorted(by_vendor[vendor].items()))
        rows.append(f"<tr><td>{_e(vendor)}</td><td>{_e(detail)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _clustering_summary(block: dict[str, Any]) -> str:
    if not block.get("on"):
        return "off: every page visited in every state"
    clusters = block.get("clusters") or []
    pages = sum(len(c["pages"]) for c in clusters)
    return (
        f"on: {len(clusters)} cluster(s); {pages} page(s) visited only in "
        f"{', '.join(block.get('base_states') or [])}, "
        f"{block.get('visits_skipped', 0)} page-state visits skipped (not counted as visits)"
    )


def _clusters(block: dict[str, Any]) -> list[str]:
    if not block.get("on"):
        return []
    clusters = block.get("clusters") or []
    if not clusters:
        return ["<h2>Template clusters</h2>",
                "<p class=muted>No two pages had the same tag fingerprint: every page was "
                "visited in every state.</p>"]  # fmt: skip
    rows = [
        "<h2>Template clusters</h2>",
        "<p class=muted>Pages with the same tag fingerprint (what their visits in "
        f"{_e(', '.join(block.get('base_states') or []))} loaded, sent and stored) were visited "
        "in the other states only on the representative; its findings there stand for them.</p>",
        "<table><tr><th>Representative (every state)</th><th>Clustered pages</th>"
        "<th>States skipped on them</th><th>Fingerprint</th></tr>",
    ]
    for c in clusters:
        signature = "\n".join(c.get("signature") or [])
        rows.append(
            f"<tr><td>{_e(c['representative'])}</td>"
            f"<td>{'<br>'.join(_e(p) for p in c['pages'])}</td>"
            f"<td>{_e(', '.join(c['skipped_states']))}</td>"
            f"<td><code>{_e(c['fingerprint'])}</code><details><summary>"
            f"{len(c.get('signature') or [])} items</summary><pre>{_e(signature)}</pre>"
            "</details></td></tr>"
        )
    rows.append("</table>")
    return rows


def _visits(visits: list[dict[str, Any]], clusters: list[dict[str, Any]] | None = None) -> str:
    rows = [
        "<table><tr><th>Page</th><th>State</th><th>Result</th><th>Consent set by</th><th>ms</th>"
        "<th>Settled</th></tr>"
    ]
    for v in visits:
        result = "ok" if v["ok"] else f"failed: {v.get('error')}"
        c = v.get("consent") or {}
        how = " · ".join(
            str(part)
            for part in (
                c.get("method") or ("not set" if c else ""),
                c.get("cmp"),
                {True: "self-test passed", False: "self-test FAILED"}.get(c.get("self_test")),
                c.get("note"),
            )
            if part
        )
        rows.append(
            f"<tr><td>{_e(v['page'])}</td><td>{_e(v['state'])}</td>"
            f"<td class={'ok' if v['ok'] else 'error'}>{_e(result)}</td><td>{_e(how or '—')}</td>"
            f"<td>{v['duration_ms']}</td><td>{'yes' if v['settled'] else 'max reached'}</td></tr>"
        )
    for c in clusters or []:
        for page in c["pages"]:
            for state in c["skipped_states"]:
                rows.append(
                    f"<tr><td>{_e(page)}</td><td>{_e(state)}</td>"
                    f"<td class=muted>skipped: same template as {_e(c['representative'])}</td>"
                    "<td>—</td><td>—</td><td>—</td></tr>"
                )
    rows.append("</table>")
    return "\n".join(rows)


def write(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")
