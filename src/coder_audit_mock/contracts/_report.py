"""A contract run, written for people (`render_report`) and for CI (`write_junit_xml`).

The text report puts the verdict and the settings that reproduce the run first, then every
failure with its check, operation, reason, seed, a curl command and the response received, and
the waivers the run applied. The JUnit XML has one test case per Schemathesis check and
operation and one per semantic check, so a CI system shows which check failed where.
"""

from __future__ import annotations

import os
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from ._runner import ContractFailure, ContractReport

__all__ = ["render_failure", "render_report", "write_junit_xml"]

INDENT = "    "


def render_report(report: ContractReport) -> str:
    """The report as text: verdict, settings, failures, checks run and waivers applied.

    Example:
        >>> from coder_audit_mock.contracts import open_target, run_contract
        >>> with open_target() as target:  # doctest: +SKIP
        ...     print(render_report(run_contract(target)).splitlines()[0])
        coder-audit-mock check: passed
    """
    verdict = "passed" if report.passed else f"FAILED ({_count(len(report.failures), 'failure')})"
    lines: list[str] = [
        f"coder-audit-mock check: {verdict}",
        f"  target    {report.target}",
        f"  schema    {report.schema} [{report.document_kind.value}]",
        f"  seed      {report.seed} (the same seed sends the same requests)",
        f"  profile   Coder {report.profile}",
        f"  depth     {report.depth}, {report.max_examples} examples per operation",
        "  phases    " + ", ".join(f"{phase}: {outcome}" for phase, outcome in report.phases),
        *(
            [f"  links     {', '.join(report.links)} (added for the stateful phase)"]
            if report.links
            else []
        ),
        *([f"  caller    {report.access}"] if report.access else []),
        (
            f"  requests  {report.requests_sent} ({report.semantic_requests} by the semantic checks, "
            f"then {report.requests_sent - report.semantic_requests} by Schemathesis)"
        ),
        f"  stream    sha256 {report.request_digest} (equal digests: the same requests)",
        *([f"  data      {report.data}"] if report.data else []),
        f"  time      {report.elapsed_seconds:.1f} s",
        "",
        *_check_lines(report),
        *_waiver_lines(report),
    ]
    for number, failure in enumerate(report.failures, start=1):
        lines += ["", f"{number}. {render_failure(failure)}"]
    return "\n".join(lines)


def render_failure(failure: ContractFailure) -> str:
    """One failure: check, operation, title, reason, seed, the curl command, the response.

    Example:
        >>> print(render_failure(ContractFailure(
        ...     "not_a_server_error", "GET /api/v2/audit", "Server error", "", 4,
        ...     "curl -X GET http://127.0.0.1:3000/api/v2/audit", "HTTP 500", "ST101", "fuzzing")))
        not_a_server_error [ST101] on GET /api/v2/audit (fuzzing phase): Server error
            seed: 4 (rerun with --seed 4)
            reproduce:
                curl -X GET http://127.0.0.1:3000/api/v2/audit
            response:
                HTTP 500
    """
    code = f" [{failure.code}]" if failure.code else ""
    where = f" on {failure.operation}" if failure.operation else ""
    phase = f" ({failure.phase} phase)" if failure.phase else ""
    lines = [f"{failure.check}{code}{where}{phase}: {failure.title}"]
    if failure.reason.strip():
        lines.append(textwrap.indent(failure.reason.strip(), INDENT))
    lines.append(f"{INDENT}seed: {failure.seed} (rerun with --seed {failure.seed})")
    for label, text in (("reproduce", failure.curl), ("response", failure.response)):
        if text.strip():
            lines += [f"{INDENT}{label}:", textwrap.indent(text.strip(), INDENT * 2)]
    return "\n".join(lines)


def _check_lines(report: ContractReport) -> list[str]:
    lines = ["Schemathesis checks (passed/failed requests):"]
    operations = sorted({tally.operation for tally in report.checks})
    for operation in operations:
        tallies = [tally for tally in report.checks if tally.operation == operation]
        lines.append(f"  {operation}")
        lines += [
            f"    {'FAIL' if tally.failed else 'ok  '} {tally.check:<30} {tally.passed}/{tally.failed}"
            for tally in tallies
        ]
    if report.semantic:
        lines.append("Semantic checks:")
        lines += [
            f"  {result.status:<8} {result.name} ({result.seconds:.1f} s)"
            + (f": {result.reason}" if result.reason else "")
            for result in report.semantic
        ]
    return lines


def _waiver_lines(report: ContractReport) -> list[str]:
    if not report.waivers:
        return ["Waivers applied: none"]
    lines = [f"Waivers applied ({len(report.waivers)}):"]
    for applied in report.waivers:
        lines.append(textwrap.indent(applied.waiver.describe(), "  "))
        if applied.waiver.excuses is not None:
            lines.append(f"    excused:      {_count(applied.excused, 'failing request')}")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def write_junit_xml(report: ContractReport, path: str | os.PathLike[str]) -> None:
    """Write the report as JUnit XML: one test case per check and operation.

    Test cases: `<operation>` / `<check>` for every Schemathesis check that ran (and for run
    errors), `semantic` / `<name>` for each semantic check. The run's seed, depth, profile,
    target, schema and waivers are suite properties.

    Example:
        >>> import tempfile, pathlib
        >>> from coder_audit_mock.contracts import open_target, run_contract
        >>> with open_target() as target:  # doctest: +SKIP
        ...     write_junit_xml(run_contract(target), pathlib.Path(tempfile.mkdtemp()) / "c.xml")
    """
    root = ET.Element("testsuites", name="coder-audit-mock check")
    # Rerunning with this seed sends the stream with this digest (compare two CI logs).
    root.set("seed", str(report.seed))
    root.set("request_digest", report.request_digest)
    _schemathesis_suite(root, report)
    _semantic_suite(root, report)
    failures = sum(int(suite.get("failures", "0")) for suite in root)
    root.set("tests", str(sum(int(suite.get("tests", "0")) for suite in root)))
    root.set("failures", str(failures))
    root.set("time", f"{report.elapsed_seconds:.2f}")
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _schemathesis_suite(root: ET.Element, report: ContractReport) -> None:
    suite = ET.SubElement(root, "testsuite", name="schemathesis")
    properties = ET.SubElement(suite, "properties")
    settings = {
        "target": report.target,
        "schema": report.schema,
        "document_kind": report.document_kind.value,
        "seed": str(report.seed),
        "profile": report.profile,
        "depth": report.depth,
        "max_examples": str(report.max_examples),
        "request_digest": report.request_digest,
        "requests_sent": str(report.requests_sent),
        "caller": report.access,
        "read_only": "true" if report.read_only else "false",
        "data": report.data,
    }
    for name, value in settings.items():
        ET.SubElement(properties, "property", name=name, value=value)
    for applied in report.waivers:
        ET.SubElement(properties, "property", name="waiver", value=applied.waiver.describe())
    cases = {
        (tally.operation, tally.check): (tally.passed + tally.failed, tally.seconds)
        for tally in report.checks
    }
    found = [failure for failure in report.failures if failure.phase != "semantic"]
    for failure in found:
        cases.setdefault((failure.operation, failure.check), (0, 0.0))
    for (operation, check), (count, seconds) in sorted(cases.items()):
        case = ET.SubElement(
            suite, "testcase", classname=operation or "run", name=check, time=f"{seconds:.3f}"
        )
        ET.SubElement(case, "system-out").text = f"{count} requests checked"
        _add_failures(case, [f for f in found if (f.operation, f.check) == (operation, check)])
    _count_cases(suite)


def _semantic_suite(root: ET.Element, report: ContractReport) -> None:
    suite = ET.SubElement(root, "testsuite", name="semantic")
    semantic_failures = [failure for failure in report.failures if failure.phase == "semantic"]
    for result in report.semantic:
        case = ET.SubElement(
            suite, "testcase", classname="semantic", name=result.name, time=f"{result.seconds:.3f}"
        )
        if result.status == "skipped":
            ET.SubElement(case, "skipped", message=result.reason)
        elif result.status == "partial":
            # JUnit has no "partial": a pass whose output says what was left out.
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="partial", value=result.reason)
            ET.SubElement(case, "system-out").text = f"partial: {result.reason}"
        _add_failures(case, [f for f in semantic_failures if f.check == result.name])
    _count_cases(suite)


def _add_failures(case: ET.Element, failures: Iterable[ContractFailure]) -> None:
    failures = list(failures)
    if failures:
        element = ET.SubElement(
            case, "failure", message=failures[0].title, type=failures[0].code or failures[0].check
        )
        element.text = "\n\n".join(render_failure(failure) for failure in failures)


def _count_cases(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
