"""junit.xml: one testcase per rule x consent state, so CI shows which rule broke in which state.

A rule judged across states (V06–V09, V14) is one testcase in the state "any". Waived and
baseline findings are listed in the testcase's output but do not fail it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from kelisim.scanner.model import STATE_NONE, STATE_REJECT, STATE_WITHDRAW, Finding
from kelisim.scanner.rules import ANY_STATE, RULE_STATES, RULES
from kelisim.scanner.triage import FAIL_LEVELS


def rule_states(rule: str, states: list[str]) -> list[str]:
    scope = RULE_STATES[rule]
    if scope == "any":
        return [ANY_STATE]
    if scope == "vendor":
        return [s for s in states if s.startswith("vendor:")]
    if scope == "choice":
        return [s for s in states if s != STATE_NONE]
    if scope in (STATE_NONE, STATE_REJECT, STATE_WITHDRAW, "fresh"):
        return [s for s in states if s == scope]
    return []


def build(findings: list[Finding], states: list[str], fail_on: str, duration_s: float) -> bytes:
    levels = FAIL_LEVELS[fail_on]
    cases: list[ET.Element] = []
    failures = 0
    for rule, (_, title) in RULES.items():
        for state in rule_states(rule, states):
            case = ET.Element(
                "testcase", classname=f"kelisim.scan.{state}", name=f"{rule} {title}", time="0"
            )
            hits = [f for f in findings if f.rule == rule and f.state == state]
            failing = [f for f in hits if f.severity in levels and f.new and not f.waived]
            if failing:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(failing)} finding(s): {failing[0].message}",
                    type=rule,
                )
                failure.text = "\n".join(_line(f) for f in failing)
            quiet = [f for f in hits if f not in failing]
            if quiet:
                ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in quiet)
            cases.append(case)
    suite = ET.Element(
        "testsuite",
        name="kelisim-scan",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{duration_s:.2f}",
    )
    suite.extend(cases)
    root = ET.Element(
        "testsuites", name="kelisim-scan", tests=str(len(cases)), failures=str(failures)
    )
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _line(f: Finding) -> str:
    tags = []
    if f.waived:
        tags.append(f"waived: {f.waived}")
    if not f.new:
        tags.append("in baseline")
    suffix = f" [{'; '.join(tags)}]" if tags else ""
    pages = f" on {', '.join(f.pages[:3])}" if f.pages else ""
    return f"{f.id} {f.severity} {f.vendor or '-'}: {f.message}{pages}{suffix}"


def write(data: bytes, path: Path) -> None:
    path.write_bytes(data)
