"""``junit``: JUnit XML, one test suite per file and one failing test case per finding, for
CI systems that show test reports (GitLab, Jenkins, Azure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from prototxt_lint.reporters import Context
from prototxt_lint.reporters.shared import Reported


def render(reports: Sequence[Reported], context: Context) -> str:
    total = sum(len(r.findings) for r in reports)
    cases = sum(max(1, len(r.findings)) for r in reports)
    root = ET.Element("testsuites", name="prototxt-lint", tests=str(cases),
                      failures=str(total), errors="0")
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=report.path,
                              tests=str(max(1, len(report.findings))),
                              failures=str(len(report.findings)), errors="0")
        if not report.findings:
            ET.SubElement(suite, "testcase", name="prototxt-lint", classname=report.path)
        for f in report.findings:
            case = ET.SubElement(suite, "testcase", name=f"{f.code} {f.name}",
                                 classname=report.path, file=f.file, line=str(f.line))
            failure = ET.SubElement(case, "failure", message=f.message,
                                    type=f.severity.label)
            failure.text = f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
