from pathlib import Path

from conftest import brief, lint_files, lint_fixture, lint_text

from prototxt_lint.findings import Finding

SELECT = ("N25",)


def test_image_list_without_shuffle() -> None:
    findings = lint_fixture("shuffle/bad_imagedata.prototxt", select=SELECT)
    assert brief(findings) == [("N251", 13, 3)]  # the TRAIN `image_data_param {` opener
    (f,) = findings
    assert f.severity.label == "warning"
    assert f.name == "unshuffled-training-data"
    assert f.phases == ("TRAIN",)
    assert f.message == (
        '`ImageData` layer "data" has no `shuffle: true`: Caffe reads the image list file in'
        " the same order every epoch, so training batches follow the file's order (often"
        " sorted by class)"
    )
    assert f.hint == "add `shuffle: true` to `image_data_param`"


def test_hdf5_with_shuffle_false_points_at_the_field() -> None:
    findings = lint_fixture("shuffle/bad_hdf5.prototxt", select=SELECT)
    assert brief(findings) == [("N251", 13, 5)]
    assert findings[0].message.startswith(
        '`HDF5Data` layer "data" has `shuffle: false`: Caffe reads the HDF5 files (and the'
        " rows in each) in the same order every epoch"
    )
    assert findings[0].phases == ("TRAIN",)


def test_training_database_gets_an_info_note() -> None:
    findings = lint_fixture("shuffle/bad_database.prototxt", select=SELECT)
    assert brief(findings) == [("N252", 14, 5)]  # data_param { source }
    (f,) = findings
    assert f.severity.label == "info"
    assert f.phases == ("TRAIN",)
    assert f.message == (
        '`Data` layer "data" reads its database in stored (key) order with no shuffling:'
        " make sure the database was written in shuffled order"
    )
    assert f.hint.startswith("build it with `convert_imageset --shuffle`")


def test_paired_databases_are_not_told_to_shuffle_one() -> None:
    # image and label LMDBs read in step (DetectNet, CRF-as-RNN): shuffling one breaks pairs
    text = (
        'layer { name: "img" type: "Data" top: "data" include { phase: TRAIN }\n'
        '        data_param { source: "img_lmdb" batch_size: 4 backend: LMDB } }\n'
        'layer { name: "lab" type: "Data" top: "label" include { phase: TRAIN }\n'
        '        data_param { source: "label_lmdb" batch_size: 4 backend: LMDB } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" }\n'
    )
    (f,) = lint_text(text, select=("N252",))
    assert (f.line, f.column) == (2, 22)  # the first `source`
    assert f.message.endswith("with no shuffling (and 1 more Data layers): make sure the"
                              " database was written in shuffled order")
    assert f.hint == ("build the databases from one shuffled order, written to all of them"
                      " alike (shuffling one alone breaks the pairing of their entries)")


def test_shuffled_list_and_test_only_database_are_clean() -> None:
    assert lint_fixture("shuffle/good_shuffled.prototxt", select=SELECT) == []


def test_parallel_lists_are_left_alone() -> None:
    assert lint_fixture("shuffle/good_pairs.prototxt", select=SELECT) == []


def test_evaluation_net_without_phase_rules_is_not_assumed_to_train() -> None:
    assert lint_fixture("shuffle/good_phaseless.prototxt", select=SELECT) == []


def test_training_net_without_phase_rules() -> None:
    # the seed mistake as it is often written: one file per phase, no phase rules
    findings = lint_fixture("shuffle/bad_phaseless_train.prototxt", select=SELECT)
    assert brief(findings) == [("N251", 10, 3)]
    assert findings[0].phases == ("TRAIN",)
    assert findings[0].message == (
        '`ImageData` layer "data" has no `shuffle: true`: Caffe reads the image list file in'
        " the same order every epoch, so training batches follow the file's order (often"
        " sorted by class)"
    )


def _train_net(tmp_path: Path, text: str) -> list[Finding]:
    """Lint ``text`` as the `train_net` of a solver (so its only phase is TRAIN)."""
    net = tmp_path / "train.prototxt"
    net.write_text(text)
    solver = tmp_path / "solver.prototxt"
    solver.write_text(f'train_net: "{net}"\nbase_lr: 0.1\nlr_policy: "fixed"\nmax_iter: 9\n')
    findings = lint_files(solver, select=SELECT)
    assert all(f.file == str(net) for f in findings)
    return findings


def test_phaseless_net_used_as_train_net_by_a_solver(tmp_path: Path) -> None:
    findings = _train_net(
        tmp_path,
        'layer { name: "d" type: "HDF5Data" top: "data" top: "label"\n'
        '  hdf5_data_param { source: "h5.txt" batch_size: 4 } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" }\n',
    )
    assert brief(findings) == [("N251", 2, 3)]
    assert findings[0].phases == ("TRAIN",)


def test_hdf5_regression_targets_are_not_judged(tmp_path: Path) -> None:
    # landmark regression (anguyen8/caffe-facialkp): no classes for the file to be sorted by
    findings = _train_net(
        tmp_path,
        'layer { name: "d" type: "HDF5Data" top: "data" top: "label"\n'
        '  hdf5_data_param { source: "h5.txt" batch_size: 4 } }\n'
        'layer { name: "loss" type: "EuclideanLoss" bottom: "data" bottom: "label" }\n',
    )
    assert findings == []


def test_v0_images_shuffle_flag(tmp_path: Path) -> None:
    text = """
layers { layer { name: "d" type: "images" source: "train.txt" batchsize: 8 scale: 0.1
                 shuffle_images: true } top: "data" top: "label" }
layers { layer { name: "loss" type: "softmax_loss" } bottom: "data" bottom: "label" }
"""
    assert _train_net(tmp_path, text) == []
    findings = _train_net(tmp_path, text.replace("shuffle_images: true", ""))
    assert brief(findings) == [("N251", 2, 1)]
    assert findings[0].hint.startswith("upgrade the file (`upgrade_net_proto_text`), then")
