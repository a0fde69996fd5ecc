"""The result cache (prototxt_lint/engine/cache.py): a warm run says byte for byte what a cold one
says, and anything a group's findings depend on makes it lint again.

Hits are counted with PROTOTXT_LINT_CACHE_STATS (one line per group looked up, and
``run-hit``/``run-store`` for the whole run's answer of prototxt_lint/cli/run_cache.py), never
timed. The key tests run twice: with the run cache (files named on the command line are
answered before the engine is imported) and with the group cache alone
(PROTOTXT_LINT_RUN_CACHE=0).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, REPO, needs_corpus, needs_protoc

from prototxt_lint.engine.cache import ResultCache, code_fingerprint, group_key
from prototxt_lint.engine.registry import load_rules
from prototxt_lint.plugin import ENTRY_POINT_GROUP

NET = textwrap.dedent(
    """\
    name: "n"
    input: "data"
    input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layer {
      name: "pool"
      type: "Pooling"
      bottom: "data"
      top: "pool"
      pooling_param { pool: MAX kernel_size: 3 stride: 2 }
    }
    """
)
BAD_NET = NET.replace('bottom: "data"', 'bottom: "nosuch"')  # N261
SOLVER = 'net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 100\n'


def cached(events: Counter[str]) -> bool:
    """The run was answered from the cache: as a whole, or every group."""
    return events["run-hit"] == 1 or (events["hit"] > 0 and events["miss"] == 0)


def fresh(events: Counter[str]) -> bool:
    """The run linted (at least one group) rather than replaying."""
    return events["run-hit"] == 0 and events["miss"] > 0


@pytest.fixture(params=["run", "group"])
def layer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Run:
    """One lint process with its own cache folder and statistics file."""

    def __init__(self, tmp_path: Path, cache: Path | None = None, layer: str = "run") -> None:
        self.cache = cache or tmp_path / "cache"
        self.stats = tmp_path / "stats.txt"
        self.extra_env: dict[str, str] = {}
        self.layer_env = {"PROTOTXT_LINT_RUN_CACHE": "0"} if layer == "group" else {}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROTOTXT_LINT_")}
        env.pop("GITHUB_ACTIONS", None)
        return {**env, "PROTOTXT_LINT_CACHE_DIR": str(self.cache),
                "PROTOTXT_LINT_CACHE_STATS": str(self.stats), **self.layer_env,
                **self.extra_env}

    def __call__(self, *args: str, cwd: Path = REPO) -> tuple[int, bytes, Counter[str]]:
        """Exit code, stdout+stderr bytes, and this run's cache events."""
        if self.stats.exists():
            self.stats.unlink()
        proc = subprocess.run(
            [sys.executable, "-m", "prototxt_lint", "--no-color", *args],
            capture_output=True, env=self.env(), cwd=cwd, check=False,
        )
        events = Counter(self.stats.read_text().split()) if self.stats.exists() else Counter()
        return proc.returncode, proc.stdout + b"\0" + proc.stderr, events


def _project(tmp_path: Path, net: str = NET) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "net.prototxt").write_text(net)
    (folder / "solver.prototxt").write_text(SOLVER)
    return folder


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_warm_output_is_byte_identical_on_the_fixtures(tmp_path: Path, fmt: str) -> None:
    run = Run(tmp_path)
    args = ("--format", fmt, "--jobs", "1", str(FIXTURES))
    uncached = run("--no-cache", *args)
    cold_code, cold, cold_events = run(*args)
    warm_code, warm, warm_events = run(*args)
    assert (cold_code, cold) == uncached[:2]
    assert (warm_code, warm) == (cold_code, cold)
    assert cold_events["hit"] == 0 and cold_events["store"] > 50
    # the fixtures that read a model or a data list (tests/fixtures/weights, data_lists) are
    # linted afresh every time: the cache cannot key what they read
    assert cold_events["skip-external"] > 0
    assert warm_events["miss"] == warm_events["skip-external"] == cold_events["skip-external"]
    assert warm_events["hit"] == cold_events["store"]


@needs_corpus
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_warm_output_is_byte_identical_on_the_corpus(tmp_path: Path, fmt: str) -> None:
    """Real projects, solvers with their nets among them (parallel cold, serial warm)."""
    projects = [str(CORPUS / name) for name in ("BVLC__caffe", "NVIDIA-AI-IOT__redtail",
                                                 "KaimingHe__deep-residual-networks")]
    run = Run(tmp_path)
    uncached = run("--no-cache", "--format", fmt, "--jobs", "1", *projects)
    cold = run("--format", fmt, "--jobs", "2", *projects)
    warm = run("--format", fmt, "--jobs", "1", *projects)
    assert cold[:2] == uncached[:2]
    assert warm[:2] == cold[:2]
    assert b"solver" in cold[1]
    assert warm[2]["miss"] == 0 and warm[2]["hit"] == cold[2]["store"] > 30


def test_editing_a_solvers_net_invalidates_the_solvers_group(tmp_path: Path, layer: str) -> None:
    """The net is not named on the command line: the solver links it."""
    folder = _project(tmp_path)
    run = Run(tmp_path, layer=layer)
    solver = str(folder / "solver.prototxt")
    first = run(solver)
    assert first[2]["miss"] == 1 and first[2]["store"] == 1
    second = run(solver)
    assert cached(second[2]) and second[1] == first[1]
    (folder / "net.prototxt").write_text(BAD_NET)
    edited = run(solver)
    assert fresh(edited[2])
    assert edited[1] != first[1]
    assert edited[1] == run("--no-cache", solver)[1]
    assert cached(run(solver)[2])


def test_a_net_that_appears_later_invalidates_the_solver(tmp_path: Path, layer: str) -> None:
    folder = _project(tmp_path)
    (folder / "net.prototxt").unlink()
    run = Run(tmp_path, layer=layer)
    solver = str(folder / "solver.prototxt")
    missing = run(solver)
    assert cached(run(solver)[2])
    (folder / "net.prototxt").write_text(NET)
    found = run(solver)
    assert fresh(found[2]) and found[1] != missing[1]


def test_settings_invalidate(tmp_path: Path, layer: str) -> None:
    folder = _project(tmp_path, BAD_NET)
    run = Run(tmp_path, layer=layer)
    net = str(folder / "net.prototxt")
    assert run(net, cwd=folder)[2]["store"] == 1
    assert cached(run(net, cwd=folder)[2])
    for args in (("--select", "N2"), ("--ignore", "N261"), ("--dialect", "bvlc"),
                 ("--max-file-size", "1")):
        assert fresh(run(*args, net, cwd=folder)[2]), args
        assert cached(run(*args, net, cwd=folder)[2]), args
    plain = run(net, cwd=folder)
    assert cached(plain[2])
    (folder / ".prototxt-lint.toml").write_text('ignore = ["N261", "N3"]\n')
    configured = run(net, cwd=folder)
    assert fresh(configured[2])  # the resolved settings are the key, not the flags
    assert configured[1] != plain[1]
    assert configured[1] == run("--no-cache", net, cwd=folder)[1]
    # per-file-ignores is applied after the group cache: cached findings are filtered each run
    (folder / ".prototxt-lint.toml").write_text('[per-file-ignores]\n"net.prototxt" = ["ALL"]\n')
    ignored = run(net, cwd=folder)
    assert ignored[1] == run("--no-cache", net, cwd=folder)[1] != plain[1]
    # a config in a parent folder that appears later
    (folder / ".prototxt-lint.toml").unlink()
    assert run(net, cwd=folder)[1] == plain[1]
    (tmp_path / "pyproject.toml").write_text('[tool.prototxt-lint]\nignore = ["N26"]\n')
    above = run(net, cwd=folder)
    assert above[1] == run("--no-cache", net, cwd=folder)[1] != plain[1]


@needs_protoc
def test_a_changed_proto_invalidates(tmp_path: Path, layer: str) -> None:
    folder = _project(tmp_path)
    proto = tmp_path / "caffe.proto"
    proto.write_bytes((REPO / "proto" / "caffe.proto").read_bytes())
    run = Run(tmp_path, layer=layer)
    net = str(folder / "net.prototxt")
    without = run(net)
    assert fresh(run("--proto", str(proto), net)[2])  # --proto is another key
    assert cached(run("--proto", str(proto), net)[2])
    proto.write_bytes(proto.read_bytes() + b"\n// edited\n")
    assert fresh(run("--proto", str(proto), net)[2])
    assert run(net)[1] == without[1]


def test_the_code_that_lints_is_in_the_key(tmp_path: Path) -> None:
    """An upgrade, a changed rule module or a new plugin gives another fingerprint."""
    rules = load_rules()
    before = code_fingerprint(rules)
    assert code_fingerprint(rules) == before
    module = tmp_path / "localrule.py"
    module.write_text(
        "from prototxt_lint.plugin import Severity, net_rule\n"
        "@net_rule('T009', 'nothing', Severity.INFO, 'Nothing.')\n"
        "def nothing(ctx):\n    '''Nothing.'''\n    return []\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import localrule  # type: ignore[import-not-found]

        with_plugin = code_fingerprint([*rules, localrule.nothing])
        assert with_plugin != before
        os.utime(module, ns=(1, 1))
        assert code_fingerprint([*rules, localrule.nothing]) != with_plugin
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("localrule", None)


def test_a_new_plugin_distribution_invalidates(tmp_path: Path, layer: str) -> None:
    folder = _project(tmp_path)
    run = Run(tmp_path, layer=layer)
    net = str(folder / "net.prototxt")
    assert run(net)[2]["store"] == 1
    site = tmp_path / "site"
    site.mkdir()
    (site / "quiet_rules.py").write_text(
        "from prototxt_lint.plugin import Severity, net_rule\n"
        "@net_rule('T010', 'never', Severity.INFO, 'Never.')\n"
        "def never(ctx):\n    '''Never.'''\n    return []\n")
    dist = site / "quiet_rules-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: quiet-rules\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nq = quiet_rules\n")
    run.extra_env = {"PYTHONPATH": str(site)}
    assert fresh(run(net)[2])
    assert cached(run(net)[2])
    dist.rename(site / "quiet_rules-0.2.dist-info")  # an upgrade of the plugin
    assert fresh(run(net)[2])
    assert cached(run(net)[2])
    (site / "quiet_rules.py").write_text((site / "quiet_rules.py").read_text() + "\n# v3\n")
    assert fresh(run(net)[2])  # an edit of the plugin's module (an editable install)


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path, layer: str) -> None:
    folder = _project(tmp_path)
    run = Run(tmp_path, layer=layer)
    solver = str(folder / "solver.prototxt")
    first = run(solver)
    entries = [p for p in run.cache.rglob("*") if p.is_file()]
    assert len(entries) == (2 if layer == "run" else 1)  # the group's (and the run's)
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:20])  # truncated
    again = run(solver)
    assert again[1] == first[1]
    assert again[2]["corrupt"] == 1 and again[2]["miss"] == 1 and again[2]["store"] == 1
    for entry in entries:
        entry.write_bytes(b"\x80\x05garbage")
    assert run(solver)[1] == first[1]
    last = run(solver)
    assert last[1] == first[1] and cached(last[2])


def test_concurrent_runs_give_correct_output(tmp_path: Path) -> None:
    run = Run(tmp_path)
    args = ["--jobs", "1", str(FIXTURES)]
    expected = run("--no-cache", *args)[:2]
    env = run.env()
    env.pop("PROTOTXT_LINT_CACHE_STATS")
    procs = [subprocess.Popen([sys.executable, "-m", "prototxt_lint", "--no-color", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
             for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert (proc.returncode, out + b"\0" + err) == expected
    warm = run(*args)
    assert warm[:2] == expected
    assert warm[2]["miss"] == warm[2]["skip-external"]  # only groups that read a model or list
    assert not [p for p in run.cache.rglob("*.tmp")]  # no temporary file left behind


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    folder = _project(tmp_path, BAD_NET)
    run = Run(tmp_path)
    code, _, events = run("--no-cache", str(folder))
    assert code == 1
    assert not run.cache.exists()
    assert events == Counter()
    run.extra_env = {"PROTOTXT_LINT_NO_CACHE": "1"}
    run(str(folder))
    assert not run.cache.exists()


def test_an_unwritable_cache_dir_still_lints(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    expected = Run(tmp_path)("--no-cache", str(folder))[:2]
    for cache in (blocker / "cache", blocker):  # under a file; a file itself
        run = Run(tmp_path, cache)
        assert run(str(folder))[:2] == expected
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:
        run = Run(tmp_path, readonly)
        assert run(str(folder))[:2] == expected
        assert run("--cache-dir", str(readonly / "sub"), str(folder))[:2] == expected
    finally:
        readonly.chmod(0o700)


def test_a_lint_that_read_an_external_file_is_never_cached(tmp_path: Path) -> None:
    """A plugin rule that reads a file outside the group notes it; the group is not stored."""
    site = tmp_path / "site"
    site.mkdir()
    outside = tmp_path / "weights.txt"
    outside.write_text("one\n")
    (site / "reading_rules.py").write_text(textwrap.dedent(f"""\
        from prototxt_lint.engine import external_reads
        from prototxt_lint.plugin import Report, Severity, net_rule

        @net_rule("T011", "reads-outside", Severity.WARNING, "Reads a file outside.")
        def reads_outside(ctx):
            '''Reads a file outside.'''
            path = {str(outside)!r}
            external_reads.note(path)
            with open(path) as handle:
                text = handle.read().strip()
            for layer in ctx.layers[:1]:
                yield Report(layer.at("name"), "outside says " + text)
        """))
    dist = site / "reading_rules-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: reading-rules\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nr = reading_rules\n")
    folder = _project(tmp_path)
    run = Run(tmp_path)
    run.extra_env = {"PYTHONPATH": str(site)}
    net = str(folder / "net.prototxt")
    first = run(net)
    assert b"outside says one" in first[1]
    assert first[2] == Counter({"miss": 1, "skip-external": 1})
    outside.write_text("two\n")
    second = run(net)
    assert b"outside says two" in second[1]
    assert second[2]["hit"] == 0
    # with --jobs the note is made in a worker process: still not stored
    many = [folder / f"copy{n}.prototxt" for n in range(10)]
    for path in many:
        shutil.copy(net, path)
    parallel = run("--jobs", "2", *map(str, many))
    assert parallel[2]["store"] == 0 and parallel[2]["skip-external"] == 10
    assert parallel[2]["run-store"] == 0 and run(net)[2]["run-hit"] == 0  # nor the run


def test_entries_are_pruned(tmp_path: Path) -> None:
    cache = ResultCache(str(tmp_path / "c"))
    for n in range(30):
        cache.put(group_key(f"base{n}", [], []) or "", [n])
    cache.prune(limit=10)
    assert len([p for p in (tmp_path / "c").rglob("*") if p.is_file()]) == 10


def test_the_run_cache_answers_an_unchanged_file_and_only_that(tmp_path: Path) -> None:
    folder = _project(tmp_path, BAD_NET)
    run = Run(tmp_path)
    net = str(folder / "net.prototxt")
    first = run(net)
    assert first[2]["run-store"] == 1
    replay = run(net)
    assert replay[2] == Counter({"run-hit": 1}) and replay[:2] == first[:2]
    (folder / "net.prototxt").write_text(BAD_NET + "# a comment\n")
    edited = run(net)
    assert fresh(edited[2]) and edited[:2] == run("--no-cache", net)[:2]
    # other arguments, another working directory, NO_COLOR: other runs
    assert run("--no-color", net)[2]["run-hit"] == 0
    assert run(net, cwd=tmp_path)[2]["run-hit"] == 0
    run.extra_env = {"NO_COLOR": "1"}
    assert run(net)[2]["run-hit"] == 0
    # a directory is never answered as a whole (its files may change): the groups are
    assert run(str(folder))[2]["run-hit"] == 0


def test_subcommands_are_never_replayed() -> None:
    from prototxt_lint.cli.run import SUBCOMMANDS
    from prototxt_lint.cli.run_cache import SUBCOMMAND_NAMES

    assert set(SUBCOMMAND_NAMES) == set(SUBCOMMANDS)


def test_run_entries_are_pruned_too(tmp_path: Path) -> None:
    cache = ResultCache(str(tmp_path / "c"))
    for n in range(5):
        runs = tmp_path / "c" / "runs" / f"{n:02d}"
        runs.mkdir(parents=True)
        (runs / f"{n:02d}entry").write_bytes(b"x")
    for n in range(5):
        cache.put(group_key(f"base{n}", [], []) or "", [n])
    cache.prune(limit=4)
    assert len([p for p in (tmp_path / "c").rglob("*") if p.is_file()]) == 4


def test_a_gitignore_that_appears_later_invalidates_a_forced_exclude(tmp_path: Path) -> None:
    """--force-exclude (the pre-commit hook's): a new .gitignore entry excludes the file."""
    if shutil.which("git") is None:
        pytest.skip("no git")
    folder = _project(tmp_path, BAD_NET)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    run = Run(tmp_path)
    net = str(folder / "net.prototxt")
    linted = run("--force-exclude", net, cwd=folder)
    assert linted[0] == 1 and cached(run("--force-exclude", net, cwd=folder)[2])
    (folder / ".gitignore").write_text("net.prototxt\n")
    excluded = run("--force-exclude", net, cwd=folder)
    assert excluded[0] == 0 and excluded[2]["run-hit"] == 0
    assert excluded[:2] == run("--no-cache", "--force-exclude", net, cwd=folder)[:2]
