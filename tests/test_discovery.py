"""File discovery: exclude/extend-exclude, .gitignore, per-file-ignores, --config,
--show-settings, --force-exclude, special files, unreadable folders, a file named twice."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from prototxt_lint.cli.command import lint_command
from prototxt_lint.engine.config import find_config
from prototxt_lint.engine.gitignore import parse_line

POLY = REPO / "examples" / "poly_solver.prototxt"  # one S101 on line 4


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    find_config.cache_clear()  # the tests rewrite configuration files between runs
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(lint_command, list(args))
    finally:
        os.chdir(old)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def linted(*args: str, cwd: Path) -> list[str]:
    """The files with a finding (each has one S101): what the run linted."""
    _, out, _ = run("--output-format", "concise", "-q", "--select", "S101", *args, cwd=cwd)
    return [line.split(":")[0] for line in out.splitlines()]


def tree(root: Path, *files: str) -> None:
    for name in files:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(POLY, target)


def test_exclude_and_extend_exclude_globs(tmp_path: Path) -> None:
    tree(tmp_path, "models/a.prototxt", "third_party/caffe/b.prototxt", "gen/c_auto.prototxt",
         "models/old/d.prototxt", "node_modules/e.prototxt")
    (tmp_path / ".prototxt-lint.toml").write_text(
        'extend-exclude = ["third_party", "*_auto.prototxt", "models/old"]\n')
    assert linted(".", cwd=tmp_path) == ["./models/a.prototxt"]  # node_modules: the default
    (tmp_path / ".prototxt-lint.toml").write_text('exclude = ["gen/**"]\n')  # replaces defaults
    assert linted(".", cwd=tmp_path) == [
        "./models/a.prototxt", "./models/old/d.prototxt", "./node_modules/e.prototxt",
        "./third_party/caffe/b.prototxt"]


def test_named_files_are_linted_when_excluded_unless_force_exclude(tmp_path: Path) -> None:
    tree(tmp_path, "third_party/caffe/b.prototxt", "models/a.prototxt")
    (tmp_path / ".prototxt-lint.toml").write_text('extend-exclude = ["third_party"]\n')
    named = "third_party/caffe/b.prototxt"
    assert linted(named, "models/a.prototxt", cwd=tmp_path) == [named, "models/a.prototxt"]
    assert linted("--force-exclude", named, "models/a.prototxt", cwd=tmp_path) == [
        "models/a.prototxt"]
    code, out, err = run("--force-exclude", named, cwd=tmp_path)
    assert (code, out, err) == (
        0, "", "prototxt-lint: every file named is excluded; nothing to lint\n")


def test_gitignore_is_respected_during_walks(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a git work tree (git itself need not be installed)
    tree(tmp_path, "models/a.prototxt", "build/b.prototxt", "sub/build/c.prototxt",
         "third_party/d.prototxt", "keep/k.prototxt", "keep/x.prototxt", "deep/a/b/e.prototxt",
         "docs/build", "notes/n.prototxt")
    (tmp_path / ".gitignore").write_text(
        "# comment\n/build\nthird_party/\ndeep/**/e.prototxt\nnotes\n")
    (tmp_path / "keep" / ".gitignore").write_text("*.prototxt\n!k.prototxt\n")
    assert linted(".", cwd=tmp_path) == [
        "./keep/k.prototxt", "./models/a.prototxt", "./sub/build/c.prototxt"]
    assert linted("--no-respect-gitignore", ".", cwd=tmp_path) == [
        "./build/b.prototxt", "./deep/a/b/e.prototxt", "./keep/k.prototxt",
        "./keep/x.prototxt", "./models/a.prototxt", "./notes/n.prototxt",
        "./sub/build/c.prototxt", "./third_party/d.prototxt"]
    # named files: linted, unless --force-exclude
    assert linted("build/b.prototxt", cwd=tmp_path) == ["build/b.prototxt"]
    assert linted("--force-exclude", "build/b.prototxt", "keep/x.prototxt",
                  "keep/k.prototxt", cwd=tmp_path) == ["keep/k.prototxt"]
    (tmp_path / ".prototxt-lint.toml").write_text("respect-gitignore = false\n")
    assert len(linted(".", cwd=tmp_path)) == 8


def test_gitignore_outside_a_work_tree_means_nothing(tmp_path: Path) -> None:
    tree(tmp_path, "build/b.prototxt")
    (tmp_path / ".gitignore").write_text("build/\n")
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary folder is inside a git work tree")
    assert linted(".", cwd=tmp_path) == ["./build/b.prototxt"]


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("build/", "build", True, True),
        ("build/", "build", False, False),  # a directory pattern: not a file of that name
        ("/x", "x", False, True),
        ("/x", "a/x", False, False),  # anchored
        ("x", "a/b/x", False, True),  # unanchored: any depth
        ("a/**/b", "a/b", False, True),
        ("a/**/b", "a/c/d/b", False, True),
        ("**/foo", "q/foo", False, True),
        ("foo/**", "foo/a/b", False, True),
        ("doc/*.txt", "doc/a/b.txt", False, False),  # `*` stops at `/`
        ("[ab].txt", "b.txt", False, True),
        ("[!ab].txt", "b.txt", False, False),
        ("\\#x", "#x", False, True),
    ],
)
def test_gitignore_patterns(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    parsed = parse_line(pattern, "/r")
    assert parsed is not None
    assert (bool(parsed.regex.match(path)) and (is_dir or not parsed.dir_only)) is expected


def test_per_file_ignores(tmp_path: Path) -> None:
    tree(tmp_path, "models/a.prototxt", "legacy/b.prototxt", "legacy/c.prototxt")
    (tmp_path / ".prototxt-lint.toml").write_text(
        '[per-file-ignores]\n"legacy/*" = ["S101"]\n"c.prototxt" = ["poly-without-max-iter"]\n')
    assert linted(".", cwd=tmp_path) == ["./models/a.prototxt"]
    (tmp_path / ".prototxt-lint.toml").write_text('[per-file-ignores]\n"legacy/*" = ["S1O1"]\n')
    code, _, err = run(".", cwd=tmp_path)
    assert code == 2
    assert err.splitlines() == [
        f"Error: configuration error: {tmp_path / '.prototxt-lint.toml'}: per-file-ignores"
        " 'legacy/*': unknown rule code, prefix or name 'S1O1'; did you mean 'S101'?"]


def test_config_option_uses_that_file_for_everything(tmp_path: Path) -> None:
    tree(tmp_path, "models/a.prototxt", "other/b.prototxt")
    (tmp_path / "models" / ".prototxt-lint.toml").write_text('ignore = ["S101"]\n')
    (tmp_path / "ci.toml").write_text('extend-exclude = ["other"]\n')
    assert linted(".", cwd=tmp_path) == ["./other/b.prototxt"]
    assert linted("--config", "ci.toml", ".", cwd=tmp_path) == ["./models/a.prototxt"]
    code, _, err = run("--config", "missing.toml", ".", cwd=tmp_path)
    assert (code, err) == (2, "Error: --config missing.toml: no such file\n")


def test_show_settings(tmp_path: Path) -> None:
    tree(tmp_path, "legacy/b.prototxt")
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.prototxt-lint]\nselect = ["S"]\nfail-on = "error"\n'
                      'extend-exclude = ["legacy"]\n[tool.prototxt-lint.per-file-ignores]\n'
                      '"legacy/*" = ["S101"]\n')
    code, out, _ = run("--show-settings", "--ignore", "S102", "legacy/b.prototxt", cwd=tmp_path)
    assert code == 0
    assert out.splitlines() == [
        "# Settings for legacy/b.prototxt",
        f'config-file = "{config}"',
        'select = ["S"]',
        'ignore = ["S102"]',
        'per-file-ignores = ["S101"]',
        'fail-on = "error"',
        "max-file-size = 16",
        'proto = ""  # not set',
        'dialect = "auto"',
        'exclude = ["node_modules", "venv", "__pycache__", "site-packages"]',
        'extend-exclude = ["legacy"]',
        "respect-gitignore = true",
        "force-exclude = false",
        f"excluded = \"excluded by 'legacy' ({config})\"",
    ]


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    tree(tmp_path, "models/a.prototxt")
    os.mkfifo(tmp_path / "models" / "pipe.prototxt")
    message = "prototxt-lint: {}: not a regular file (a FIFO); refused without reading it"
    code, out, err = run("--output-format", "concise", "-q", "models", cwd=tmp_path)
    assert code == 2
    assert err.splitlines() == [message.format("models/pipe.prototxt")]
    assert [line.split(":")[0] for line in out.splitlines()] == ["models/a.prototxt"]
    code, out, err = run("models/pipe.prototxt", cwd=tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [message.format("models/pipe.prototxt")]


def test_character_device_is_refused(tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    code, _, err = run("/dev/zero", cwd=tmp_path)
    assert code == 2
    assert err == ("prototxt-lint: /dev/zero: not a regular file (a character device);"
                   " refused without reading it\n")


def test_unreadable_subfolder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree(tmp_path, "models/a.prototxt", "secret/s.prototxt")
    real_scandir = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if os.path.basename(str(path)) == "secret":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run("--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert code == 2
    assert err.splitlines() == ["prototxt-lint: ./secret: cannot read folder (Permission denied)"]
    assert [line.split(":")[0] for line in out.splitlines()] == ["./models/a.prototxt"]


def test_a_file_named_twice_is_linted_once(tmp_path: Path) -> None:
    tree(tmp_path, "models/a.prototxt")
    os.symlink("models/a.prototxt", tmp_path / "link.prototxt")
    assert linted("models/a.prototxt", "./models/a.prototxt", "models", "link.prototxt",
                  cwd=tmp_path) == ["models/a.prototxt"]
    _, out, _ = run("--no-color", "models/a.prototxt", "models", cwd=tmp_path)
    assert out.splitlines()[-1] == "Found 1 problem (1 error, 0 warnings, 0 info) in 1 file."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('exclude = "build"\n', "`exclude` must be a list of glob patterns"),
        ("per-file-ignores = [1]\n", "`per-file-ignores` must be a table of glob = [codes]"),
        ('respect-gitignore = "no"\n', "`respect-gitignore` must be true or false"),
    ],
)
def test_discovery_keys_with_wrong_types_exit_2(tmp_path: Path, text: str, message: str) -> None:
    tree(tmp_path, "a.prototxt")
    (tmp_path / ".prototxt-lint.toml").write_text(text)
    code, _, err = run("a.prototxt", cwd=tmp_path)
    assert code == 2
    assert err.splitlines() == [
        f"Error: configuration error: {tmp_path / '.prototxt-lint.toml'}: {message}"]


def test_pre_commit_hook_passes_force_exclude_and_stays_on_the_fast_path(tmp_path: Path) -> None:
    import subprocess
    import sys

    hooks = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "  args: [--force-exclude]\n" in hooks
    tree(tmp_path, "third_party/b.prototxt", "models/a.prototxt")
    (tmp_path / ".prototxt-lint.toml").write_text('extend-exclude = ["third_party"]\n')
    probe = (
        "import sys\nfrom prototxt_lint.cli.entry import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n"
        "    print('exit', exc.code, 'click' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, "--no-color", "--force-exclude", "third_party/b.prototxt",
         "models/a.prototxt"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("models/a.prototxt:4:1: S101 ")
    assert lines[-2:] == ["Found 1 problem (1 error, 0 warnings, 0 info) in 1 file.",
                          "exit 1 False"]


def test_a_solver_and_its_net_under_different_configurations_are_linted_once(
        tmp_path: Path) -> None:
    """A solver in a/ with its own configuration names a net in b/: the net is linted once,
    with the solver (it was linted a second time on its own, every finding twice)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / ".prototxt-lint.toml").write_text('select = ["N2", "S1"]\n')
    (tmp_path / "a" / "solver.prototxt").write_text(
        'net: "b/net.prototxt"\nbase_lr: 0.01\nlr_policy: "poly"\nmax_iter: 100\n')
    (tmp_path / "b" / "net.prototxt").write_text(
        'input: "x" input_shape { dim: 1 dim: 3 dim: 10 dim: 10 }\n'
        'layer { name: "p" type: "Pooling" bottom: "x" top: "y"\n'
        '        pooling_param { pool: AVE kernel_size: 3 stride: 5 } }\n')
    for args in (("a/solver.prototxt", "b/net.prototxt"), (".",)):
        _, out, _ = run("--output-format", "concise", "-q", *args, cwd=tmp_path)
        codes = [[line.split(": ")[0], line.split(": ")[1].split()[0]]
                 for line in out.splitlines()]
        prefix = "./" if args == (".",) else ""
        assert codes == [[f"{prefix}a/solver.prototxt:3:1", "S107"],
                         [f"{prefix}b/net.prototxt:3:50", "N201"]], out
