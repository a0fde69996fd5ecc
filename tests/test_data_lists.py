"""The list files ImageData/HDF5Data read (prototxt_lint/syntax/data_lists.py, rules/data_lists.py,
N251's evidence): labels from 1, too few classes, ignore_label, class-sorted lists, missing
images and .h5 files, relative to the data root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, caffe_imagedata_oracle, caffe_oracle, lint_files

from prototxt_lint.engine import external_reads
from prototxt_lint.syntax.data_lists import MAX_CHECKED, atoi, read_image_list

D = FIXTURES / "data_lists"
ROOT = str(D)
SHOWN = "tests/fixtures/data_lists"
ORACLE = caffe_oracle()
needs_caffe = pytest.mark.skipif(ORACLE is None, reason="no BVLC Caffe build"
                                 " (bash ../shared/caffe-oracle/build.sh)")
IMAGEDATA = caffe_imagedata_oracle()
#: in CI (which builds it) never skipped: there a missing build fails the tests
needs_imagedata = pytest.mark.skipif(
    IMAGEDATA is None and not os.environ.get("CI"), reason="no BVLC Caffe build with"
    " ImageData (bash ../shared/caffe-oracle/build.sh, then bash"
    " scripts/build_imagedata_oracle.sh)")


def _found(name: str, **kw: object) -> list[tuple[str, int, int, str]]:
    return [(f.code, f.line, f.column, f.message)
            for f in lint_files(D / name, data_root=ROOT, **kw)
            if f.code.startswith("D") or f.code == "N251"]


def test_labels_from_1_with_too_few_classes() -> None:
    assert _found("net_labels.prototxt") == [
        ("D100", 4, 28, f"{SHOWN}/labels_from_1.txt has labels outside 0..2 (3; 2 of 6 lines)"
         " (the labels start at 1: numbered from 1 instead of 0?): the SoftmaxWithLoss 'loss'"
         " gets 3 classes, and Caffe's release build reads and writes past each such"
         " sample's scores without a message")]


def test_labels_from_1_that_fit() -> None:
    assert _found("net_from_1.prototxt") == [
        ("D101", 4, 28, f"{SHOWN}/labels_from_1.txt's labels start at 1 (largest 3, 4"
         " outputs): no line has label 0, so output 0 of the SoftmaxWithLoss 'loss' never gets"
         " an example")]


def test_ignore_label_is_respected() -> None:
    assert [c for c, *_ in _found("net_ignore.prototxt")] == ["D101"]


def test_a_class_sorted_list_without_shuffle_is_n251_with_the_evidence() -> None:
    assert _found("net_sorted.prototxt") == [
        ("N251", 4, 9, "`ImageData` layer \"data\" has no `shuffle: true`: Caffe reads the"
         " image list file in the same order every epoch, so training batches follow the"
         " file's order, and sorted.txt is sorted by class: its 6 lines hold 3 labels in 3"
         " blocks (0 from line 1, 1 from line 3, 2 from line 5), so each batch holds one or"
         " two classes")]


def test_without_the_list_n251_keeps_its_guess() -> None:
    found = [(f.code, f.message) for f in lint_files(D / "net_sorted.prototxt",
                                                     data_root=str(D / "images"))
             if f.code.startswith(("D", "N251"))]
    assert found == [("N251", "`ImageData` layer \"data\" has no `shuffle: true`: Caffe reads"
                      " the image list file in the same order every epoch, so training"
                      " batches follow the file's order (often sorted by class)")]


def test_missing_images_a_sample_and_a_count() -> None:
    assert _found("net_missing.prototxt") == [
        ("D102", 4, 28, f"4 of 6 images that {SHOWN}/missing_images.txt names do not exist"
         " (line 2: 'images/gone1.jpg', line 4: 'images/gone3.jpg', line 5:"
         " 'images/gone4.jpg', ...): Caffe aborts with \"Could not load\" when it reaches"
         " one")]


def test_hdf5_lists() -> None:
    assert _found("net_h5.prototxt") == [
        ("D103", 4, 27, f"1 of 2 files that {SHOWN}/missing_h5.txt names do not exist"
         " ('part2.h5'): Caffe aborts with \"Failed opening HDF5 file\" when it gets to one"),
        ("D103", 7, 27, f"{SHOWN}/empty_h5.txt names no file: Caffe aborts with \"Must have"
         " at least 1 HDF5 filename listed\""),
    ]


def test_lists_are_only_read_where_caffe_opens_them() -> None:
    """Relative to the data root (default: the current directory), not the net's folder."""
    assert [f for f in lint_files(D / "net_labels.prototxt") if f.code.startswith("D")] == []


def test_the_data_root_from_the_command_line_and_the_configuration(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "prototxt_lint", "--output-format", "concise", "--select",
           "D", str(D / "net_labels.prototxt")]
    done = subprocess.run([*run, "--data-root", ROOT], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "D100" in done.stdout, done
    (tmp_path / ".prototxt-lint.toml").write_text(f"data-root = {ROOT!r}\n")
    net = tmp_path / "net.prototxt"
    net.write_text((D / "net_labels.prototxt").read_text())
    done = subprocess.run([*run[:-1], str(net)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "D100" in done.stdout, done


def test_reads_are_noted_for_the_result_cache() -> None:
    before = len(external_reads.SEEN)
    _found("net_h5.prototxt")
    seen = external_reads.SEEN[before:]
    assert f"{ROOT}/missing_h5.txt" in seen and f"{ROOT}/part2.h5" in seen


def test_atoi_as_caffe() -> None:
    assert [atoi(t) for t in ("3", " 7\r", "-1", "x", "", "12abc")] == [3, 7, -1, 0, 0, 12]


def test_a_long_list_is_streamed_and_checked_in_part(tmp_path: Path) -> None:
    lines = 3 * MAX_CHECKED
    (tmp_path / "big.txt").write_text(
        "".join(f"img/{i}.jpg {i % 1000}\n" for i in range(lines)))
    listed = read_image_list(str(tmp_path / "big.txt"), str(tmp_path))
    assert (listed.lines, len(listed.labels), listed.smallest, listed.largest) == (
        lines, 1000, 0, 999)
    assert (listed.checked, listed.missing) == (MAX_CHECKED, MAX_CHECKED)
    assert not listed.class_sorted()


# --- real Caffe: HDF5Data in the oracle build, ImageData in the same build plus its layer -------


@needs_caffe
@pytest.mark.parametrize(("source", "fatal"), [
    ("only_missing_h5.txt", "Failed opening HDF5 file: part2.h5"),
    ("empty_h5.txt", "Check failed: num_files_ >= 1 (0 vs. 1) Must have at least 1 HDF5"
     " filename listed in empty_h5.txt"),
])
def test_caffe_aborts_on_the_hdf5_lists(tmp_path: Path, source: str, fatal: str) -> None:
    net = tmp_path / "net.prototxt"
    net.write_text((D / "net_h5.prototxt").read_text().replace("missing_h5.txt", source)
                   .replace("empty_h5.txt", source))
    assert [c for c, *_ in [(f.code,) for f in lint_files(net, data_root=ROOT)
                            if f.code == "D103"]] == ["D103", "D103"]
    assert ORACLE is not None
    done = subprocess.run([str(ORACLE), str(net), "TRAIN"], cwd=D, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode in (134, -6)
    lines = [line.split("] ", 1)[1] for line in done.stderr.splitlines() if line.startswith("F")]
    assert lines and lines[0] == fatal


def test_root_folder_is_prepended_as_text(tmp_path: Path) -> None:
    """`root_folder + name`, as ImageDataLayer joins them: without a trailing `/` the names
    run into the folder's."""
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.jpg").write_bytes(b"jpeg")
    (tmp_path / "list.txt").write_text("a.jpg 0\na.jpg 1\n")
    net = (D / "net_missing.prototxt").read_text().replace(
        '"missing_images.txt"', '"list.txt" root_folder: "pics/"')
    (tmp_path / "net.prototxt").write_text(net)
    assert [f.code for f in lint_files(tmp_path / "net.prototxt", data_root=str(tmp_path))
            if f.code.startswith("D")] == []
    (tmp_path / "net.prototxt").write_text(net.replace('"pics/"', '"pics"'))
    found = [f.message for f in lint_files(tmp_path / "net.prototxt", data_root=str(tmp_path))
             if f.code == "D102"]
    assert len(found) == 1 and found[0].startswith(
        "2 of 2 images that ") and "names do not exist under root_folder 'pics'" in found[0]


def test_an_empty_image_is_unreadable_too(tmp_path: Path) -> None:
    """OpenCV's imread returns no image for a 0-byte file (an interrupted copy), as for a
    missing one: Caffe's "Could not load" (checked with real Caffe below)."""
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "b.jpg").write_bytes(b"jpeg")
    (tmp_path / "list.txt").write_text("a.jpg 0\nb.jpg 1\n")
    net = tmp_path / "net.prototxt"
    net.write_text((D / "net_missing.prototxt").read_text().replace(
        '"missing_images.txt"', '"list.txt"'))
    assert [(f.code, f.line, f.column, f.message) for f in lint_files(net, data_root=str(tmp_path))
            if f.code == "D102"] == [
        ("D102", 4, 28, f"1 of 2 images that {tmp_path}/list.txt names are empty (0 bytes: line 1:"
         " 'a.jpg'): Caffe aborts with \"Could not load\" when it reaches one")]


def test_every_lint_reads_the_lists_afresh(tmp_path: Path) -> None:
    """Images that appear after a lint are seen by the next (the language server)."""
    (tmp_path / "list.txt").write_text("a.jpg 0\nb.jpg 1\n")
    net = tmp_path / "net.prototxt"
    net.write_text((D / "net_missing.prototxt").read_text().replace(
        '"missing_images.txt"', '"list.txt"'))
    first = [f.message[:12] for f in lint_files(net, data_root=str(tmp_path))
             if f.code == "D102"]
    (tmp_path / "a.jpg").write_bytes(b"jpeg")
    second = [f.message[:12] for f in lint_files(net, data_root=str(tmp_path))
              if f.code == "D102"]
    assert (first, second) == (["2 of 2 image"], ["1 of 2 image"])


def _construct(oracle: Path | None, net: Path, cwd: Path, *args: str) -> tuple[int, list[str]]:
    """Build ``net`` in TRAIN with real Caffe from ``cwd`` (where it opens the lists): the
    exit code and the FATAL lines' texts."""
    assert oracle is not None
    done = subprocess.run([str(oracle), str(net), "TRAIN", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    code = 134 if done.returncode == -6 else done.returncode  # SIGABRT, as a shell shows it
    return code, [line.split("] ", 1)[1] for line in done.stderr.splitlines()
                  if line.startswith("F")]


def _image_net(tmp_path: Path, names: list[str], shuffle: bool = False) -> Path:
    """One ImageData net over ``names`` (labels 0..2 in turn), its list and images in
    ``tmp_path``; names that are not fixture images are left missing, ``empty*`` ones are
    written empty."""
    (tmp_path / "images").mkdir()
    for name in names:
        if (D / name).is_file():
            (tmp_path / name).write_bytes((D / name).read_bytes())
        elif "empty" in name:
            (tmp_path / name).write_bytes(b"")
    (tmp_path / "list.txt").write_text("".join(f"{n} {i % 3}\n" for i, n in enumerate(names)))
    net = tmp_path / "net.prototxt"
    net.write_text((D / "net_missing.prototxt").read_text().replace(
        '"missing_images.txt"', '"list.txt"').replace(
        "shuffle: true", f"shuffle: {str(shuffle).lower()}"))
    return net


@needs_imagedata
def test_caffe_aborts_at_set_up_on_a_missing_first_image(tmp_path: Path) -> None:
    net = _image_net(tmp_path, ["images/gone.jpg", "images/img1.jpg", "images/img2.jpg"])
    assert [f.message for f in lint_files(net, data_root=str(tmp_path)) if f.code == "D102"] == [
        f"1 of 3 images that {tmp_path}/list.txt names do not exist (line 1:"
        " 'images/gone.jpg'): Caffe aborts with \"Could not load\" when it reaches one"]
    assert _construct(IMAGEDATA, net, tmp_path) == (
        134, ["Check failed: cv_img.data Could not load images/gone.jpg"])


@needs_imagedata
def test_caffe_aborts_when_it_reaches_a_missing_or_empty_image(tmp_path: Path) -> None:
    """Set-up reads the first image only; the prefetch thread (``load_batch``) aborts on the
    first of the others it cannot read, whether missing or empty (mid-epoch, in a long list)."""
    names = ["images/img0.jpg", "images/img1.jpg", "images/empty.jpg", "images/img3.jpg",
             "images/gone.jpg", "images/img5.jpg"]
    net = _image_net(tmp_path, names)
    assert [f.message for f in lint_files(net, data_root=str(tmp_path)) if f.code == "D102"] == [
        f"1 of 6 images that {tmp_path}/list.txt names do not exist (line 5:"
        " 'images/gone.jpg'); 1 more is empty (0 bytes: line 3: 'images/empty.jpg'): Caffe"
        " aborts with \"Could not load\" when it reaches one"]
    assert IMAGEDATA is not None
    done = subprocess.run([str(IMAGEDATA), str(net), "TRAIN", "3"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    # the prefetch thread starts at set-up and runs batches ahead, so whether CONSTRUCT_OK
    # is printed first is a race; where it fails tells: load_batch, not DataLayerSetUp (:77)
    assert done.returncode == -6
    fatal = [line for line in done.stderr.splitlines() if line.startswith("F")]
    # load_batch (the prefetch thread) reads the first image of the second batch at line 129
    assert len(fatal) == 1 and fatal[0].endswith(
        "image_data_layer.cpp:129] Check failed: cv_img.data Could not load images/empty.jpg")


@needs_imagedata
def test_caffe_builds_and_runs_every_list_the_linter_does_not_call_an_abort(
        tmp_path: Path) -> None:
    """D100, D101 and N251 are warnings: Caffe's release build trains on them without a
    message (D100's out-of-range labels read past the scores: garbage, no CHECK), and the
    fixture lists whose images all exist build and run."""
    for name in ("net_labels", "net_from_1", "net_sorted"):
        assert not [f for f in lint_files(D / f"{name}.prototxt", data_root=ROOT)
                    if f.severity.name == "ERROR"], name
        code, fatal = _construct(IMAGEDATA, D / f"{name}.prototxt", D, "2")
        assert (code, fatal) == (0, []), name
