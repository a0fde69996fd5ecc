"""Lint every file of the real-world corpus and write ``docs/corpus-report.md``.

Why: a linter is trusted only if what it says on real projects is true. This script counts,
per rule, what the linter reports on ``../shared/corpus`` and joins each distinct kind of
finding with a verdict (true / false) written by a person in ``scripts/corpus_verdicts.toml``.
Verdicts cannot be computed, so any finding that no verdict covers is listed as UNREVIEWED
and the script exits 1: a new rule (or a changed message) forces someone to look at its hits.

Usage::

    .venv/bin/python scripts/corpus_report.py            # write docs/corpus-report.md
    .venv/bin/python scripts/corpus_report.py --check    # exit 1 if stale or unreviewed
    .venv/bin/python scripts/corpus_report.py --schemas bvlc   # every file with BVLC's schema

Schemas: with ``--schemas detect`` (the default) every file is linted as a new user lints it,
without ``--proto``: the Caffe fork a file is written for is recognised from the file
(``prototxt_lint.dialects``). With ``manifest`` each file is linted with the fork schema named
in the manifest's ``schema`` column (``--proto``); with ``bvlc`` every file with BVLC Caffe's
schema (``--dialect bvlc``). The report says which was used. Files are linted together,
grouped by schema, so solvers are linted with the nets they name, as the command line does.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.plugin import Rule
from prototxt_lint.schema import Schema

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_VERDICTS = Path(__file__).resolve().with_name("corpus_verdicts.toml")
DEFAULT_OUTPUT = REPO / "docs" / "corpus-report.md"
VERDICTS = ("true", "false")
BVLC = "BVLC Caffe"
#: codes that mean "the text did not parse with the schema in use"
PARSE_CODES = ("P001", "P002", "P003", "P004")

SchemaLoader = Callable[[str], Schema]


@dataclass(frozen=True)
class Verdict:
    """A person's judgement of one kind of finding: ``code`` plus a message regex."""

    code: str
    label: str  # short name of the kind, shown in the report
    match: str  # regex searched in the message
    verdict: str  # "true" or "false"
    reason: str  # one line: why
    path: str | None = None  # optional regex searched in the file path
    #: "bvlc": only where the file was linted with BVLC's schema; "fork": only with a fork's
    schema: str | None = None

    def covers(self, hit: Hit) -> bool:
        if hit.message.startswith("internal error in rule"):
            return False  # a crash is never a reviewed kind of finding
        if hit.code != self.code or not re.search(self.match, hit.message):
            return False
        if self.schema is not None and self.schema != ("bvlc" if hit.schema == BVLC else "fork"):
            return False
        return self.path is None or re.search(self.path, hit.file) is not None


@dataclass(frozen=True)
class Hit:
    """One finding on one corpus file (paths relative to the corpus)."""

    file: str
    line: int
    column: int
    code: str
    severity: str
    message: str
    phases: tuple[str, ...]
    schema: str = "BVLC Caffe"  # the schema the file was linted with

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class Run:
    """Everything the report needs from one lint of the corpus."""

    schema_mode: str
    rows: list[dict[str, str]]
    hits: list[Hit]
    rules: list[Rule]
    #: schema used for each file: "BVLC Caffe" or the manifest's protos/... path
    schema_of: dict[str, str] = field(default_factory=dict)


def load_verdicts(path: Path) -> list[Verdict]:
    """Read the hand-written verdicts; malformed entries are an error, not skipped."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    out = []
    for n, entry in enumerate(data.get("kind", []), 1):
        missing = {"code", "label", "match", "verdict", "reason"} - set(entry)
        if missing:
            raise ValueError(f"{path}: kind #{n} lacks {', '.join(sorted(missing))}")
        if entry["verdict"] not in VERDICTS:
            raise ValueError(f"{path}: kind #{n}: verdict must be one of {VERDICTS}")
        re.compile(entry["match"])
        if entry.get("path"):
            re.compile(entry["path"])
        if entry.get("schema") not in (None, "bvlc", "fork"):
            raise ValueError(f"{path}: kind #{n}: schema must be 'bvlc' or 'fork'")
        out.append(
            Verdict(
                code=entry["code"],
                label=entry["label"],
                match=entry["match"],
                verdict=entry["verdict"],
                reason=" ".join(entry["reason"].split()),
                path=entry.get("path") or None,
                schema=entry.get("schema"),
            )
        )
    return out


def manifest_rows(corpus: Path) -> list[dict[str, str]]:
    """Every data file of the manifest (the ``proto`` rows are schemas, not lint input)."""
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [r for r in rows if r["kind"] != "proto"]


def fork_schema_loader() -> SchemaLoader | None:
    """The engine's run-time ``caffe.proto`` loader, if this version of the engine has one."""
    try:
        module = importlib.import_module("prototxt_lint.schema.fork")
    except ImportError:
        return None
    loader = getattr(module, "load_schema", None)
    return loader if callable(loader) else None


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Lint from the corpus root, so reported paths are corpus-relative and stable."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def lint_corpus(corpus: Path, schema_mode: str) -> Run:
    """Lint every manifest file once, grouped by the schema it is linted with."""
    rows = manifest_rows(corpus)
    rules = load_rules()
    loader = fork_schema_loader() if schema_mode == "manifest" else None
    if schema_mode == "manifest" and loader is None:
        raise SystemExit("--schemas manifest: this engine cannot load a caffe.proto at run time")
    groups: dict[str, list[str]] = {}
    for row in rows:
        key = row.get("schema", "") if loader is not None else ""
        groups.setdefault(key, []).append(row["local_path"])
    run = Run(schema_mode, rows, [], rules)
    with working_directory(corpus):
        for key in sorted(groups):
            schema = loader(str(corpus / key)) if key and loader is not None else None
            # a rule that crashes becomes an "internal error" finding, which no verdict covers
            dialect = "auto" if schema_mode == "detect" else "bvlc"
            linter = Linter(rules, Options(schema=schema, dialect=dialect))
            for report in linter.lint([Input(p) for p in groups[key]]):
                used = key if schema is not None else BVLC
                found = report.document.detection
                if found is not None:
                    used = f"dialect {found.dialect.name}"
                run.schema_of[report.path] = used
                for f in report.findings:
                    run.hits.append(
                        Hit(
                            report.path,
                            f.line,
                            f.column,
                            f.code,
                            f.severity.label,
                            " ".join(f.message.split()),
                            f.phases,
                            used,
                        )
                    )
    run.hits.sort(key=lambda h: (h.code, h.file, h.line, h.column, h.message))
    return run


def normalise(message: str) -> str:
    """A message with its specifics (names, numbers) blanked: the 'kind' of an unreviewed hit."""
    text = re.sub(r'"[^"]*"', '"…"', message)
    text = re.sub(r"`[^`]*`", "`…`", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\d+", "N", text)
    return text[:160]


def judge(
    hits: Sequence[Hit], verdicts: Sequence[Verdict]
) -> tuple[dict[Verdict, list[Hit]], dict[tuple[str, str], list[Hit]]]:
    """Each hit goes to the first verdict that covers it; the rest are grouped as unreviewed."""
    judged: dict[Verdict, list[Hit]] = {v: [] for v in verdicts}
    unreviewed: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        verdict = next((v for v in verdicts if v.covers(hit)), None)
        if verdict is None:
            unreviewed.setdefault((hit.code, normalise(hit.message)), []).append(hit)
        else:
            judged[verdict].append(hit)
    return judged, unreviewed


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _examples(hits: Sequence[Hit], limit: int = 2) -> str:
    shown = [f"`{h.where}`" for h in hits[:limit]]
    more = len(hits) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more else "")


def render(run: Run, verdicts: Sequence[Verdict]) -> str:
    """The report as Markdown; deterministic (no times, no dates) so ``--check`` can compare."""
    judged, unreviewed = judge(run.hits, verdicts)
    rules = {r.code: r for r in run.rules}
    by_code = Counter(h.code for h in run.hits)
    files_by_code = {c: len({h.file for h in run.hits if h.code == c}) for c in by_code}
    verdict_of = {id(h): v.verdict for v, hs in judged.items() for h in hs}
    kinds = Counter(r["kind"] for r in run.rows)
    kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    severity_text = ", ".join(
        f"{sum(1 for h in run.hits if h.severity == s)} {s}" for s in ("error", "warning", "info")
    )
    forked = sum(1 for r in run.rows if r.get("schema"))
    out: list[str] = []
    add = out.append
    add("# Corpus report")
    add("")
    add(
        "Generated by `scripts/corpus_report.py` from the real-world corpus in `../shared/corpus`"
        " (see its README.md) and the hand-written verdicts in `scripts/corpus_verdicts.toml`."
        " Do not edit by hand: run `.venv/bin/python scripts/corpus_report.py`."
    )
    add("")
    add("## How the corpus was linted")
    add("")
    add(
        f"- {len(run.rows)} files from the manifest ({kind_text}),"
        " every one linted explicitly (including `.pt` and `.proto`-named files), all rules on,"
        " solvers together with the net files they name (as the command line does)."
    )
    if run.schema_mode == "detect":
        detected = len({p for p, used in run.schema_of.items() if used != BVLC})
        add(
            "- Schema: as a new user lints them, without `--proto`: each file read as the Caffe"
            f" fork it is recognised as written for ({detected} files; `X003` says which), the"
            f" others with BVLC Caffe's schema. {forked} files name a fork's schema in the"
            " manifest."
        )
    elif run.schema_mode == "manifest":
        add(
            f"- Schema: each file with the schema in the manifest's `schema` column ({forked} files"
            " name a fork's `caffe.proto` under `protos/`, compiled at run time by"
            " `prototxt_lint.schema.fork`); the others with BVLC Caffe's schema."
        )
    else:
        add(
            f"- Schema: **BVLC Caffe's schema for every file**, also for the {forked} files whose"
            " manifest row names a fork's schema (the engine could not load a `caffe.proto` at"
            " run time, or `--schemas bvlc` was asked for). The fork fields in those files are"
            " therefore reported as unknown (`P002`/`P003`), which is true for BVLC Caffe."
        )
    add(
        f"- {len(run.hits)} findings: {severity_text}"
        f"; {sum(1 for h in run.hits if verdict_of.get(id(h)) == 'false')} judged false,"
        f" {sum(len(v) for v in unreviewed.values())} not reviewed yet."
    )
    add("")

    add("## Errors on files that parse with their schema")
    add("")
    add(
        "Target: no error on a file that real Caffe loads. These are the errors (other than"
        " parse errors) on files without any parse finding under the schema used:"
    )
    add("")
    unparsed = {h.file for h in run.hits if h.code in PARSE_CODES}
    errors = [
        h for h in run.hits if h.severity == "error" and h.code not in PARSE_CODES
        and h.file not in unparsed
    ]
    if errors:
        add("| File | Code | Verdict | Message (start) |")
        add("| --- | --- | --- | --- |")
        for h in errors:
            add(
                f"| `{h.where}` | `{h.code}` | {verdict_of.get(id(h), '**UNREVIEWED**')} |"
                f" {_cell(h.message[:110])}… |"
            )
    else:
        add("None.")
    add("")

    add("## False positives")
    add("")
    false_kinds = [(v, hs) for v, hs in judged.items() if v.verdict == "false" and hs]
    if false_kinds:
        add("Each is to be fixed in the rule, or the rule's docs must say plainly when it"
            " misleads:")
        add("")
        for verdict, hits in sorted(false_kinds, key=lambda item: (item[0].code, item[0].label)):
            add(
                f"- `{verdict.code}` {verdict.label}: {len(hits)} findings in"
                f" {len({h.file for h in hits})} files ({_examples(hits)}). {verdict.reason}"
            )
    else:
        add("None: every reviewed finding is true.")
    add("")

    add("## Findings per rule")
    add("")
    add("One cause should be one finding: *Most in one file* is the largest number of findings"
        " of the rule in a single file.")
    add("")
    add("| Code | Name | Severity | Findings | Files | Most in one file | True | False"
        " | Unreviewed |")
    add("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    per_file = Counter((h.code, h.file) for h in run.hits)
    most: dict[str, int] = {}
    for (code, _), n in per_file.items():
        most[code] = max(most.get(code, 0), n)
    for code in sorted(rules):
        rule = rules[code]
        hits = [h for h in run.hits if h.code == code]
        true = sum(1 for h in hits if verdict_of.get(id(h)) == "true")
        false = sum(1 for h in hits if verdict_of.get(id(h)) == "false")
        add(
            f"| `{code}` | `{rule.name}` | {rule.severity.label} | {by_code.get(code, 0)} |"
            f" {files_by_code.get(code, 0)} | {most.get(code, 0)} | {true} | {false} |"
            f" {len(hits) - true - false} |"
        )
    unknown = sorted(set(by_code) - set(rules))
    for code in unknown:
        add(f"| `{code}` | (not a loaded rule) | | {by_code[code]} | {files_by_code[code]} |"
            f" {most.get(code, 0)} | | | |")
    add("")

    add("## Verdict for each kind of finding")
    add("")
    add("| Code | Kind | Findings | Files | Verdict | Why | Examples |")
    add("| --- | --- | ---: | ---: | --- | --- | --- |")
    for verdict in sorted(judged, key=lambda v: (v.code, v.label)):
        hits = judged[verdict]
        if not hits:
            continue
        mark = "**false**" if verdict.verdict == "false" else "true"
        add(
            f"| `{verdict.code}` | {_cell(verdict.label)} | {len(hits)} |"
            f" {len({h.file for h in hits})} | {mark} | {_cell(verdict.reason)} |"
            f" {_examples(hits)} |"
        )
    add("")

    add("## Not reviewed yet")
    add("")
    if unreviewed:
        add(
            "These findings match no verdict in `scripts/corpus_verdicts.toml`. Inspect the files,"
            " then add a `[[kind]]` entry with the verdict and a one-line reason."
        )
        add("")
        add("| Code | Message (specifics blanked) | Findings | Examples |")
        add("| --- | --- | ---: | --- |")
        for (code, text), hits in sorted(unreviewed.items()):
            add(f"| `{code}` | {_cell(text)} | {len(hits)} | {_examples(hits, 3)} |")
    else:
        add("Nothing: every finding has a verdict.")
    add("")

    idle = [v for v in verdicts if not judged[v]]
    if idle:
        add("## Verdicts with no finding in this run")
        add("")
        add(
            "Kept for the other schema mode or for findings a rule no longer makes; remove them"
            " when they are stale."
        )
        add("")
        for v in idle:
            add(f"- `{v.code}` {v.label}")
        add("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--schemas",
        choices=("detect", "manifest", "bvlc"),
        default="detect",
        help="detect: each file read as the fork it is recognised as written for (no"
        " --proto, as a new user lints); manifest: each file with the fork schema its manifest"
        " row names (--proto); bvlc: BVLC's for all (--dialect bvlc)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the report is stale"
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.tsv").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    mode = args.schemas
    verdicts = load_verdicts(args.verdicts)
    run = lint_corpus(args.corpus.resolve(), mode)
    text = render(run, verdicts) + "\n"
    _, unreviewed = judge(run.hits, verdicts)
    status = 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/corpus_report.py", file=sys.stderr)
            status = 1
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(run.hits)} findings, schemas: {mode})")
    if unreviewed:
        count = sum(len(h) for h in unreviewed.values())
        print(
            f"{count} findings in {len(unreviewed)} kinds have no verdict yet: see"
            f" 'Not reviewed yet' in the report and add them to {args.verdicts}",
            file=sys.stderr,
        )
        for (code, text_), hits in sorted(unreviewed.items()):
            print(f"  {code} x{len(hits)}: {text_[:100]}  e.g. {hits[0].where}", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
