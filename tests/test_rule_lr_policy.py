from pathlib import Path

from conftest import FIXTURES, brief, lint_files, lint_fixture, lint_text


def test_poly_without_max_iter_seed() -> None:
    findings = lint_fixture("lr_policy/bad_poly_no_max_iter.prototxt", select=("S",))
    assert brief(findings) == [("S101", 4, 1)]
    (f,) = findings
    assert f.severity.label == "error"
    assert f.end_column == 18  # the whole `lr_policy: "poly"` token
    assert f.message.startswith('`lr_policy: "poly"` without `max_iter` (it defaults to 0)')
    assert "nan at iteration 0" in f.message and "Optimization Done." in f.message
    assert f.hint.startswith("add `max_iter: N`")


def test_poly_good() -> None:
    assert lint_fixture("lr_policy/good_poly.prototxt") == []


def test_step_without_stepsize_and_gamma() -> None:
    findings = lint_fixture("lr_policy/bad_step.prototxt")
    assert brief(findings) == [("S103", 2, 1), ("S106", 2, 1)]
    assert findings[0].message == (
        '`lr_policy: "step"` needs `stepsize` > 0: Caffe aborts at the first update with'
        ' "Check failed: this->param_.stepsize() > 0 (0 vs. 0)"'
    )
    assert findings[1].message == (
        '`gamma` is missing (it defaults to 0) with `lr_policy: "step"`:'
        " the learning rate drops to 0 at the first step"
    )
    assert findings[1].severity.label == "warning"


def test_negative_gamma_and_unsorted_stepvalue() -> None:
    findings = lint_fixture("lr_policy/bad_family.prototxt")
    assert brief(findings) == [("S104", 3, 1), ("S109", 5, 1)]
    assert "Check failed: this->param_.gamma() >= 0 (-0.5 vs. 0)" in findings[0].message
    assert findings[1].message.startswith("`stepvalue: 300` is not above the previous one (600)")


def test_unknown_policy_did_you_mean() -> None:
    (f,) = lint_fixture("lr_policy/bad_unknown_policy.prototxt")
    assert (f.code, f.line, f.column) == ("S105", 2, 1)
    assert f.message == (
        'unknown `lr_policy: "Step"`: Caffe aborts at the first update with'
        ' "Unknown learning rate policy: Step"'
    )
    assert f.hint.startswith('did you mean "step"?')


def test_missing_policy() -> None:
    (f,) = lint_fixture("lr_policy/bad_missing_policy.prototxt")
    assert (f.code, f.line, f.column) == ("S105", 1, 1)
    assert '"Unknown learning rate policy: "' in f.message


def test_inv_without_gamma_or_power() -> None:
    findings = lint_fixture("lr_policy/bad_exp_inv.prototxt")
    assert brief(findings) == [("S106", 2, 1), ("S107", 2, 1)]
    assert findings[0].message.endswith("the learning rate never changes")


def test_missing_max_iter_other_policy() -> None:
    findings = lint_text('base_lr: 0.1\nlr_policy: "fixed"\n', name="s.prototxt")
    assert brief(findings) == [("S102", 2, 1)]
    assert findings[0].message.startswith("`max_iter` is 0 (the default): Caffe runs zero")


def test_exp_without_gamma() -> None:
    findings = lint_text('base_lr: 0.1\nlr_policy: "exp"\nmax_iter: 10\n', name="s.prototxt")
    assert brief(findings) == [("S106", 2, 1)]
    assert findings[0].message.endswith("the learning rate is 0 from iteration 1 on")


def test_step_good() -> None:
    assert lint_fixture("lr_policy/good_step.prototxt") == []


def test_missing_max_iter_silent_for_script_driven_solver() -> None:
    findings = lint_fixture("lr_policy/script_fed/solver.prototxt", select=("S",))
    assert findings == []


def test_missing_max_iter_silent_for_evaluation_only_solver() -> None:
    text = (
        'test_net: "t.prototxt"\ntest_iter: 10\ntest_interval: 1000\nbase_lr: 0.1\n'
        'lr_policy: "fixed"\nmax_iter: 0\n'
    )
    assert brief(lint_text(text, name="s.prototxt", select=("S102",))) == []
    # without the test pass it trains nothing and says so
    text = 'base_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 0\n'
    findings = lint_text(text, name="s.prototxt", select=("S102",))
    assert brief(findings) == [("S102", 3, 1)]
    assert findings[0].message.startswith("`max_iter` is 0: Caffe runs zero")


def test_missing_max_iter_judged_from_the_named_net(tmp_path: Path) -> None:
    net = FIXTURES / "project/models/lenet/train_val.prototxt"  # Caffe's own Data layers
    solver = tmp_path / "solver.prototxt"
    solver.write_text(f'net: "{net}"\nbase_lr: 0.1\nlr_policy: "fixed"\n')
    assert brief(lint_files(solver, select=("S102",))) == [("S102", 3, 1)]
    # the same solver whose net cannot be found: how it is driven is unknown, so no finding
    solver.write_text('net: "missing.prototxt"\nbase_lr: 0.1\nlr_policy: "fixed"\n')
    assert lint_files(solver, select=("S102",)) == []


def test_multistep_without_stepvalue() -> None:
    (f,) = lint_fixture("lr_policy/bad_multistep_no_stepvalue.prototxt", select=("S",))
    assert (f.code, f.line, f.column, f.end_column) == ("S108", 2, 1, 23)
    assert f.severity.label == "warning"
    assert f.message == (
        '`lr_policy: "multistep"` without `stepvalue`: the learning rate stays at'
        " base_lr for the whole run"
    )
    assert f.hint.startswith("add `stepvalue: N` lines")


def test_multistep_good() -> None:
    assert lint_fixture("lr_policy/good_multistep.prototxt") == []


def test_poly_in_an_evaluation_only_solver() -> None:
    # SSD's score solvers (Pelee's solver_merged): max_iter 0 written out with test nets, so
    # Solver::Solve runs no iteration and one test pass; no learning rate is ever computed
    text = ('net: "net.prototxt"\ntest_iter: 100\ntest_interval: 1000\nbase_lr: 0.001\n'
            'lr_policy: "poly"\npower: 0.9\nmax_iter: 0\n')
    assert lint_text(text, "solver.prototxt", select=("S101", "S102")) == []
    without = text.replace("max_iter: 0\n", "")
    assert [f.code for f in lint_text(without, "solver.prototxt", select=("S101",))] == ["S101"]
