from conftest import CORPUS, brief, lint_files, lint_fixture, needs_corpus
from prototxt_lint.rules import pooling

SEL = ("N20",)


def test_seed_kernel_typo_is_a_parse_error() -> None:
    # The example verbatim: `kernel:` is not a PoolingParameter field.
    findings = lint_fixture("pooling/bad_seed_kernel_typo.prototxt", select=("P", "N20"))
    assert brief(findings) == [("P002", 2, 45)]
    (f,) = findings
    assert f.end_column == 51  # the `kernel` token
    assert f.message.startswith('Message type "caffe.PoolingParameter" has no field named'
                                ' "kernel".')
    assert f.hint == "did you mean `kernel_size`?"


def test_seed_stride_exceeds_kernel_ave() -> None:
    # a fragment: its input size is not known, so only the sizes that would break are said
    findings = lint_fixture("pooling/bad_seed_stride.prototxt", select=SEL)
    assert brief(findings) == [("N206", 2, 35)]
    (f,) = findings
    assert f.end_column == 44  # `stride: 5`
    assert f.severity.label == "warning"
    assert f.phases == ("deploy",)
    assert f.message == (
        "`stride: 5` is larger than the kernel (3) with pad 0 and round_mode CEIL: if the input"
        " size is one of 4, 5, 9, 10, 14, 15, ... (it is not known here), the last pooling"
        " window starts at or past the end of the input and is empty; AVE pooling divides by"
        " the empty window's size: NaN (0/0) for 5, 10, 15, ... and -0 for 4, 9, 14, ..."
    )
    assert f.hint == "make `stride` <= 3, or add pad, or set `round_mode: FLOOR`"


def test_stride_exceeds_kernel_on_a_known_input_size_that_breaks() -> None:
    (f,) = lint_fixture("pooling/bad_stride_known_size.prototxt", select=SEL)
    assert (f.code, f.line, f.column, f.severity.label) == ("N201", 6, 35, "error")
    assert f.message == (
        "`stride: 5` is larger than the kernel (3) with pad 0 and round_mode CEIL: for this"
        " net's input size 10 the last pooling window starts at the end of the input and is"
        " empty; AVE pooling divides by the empty window's size: NaN (0/0)"
    )


def test_stride_exceeds_kernel_on_a_known_input_size_that_does_not_break() -> None:
    findings = lint_fixture("pooling/good_stride_known_size.prototxt", select=SEL)
    assert brief(findings) == [("N202", 6, 35)]  # rows 3-4 skipped, no empty window


def test_stride_exceeds_kernel_max_rect_stochastic_phases() -> None:
    # Data layers without crop_size: the input size is not known, the sizes that break are
    findings = lint_fixture("pooling/bad_stride_train_val.prototxt", select=SEL)
    assert brief(findings) == [("N206", 33, 5), ("N206", 46, 5), ("N206", 55, 51)]
    max_pool, rect, stochastic = findings
    assert max_pool.phases == ("TRAIN", "TEST")  # one finding per layer, phases merged
    assert max_pool.message == (
        "`stride: 3` is larger than the kernel (2) with pad 0 and round_mode CEIL: if the input"
        " size is one of 3, 6, 9, 12, 15, 18, ... (it is not known here), the last pooling"
        " window starts at or past the end of the input and is empty; MAX pooling outputs"
        " -FLT_MAX (-3.40282e+38) for it, and in training its CPU backward pass writes before"
        " the gradient buffer (bottom_diff[-1],"
        ' heap corruption): the loss turns NaN or the run aborts at exit with "double free or'
        ' corruption (out)"'
    )
    # only the width axis (kernel_w 2, stride_w 4) has empty windows; point at stride_w
    assert rect.phases == ("TRAIN", "TEST")
    assert rect.message.startswith(
        "`stride_w: 4` is larger than the kernel (2) with pad 0 and round_mode CEIL: if the"
        " input width is one of 3, 4, 7, 8, 11, 12, ..."
    )
    assert rect.message.endswith(": NaN (0/0) for 4, 8, 12, ... and -0 for 3, 7, 11, ...")
    assert stochastic.phases == ("TEST",)
    assert stochastic.message.endswith(
        "STOCHASTIC pooling (GPU only) never writes that output in TRAIN (it keeps stale"
        " memory) and outputs 0 in TEST"
    )


def test_stride_exceeds_kernel_v1_syntax() -> None:
    findings = lint_fixture("pooling/bad_stride_v1.prototxt", select=SEL)
    assert brief(findings) == [("N206", 26, 5)]
    (f,) = findings
    assert f.phases == ("TRAIN", "TEST")
    assert f.message.startswith("`stride: 5` is larger than the kernel (3) with pad 0")


def test_empty_window_sizes_match_measurements() -> None:
    # shared/caffe-behaviour rows 2a/2b: k3 s5, AVE NaN for 5, 10, 15 and -0 for 4, 9, 14
    axis = pooling._Axis("h", 3, 5, 0, "kernel_size", "stride", "pad")
    at_end, past_end = pooling._empty_last_window(axis)
    assert at_end[:3] == [5, 10, 15]
    assert past_end[:3] == [4, 9, 14]
    fine = set(range(1, 16)) - set(at_end) - set(past_end)
    assert {6, 7, 8, 11, 12, 13} <= fine


def test_stride_skips_input() -> None:
    findings = lint_fixture("pooling/bad_stride_skips_input.prototxt", select=SEL)
    assert brief(findings) == [("N202", 12, 5), ("N202", 24, 5), ("N202", 38, 5)]
    floor, padded, clip_from_other_axis = findings
    assert floor.severity.label == "warning"
    assert floor.message == (
        "`stride: 3` is larger than the kernel (2), with round_mode FLOOR: no window is empty,"
        " but 1 of every 3 input rows and columns lie between windows and are never read (they"
        " get no gradient either)"
    )
    assert padded.message.startswith(
        "`stride: 3` is larger than the kernel (2), with `pad: 1` (Caffe then drops a last"
        " window that would start past the input): no window is empty"
    )
    # pad_w is 0, but Caffe clips both axes when any pad is set (`if (pad_h_ || pad_w_)`)
    assert clip_from_other_axis.message.startswith(
        "`stride_w: 3` is larger than the kernel (2), with `pad_h: 1`"
    )
    assert clip_from_other_axis.message.endswith(
        "1 of every 3 input columns lie between windows and are never read (they get no"
        " gradient either)"
    )


def test_pad_not_less_than_kernel() -> None:
    findings = lint_fixture("pooling/bad_pad.prototxt", select=SEL)
    assert brief(findings) == [("N203", 9, 54), ("N203", 21, 5), ("N203", 29, 54)]
    assert findings[0].message == (
        '`pad: 3` is not less than the kernel (3): Caffe aborts at net setup with "Check'
        ' failed: pad_h_ < kernel_h_ (3 vs. 3)"'
    )
    assert findings[0].hint == "use a pad below 3, usually (kernel - 1) / 2 = 1"
    assert findings[1].message.endswith('"Check failed: pad_w_ < kernel_w_ (2 vs. 2)"')
    assert findings[2].message.endswith('"Check failed: pad_h_ < kernel_h_ (4 vs. 2)"')
    assert all(f.severity.label == "error" for f in findings)


def test_global_pooling_with_kernel_pad_stride() -> None:
    findings = lint_fixture("pooling/bad_global.prototxt", select=SEL)
    assert brief(findings) == [("N204", 12, 5), ("N204", 24, 5), ("N204", 32, 60)]
    kernel, stride, pad = findings
    assert kernel.message == (
        "`global_pooling: true` with `kernel_size: 7`: Caffe aborts at net setup with"
        ' "Check failed: !(pool_param.has_kernel_size() || pool_param.has_kernel_h() ||'
        " pool_param.has_kernel_w()) With Global_pooling: true Filter size cannot"
        ' specified"'
    )
    assert stride.message == (
        "`global_pooling: true` with `stride: 2`: Caffe aborts at net setup with"
        ' "Check failed: pad_h_ == 0 && pad_w_ == 0 && stride_h_ == 1 && stride_w_ == 1'
        ' With Global_pooling: true; only pad = 0 and stride = 1"'
    )
    assert pad.message.startswith("`global_pooling: true` with `pad: 1`: Caffe aborts")
    assert kernel.phases == ("deploy",)


def test_good_pooling() -> None:
    assert lint_fixture("pooling/good_pooling.prototxt", select=SEL) == []


def test_other_checks_come_first() -> None:
    assert lint_fixture("pooling/bad_setup_checks.prototxt",
                        select=("N201", "N202", "N203", "N204")) == []


def test_setup_checks() -> None:
    findings = lint_fixture("pooling/bad_setup_checks.prototxt", select=("N205",))
    assert brief(findings) == [("N205", 12, 29), ("N205", 20, 44), ("N205", 28, 51),
                               ("N205", 36, 29), ("N205", 38, 1)]
    assert {f.severity.label for f in findings} == {"error"}
    twice, stride, stochastic, zero, missing = findings
    assert twice.message == (
        "Pooling layer 'kernel_twice': Caffe aborts at net setup with \"Check failed:"
        " !pool_param.has_kernel_size() != !(pool_param.has_kernel_h() &&"
        " pool_param.has_kernel_w()) Filter size is kernel_size OR kernel_h and kernel_w; not"
        ' both"'
    )
    assert twice.hint == "keep either `kernel_size` or the `kernel_h`/`kernel_w` pair"
    assert stride.message.endswith(
        ' Stride is stride OR stride_h and stride_w are required."')
    assert stochastic.message.endswith(' Padding implemented only for average and max pooling."')
    assert zero.message.endswith('"Check failed: kernel_h_ > 0 (0 vs. 0) Filter dimensions'
                                 ' cannot be zero."')
    assert missing.hint == "give `kernel_size` (or both `kernel_h` and `kernel_w`)"
    for good in ("good_pooling", "good_fork_ceil_mode"):
        assert lint_fixture(f"pooling/{good}.prototxt", select=("N205",)) == [], good


def test_incomplete_pooling_param_is_skipped() -> None:
    findings = lint_fixture("pooling/good_fork_ceil_mode.prototxt", select=("P", "N20"),
                            dialect="bvlc")
    assert brief(findings) == [("P002", 15, 5)]


@needs_corpus
def test_corpus_has_no_pooling_findings() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".prototxt", ".pt"))
    assert files, "corpus missing"
    assert lint_files(*files, select=SEL) == []


def test_an_empty_window_that_gives_a_finite_value_is_a_warning() -> None:
    ave, max_pool = lint_fixture("pooling/bad_stride_past_input.prototxt", select=SEL)
    assert (ave.code, ave.line, ave.column, ave.severity.label) == ("N207", 9, 35, "warning")
    assert ave.message == (
        "`stride: 5` is larger than the kernel (3) with pad 0 and round_mode CEIL: for this"
        " net's input size 9 the last pooling window starts past the end of the input and is"
        " empty; AVE pooling divides by the empty window's size: -0, a finite value, so nothing"
        " turns NaN, but that output is constant and reads no input"
    )
    assert (max_pool.code, max_pool.line, max_pool.column) == ("N207", 11, 35)
    assert max_pool.message.endswith(
        "past the end of the input and is empty; MAX pooling outputs -FLT_MAX (-3.40282e+38)"
        " for it, a finite value: this net is not trained, so the backward pass that breaks"
        " on it never runs")


def test_an_empty_max_window_in_training_is_an_error() -> None:
    ave, max_pool = lint_fixture("pooling/bad_stride_past_input_train.prototxt", select=SEL)
    assert (ave.code, ave.line, ave.phases) == ("N207", 8, ("TRAIN",))
    assert (max_pool.code, max_pool.line, max_pool.column, max_pool.phases) == (
        "N201", 10, 35, ("TRAIN",))
    assert "in training its CPU backward pass writes before the gradient buffer" in (
        max_pool.message)


def test_max_empty_window_into_an_inner_product_is_fatal_in_any_net() -> None:
    """-FLT_MAX times the weights, summed, overflows: real Caffe's first forward pass of this
    deploy net gives ip1 inf (construct_net TEST 1: 6 of 16), so N201, not N207."""
    findings = lint_fixture("pooling/bad_max_window_into_inner_product.prototxt",
                            select=("N201", "N207"))
    assert [(f.code, f.line, f.column, f.message) for f in findings] == [(
        "N201", 11, 50,
        "`stride: 5` is larger than the kernel (3) with pad 0 and round_mode CEIL: for this"
        " net's input size 10 the last pooling window starts at the end of the input and is"
        " empty; MAX pooling outputs -FLT_MAX (-3.40282e+38) for it, which InnerProduct layer"
        " 'ip1' multiplies by its weights and sums: the result overflows to inf (NaN where"
        " infinities of both signs meet) in the first forward pass (measured on BVLC Caffe)")]
