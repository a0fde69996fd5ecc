"""Shared test helpers: lint a fixture and get exact findings back."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from prototxt_lint.engine.linter import Input, Linter, Options
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.findings import Finding
from prototxt_lint.schema.fork import protoc_command

FIXTURES = Path(__file__).parent / "fixtures"

#: The result cache of every lint a test runs (in-process or a subprocess, which inherits the
#: environment) is in a folder of this session, never the user's ~/.cache: no test depends on
#: what an earlier session cached, and the suite writes nothing outside its temporary folders.
_SESSION_CACHE = tempfile.mkdtemp(prefix="prototxt-lint-test-cache-")
os.environ["PROTOTXT_LINT_CACHE_DIR"] = _SESSION_CACHE
os.environ.pop("PROTOTXT_LINT_NO_CACHE", None)
os.environ.pop("PROTOTXT_LINT_CACHE_STATS", None)
atexit.register(shutil.rmtree, _SESSION_CACHE, ignore_errors=True)
REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()  # may be a symlink beside the checkout


def caffe_oracle() -> Path | None:
    """``construct_net`` of the BVLC Caffe build (../shared/caffe-oracle/build.sh): at
    $PROTOTXT_LINT_CAFFE_ORACLE, else in the build's default cache; None when not built."""
    prefix = os.environ.get("PROTOTXT_LINT_CAFFE_ORACLE")
    candidates = [Path(prefix)] if prefix else []
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    candidates.append(cache / "caffe-oracle" / "9b891540")
    return next((p / "bin" / "construct_net" for p in candidates
                 if (p / "bin" / "construct_net").is_file()), None)


def caffe_imagedata_oracle() -> Path | None:
    """``construct_net`` of the same Caffe with its ImageData layer compiled in
    (scripts/build_imagedata_oracle.sh): at $PROTOTXT_LINT_CAFFE_IMAGEDATA, else in that
    script's default cache; None when not built."""
    prefix = os.environ.get("PROTOTXT_LINT_CAFFE_IMAGEDATA")
    candidates = [Path(prefix)] if prefix else []
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    candidates.append(cache / "prototxt-lint" / "caffe-imagedata" / "9b891540")
    return next((p / "bin" / "construct_net" for p in candidates
                 if (p / "bin" / "construct_net").is_file()), None)


CORPUS = SHARED / "corpus"

_RULES = load_rules()

#: Tests of the real-world corpus: skipped with a reason where ../shared is absent, but run
#: (and failing) in CI, which always has it.
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir() and not os.environ.get("CI"),
    reason="../shared/corpus is not next to this checkout",
)


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """Skip, naming it, where ``../shared/<parts>`` is absent (a clone on its own); in CI,
    which always has it, never: there the test runs and a missing folder fails it."""
    return pytest.mark.skipif(
        not SHARED.joinpath(*parts).exists() and not os.environ.get("CI"),
        reason=f"../shared/{'/'.join(parts)} is not next to this checkout",
    )


#: Tests that compile a schema (`--proto`): grpcio-tools, or a protoc on PATH where no
#: grpcio-tools fits the installed protobuf (3.20 on Python 3.11; CI's lowest-protobuf run).
PROTOC = protoc_command()
needs_protoc = pytest.mark.skipif(
    PROTOC is None,
    reason="no protobuf compiler: neither grpcio-tools (extra 'proto') nor protoc on PATH",
)


def lint_files(*paths: str | Path, select: tuple[str, ...] = (), **kw: object) -> list[Finding]:
    linter = Linter(_RULES, Options(select=select, **kw))  # type: ignore[arg-type]
    reports = linter.lint([Input(str(p)) for p in paths])
    return [f for r in reports for f in r.findings]


def lint_fixture(name: str, select: tuple[str, ...] = (), **kw: object) -> list[Finding]:
    return lint_files(FIXTURES / name, select=select, **kw)


def lint_text(text: str, name: str = "t.prototxt", select: tuple[str, ...] = (),
              **kw: object) -> list[Finding]:
    linter = Linter(_RULES, Options(select=select, **kw))  # type: ignore[arg-type]
    reports = linter.lint([Input(name, text.encode())])
    return [f for r in reports for f in r.findings]


def brief(findings: list[Finding]) -> list[tuple[str, int, int]]:
    """(code, line, column) of each finding, for compact exact assertions."""
    return [(f.code, f.line, f.column) for f in findings]


@pytest.fixture(autouse=True)
def _not_under_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under GitHub Actions the default output format is `github`; the tests expect text."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
