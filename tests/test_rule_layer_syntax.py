import pytest
from conftest import CORPUS, brief, lint_files, lint_fixture, lint_text

SELECT = ("N22",)


def test_mixed_syntax_is_an_error_at_the_first_layers_block() -> None:
    findings = lint_fixture("layer_syntax/bad_mixed.prototxt", select=SELECT)
    assert brief(findings) == [("N221", 7, 1)]
    (f,) = findings
    assert f.severity.label == "error"
    assert f.name == "mixed-layer-syntax"
    assert f.end_column == 9  # the `layers {` opener
    assert f.message == (
        "this net mixes 1 `layer` block and 2 `layers` blocks (the first `layer` block is on"
        ' line 27): Caffe aborts when it reads the file with "Refusing to upgrade inconsistent'
        " NetParameter input; the definition includes both 'layer' and 'layers' fields.\""
    )
    assert f.hint.startswith('convert the `layers` blocks to `layer { type: "..." }`')
    assert f.phases == ()


def test_mixed_with_v0_blocks_drops_the_layer_blocks() -> None:
    text = (
        'layers { layer { name: "fc" type: "innerproduct" num_output: 2 }'
        ' bottom: "data" top: "fc" }\n'
        'layer { name: "relu" type: "ReLU" bottom: "fc" top: "fc" }\n'
    )
    findings = lint_text(text, select=SELECT)
    assert brief(findings) == [("N224", 1, 1)]  # Caffe does not abort: a warning
    assert findings[0].severity.label == "warning"
    assert findings[0].message == (
        "this net has 1 `layer` block and 1 `layers` block (the first `layer` block is on"
        " line 2), some in the V0 syntax: Caffe's V0 upgrade (UpgradeV0Net) rebuilds the net"
        " from the `layers` blocks only and silently drops the 1 `layer` block"
    )


def test_pure_v1_is_info_once_per_file() -> None:
    findings = lint_fixture("layer_syntax/bad_v1.prototxt", select=SELECT)
    assert brief(findings) == [("N222", 8, 1)]
    (f,) = findings
    assert f.severity.label == "info"
    assert f.message == (
        "this net uses the deprecated V1 `layers` syntax (enum layer types): Caffe upgrades it"
        " to V2 `layer` blocks each time it reads the file, logging only INFO lines"
        ' ("Attempting to upgrade input file specified using deprecated V1LayerParameter")'
    )
    assert f.hint == "upgrade it once: `upgrade_net_proto_text old.prototxt new.prototxt`"


def test_pure_v0_is_info() -> None:
    findings = lint_fixture("layer_syntax/bad_v0.prototxt", select=SELECT)
    assert brief(findings) == [("N222", 7, 1)]
    assert findings[0].message.startswith(
        "this net uses the deprecated V0 syntax (`layers { layer { ... } }`): Caffe upgrades"
        " it to V1 and then to V2"
    )


def test_v2_is_clean() -> None:
    assert lint_fixture("layer_syntax/good_v2.prototxt", select=SELECT) == []


def test_old_syntax_embedded_in_a_solver_is_never_upgraded() -> None:
    findings = lint_fixture("layer_syntax/bad_embedded_v1_only.prototxt", select=SELECT)
    assert brief(findings) == [("N223", 9, 3)]
    (f,) = findings
    assert f.severity.label == "error"
    assert f.message == (
        "`layers` blocks (old syntax) inside the solver's `net_param` are never upgraded:"
        " Caffe upgrades only net files, and Net::FilterNet reads `layer` blocks only, so"
        " these 3 `layers` blocks are silently ignored and the net is built empty: the first"
        ' iteration aborts with "Check failed: end < layers_.size() (-1 vs. 0)"'
    )


def test_old_and_new_blocks_embedded_in_a_solver_drop_the_old_ones() -> None:
    findings = lint_fixture("layer_syntax/bad_embedded_solver.prototxt", select=SELECT)
    assert brief(findings) == [("N224", 6, 3)]
    (f,) = findings
    assert f.severity.label == "warning"
    assert f.message == (
        "the solver's `net_param` mixes 1 `layer` block and 2 `layers` blocks: a net inside a"
        " solver is never upgraded and Net::FilterNet reads `layer` blocks only, so Caffe"
        " silently builds it from the 1 `layer` block alone, without these 2 `layers` blocks"
    )


def test_embedded_v2_net_is_clean() -> None:
    assert lint_fixture("layer_syntax/good_embedded_solver.prototxt", select=SELECT) == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_deepbit_deploy_is_refused() -> None:
    path = CORPUS / "kevinlin311tw__cvpr16-deepbit/examples/deepbit-cifar10-16/deploy16.prototxt"
    findings = lint_files(path, select=SELECT)
    assert brief(findings) == [("N221", 7, 1)]
    assert "(the first `layer` block is on line 331)" in findings[0].message


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_corpus_consolidated_solver_points_inside_net_param() -> None:
    path = CORPUS / "BVLC__caffe/examples/mnist/lenet_consolidated_solver.prototxt"
    findings = lint_files(path, select=SELECT)
    assert brief(findings) == [("N223", 47, 3)]
    assert findings[0].message.endswith(
        "these 12 `layers` blocks are silently ignored and the net is built empty: the first"
        ' iteration aborts with "Check failed: end < layers_.size() (-1 vs. 0)"')
