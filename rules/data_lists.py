"""The list files that ``ImageData`` and ``HDF5Data`` layers read, when they exist where Caffe
opens them (relative to the data root: ``--data-root``, the configuration's ``data-root``,
else the current directory); see :mod:`prototxt_lint.syntax.data_lists`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prototxt_lint.model import LayerView, NetContext, PhaseNet
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.shapes import net_shapes
from prototxt_lint.syntax.data_lists import ImageList, read_hdf5_list, read_image_list, resolve

#: layers that read class indices from their second bottom
_CLASS_READERS = ("SoftmaxWithLoss", "MultinomialLogisticLoss", "InfogainLoss", "HingeLoss",
                  "Accuracy")


def _root(ctx: NetContext) -> str:
    return ctx.data_root or os.getcwd()


def _image_layers(ctx: NetContext) -> Iterator[tuple[PhaseNet, LayerView, str]]:
    """Each ImageData layer once (its first phase), with its list where Caffe opens it."""
    seen: set[int] = set()
    for phase in ctx.phases:
        for layer in phase.layers:
            if layer.type != "ImageData" or id(layer) in seen or layer.syntax == "v0":
                continue
            seen.add(id(layer))
            param = layer.param("image_data_param")
            path = resolve(param.source, ctx.data_root) if param is not None else None
            if path is not None:
                yield phase, layer, path


def _list(ctx: NetContext, layer: LayerView, path: str) -> ImageList:
    param = layer.param("image_data_param")
    return read_image_list(path, _root(ctx), param.root_folder if param is not None else "")


def _classes(ctx: NetContext, phase: PhaseNet, layer: LayerView) -> tuple[Any, int | None]:
    """The layer reading ``layer``'s labels as class indices, and how many classes its
    prediction has (the prediction's axis-1 size, as ``prototxt-lint shapes`` infers it)."""
    if len(layer.tops) < 2:
        return None, None
    label = layer.tops[1]
    readers = [phase.layers[i] for i in phase.readers(label)]
    readers = [v for v in readers if v.type in _CLASS_READERS and len(v.bottoms) > 1
               and v.bottoms[1] == label]
    readers.sort(key=lambda v: v.type == "Accuracy")  # a loss first
    if not readers:
        return None, None
    reader = readers[0]
    shapes = next((s for s in net_shapes(ctx) if s.phase is phase), None)
    here = shapes.of(reader) if shapes is not None else None
    pred = here.bottoms[0] if here is not None and here.bottoms else None
    classes = pred[1] if pred is not None and len(pred) > 1 else None
    if classes is None:  # shapes unknown: the num_output of the layer making the prediction
        producer = phase.producer(reader, reader.bottoms[0])
        field = {"InnerProduct": "inner_product_param", "Convolution": "convolution_param"}
        param = producer.param(field[producer.type]) if producer is not None and \
            producer.type in field else None
        classes = int(param.num_output) if param is not None and param.num_output else None
    return reader, classes


def _ignore_label(reader: Any) -> int | None:
    param = reader.param("loss_param") if reader.type != "Accuracy" else reader.param(
        "accuracy_param")
    if param is not None and param.HasField("ignore_label"):
        return int(param.ignore_label)
    return None


def _at(layer: LayerView) -> tuple[str | int, ...]:
    return layer.at("image_data_param", "source")


def _shown(path: str) -> str:
    shown = os.path.relpath(path)
    return path if shown.startswith(os.pardir) else shown


@net_rule("D100", "labels-out-of-range", Severity.WARNING,
          "An ImageData list's labels are not all below the classifier's num_output.")
def labels_out_of_range(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Reads the list file of each `ImageData` layer (when it exists where Caffe opens it) and
    compares its labels with the number of classes of the prediction the loss (or Accuracy)
    reading those labels gets: every label but the loss's `ignore_label` must be in
    `0 .. num_output - 1`.

    ## Why is this bad?
    `SoftmaxWithLossLayer::Forward_cpu` (`src/caffe/layers/softmax_loss_layer.cpp`) checks
    the label only with `DCHECK_LT(label_value, prob_.shape(softmax_axis_))`, compiled out
    of release builds: it reads the probability at `label * inner_num_`, past the sample's
    own (another sample's, or past the blob), and `Backward_cpu` writes there. Measured with
    BVLC Caffe (3 classes, every label 3): no message, loss 22.68 at every iteration; label
    7: 44.12.

    ## Consequence
    Likely wrong. If this is the list Caffe reads (relative to the data root), the samples
    with those labels train on another sample's score, silently, and the gradient is written
    outside their own.

    ## Example
    `train.txt` holds labels 1 to 3 (numbered from 1), and the classifier has 3 outputs:
    ```
    ~ layer { name: "data" type: "ImageData" top: "data" top: "label"
    ~         image_data_param { source: "labels_from_1.txt" batch_size: 2 shuffle: true
    ~                            new_height: 8 new_width: 8 } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 3 } }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
    ```

    ## Use instead
    ```
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 4 } }
    ```

    ## Fix
    Number the labels from 0, or raise the classifier's `num_output` to the largest label
    plus one (or set `ignore_label` for a label meant to be skipped).
    """
    for phase, layer, path in _image_layers(ctx):
        reader, classes = _classes(ctx, phase, layer)
        if reader is None or classes is None:
            continue
        listed = _list(ctx, layer, path)
        ignore = _ignore_label(reader)
        bad = sorted(k for k in listed.labels if k != ignore and not 0 <= k < classes)
        if not bad:
            continue
        lines = sum(listed.labels[k] for k in bad)
        start = (" (the labels start at 1: numbered from 1 instead of 0?)"
                 if listed.smallest == 1 else "")
        shown = ", ".join(str(k) for k in bad[:5]) + (", ..." if len(bad) > 5 else "")
        yield Report(
            _at(layer),
            f"{_shown(path)} has labels outside 0..{classes - 1} ({shown}; {lines} of"
            f" {listed.lines} lines){start}: the {reader.type} '{reader.name}' gets"
            f" {classes} classes, and Caffe's release build reads and writes past each such"
            " sample's scores without a message",
            hint="number the labels from 0, or give the classifier one output per label",
            phase=phase.name)


@net_rule("D101", "labels-start-at-one", Severity.WARNING,
          "An ImageData list's labels start at 1: class 0 is never trained.")
def labels_start_at_one(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an `ImageData` list whose smallest label is 1 or more while its labels all fit
    the classifier (otherwise D100 says it).

    ## Why is this bad?
    Caffe's classes are 0-based: `SoftmaxWithLossLayer` (`src/caffe/layers/softmax_loss_layer.cpp`)
    reads the label as an index. Labels numbered from 1 leave output 0 without examples and,
    once the classifier is sized to the number of classes, put the last class out of range.

    ## Consequence
    Likely wrong. If the labels were numbered from 1 by mistake, output 0 is trained only as
    a negative and predictions are shifted by one against the class names.

    ## Example
    ```
    ~ layer { name: "data" type: "ImageData" top: "data" top: "label"
    ~         image_data_param { source: "labels_from_1.txt" batch_size: 2 shuffle: true
    ~                            new_height: 8 new_width: 8 } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 4 } }
    ~ layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
    ```

    ## Use instead
    A list numbered from 0 (`0` to `2`) with `num_output: 3`.

    ## Fix
    Subtract 1 from every label of the list and size the classifier to the classes.
    """
    for phase, layer, path in _image_layers(ctx):
        reader, classes = _classes(ctx, phase, layer)
        if reader is None or classes is None:
            continue
        listed = _list(ctx, layer, path)
        ignore = _ignore_label(reader)
        labels = [k for k in listed.labels if k != ignore]
        if not labels or min(labels) < 1 or max(labels) >= classes:
            continue
        yield Report(
            _at(layer),
            f"{_shown(path)}'s labels start at {min(labels)} (largest {max(labels)}, {classes}"
            f" outputs): no line has label 0, so output 0 of the {reader.type}"
            f" '{reader.name}' never gets an example",
            hint="number the labels from 0", phase=phase.name)


@net_rule("D102", "listed-images-missing", Severity.ERROR,
          "Image files an ImageData list names do not exist: Caffe aborts when it reaches one.")
def listed_images_missing(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Checks that the files an `ImageData` list names exist (as `root_folder` + name, relative
    to the data root) and are not empty (0 bytes, as an interrupted copy leaves them), for the
    first 100000 lines; reports how many are missing or empty and a sample. Images are not
    opened.

    ## Why is this bad?
    `ImageDataLayer::load_batch` (`src/caffe/layers/image_data_layer.cpp`) reads each image
    with `ReadImageToCVMat` and checks `CHECK(cv_img.data) << "Could not load " << name`;
    OpenCV's `imread` returns no image for a missing file and for an empty one alike.

    ## Consequence
    Aborts at run time. Caffe stops when it reaches the first missing file (at set-up when it
    is the first line), possibly hours into training.

    ## Example
    ```
    layer { name: "data" type: "ImageData" top: "data" top: "label"
            image_data_param { source: "missing_images.txt" batch_size: 2 shuffle: true } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "ImageData" top: "data" top: "label"
            image_data_param { source: "labels_from_0.txt" batch_size: 2 shuffle: true } }
    ```

    ## Fix
    Regenerate the list from the files that exist, or set `root_folder` (Caffe prepends it to
    every name as text: end it with `/`).
    """
    for phase, layer, path in _image_layers(ctx):
        listed = _list(ctx, layer, path)
        if not listed.missing and not listed.empty:
            continue
        of = (f"of the first {listed.checked} checked" if listed.checked < listed.lines
              else f"of {listed.lines}")
        param = layer.param("image_data_param")
        folder = f" under root_folder {param.root_folder!r}" if param.root_folder else ""
        parts = []
        if listed.missing:
            parts.append(f"{listed.missing} {of} images that {_shown(path)} names do not exist"
                         f"{folder} ({_sample(listed.missing_sample, listed.missing)})")
        if listed.empty:
            sample = _sample(listed.empty_sample, listed.empty)
            verb = "is" if listed.empty == 1 else "are"
            parts.append(f"{listed.empty} more {verb} empty (0 bytes: {sample})" if listed.missing
                         else f"{listed.empty} {of} images that {_shown(path)} names are empty"
                         f"{folder} (0 bytes: {sample})")
        yield Report(
            _at(layer),
            "; ".join(parts) + ": Caffe aborts with \"Could not load\" when it reaches one",
            hint="regenerate the list, or fix root_folder / the data root (--data-root)",
            phase=phase.name)


def _sample(sample: list[tuple[int, str]], count: int) -> str:
    text = ", ".join(f"line {n}: {name!r}" for n, name in sample)
    return text + (", ..." if count > len(sample) else "")


@net_rule("D103", "hdf5-list-files-missing", Severity.ERROR,
          "HDF5 files an HDF5Data list names do not exist: Caffe aborts when it opens one.")
def hdf5_list_files_missing(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Checks that every file an `HDF5Data` layer's list names exists (relative to the data
    root), and that the list names at least one.

    ## Why is this bad?
    `HDF5DataLayer::LoadHDF5FileData` (`src/caffe/layers/hdf5_data_layer.cpp`) opens each
    file when it gets to it: `LOG(FATAL) << "Failed opening HDF5 file: " << filename`; an
    empty list fails `CHECK_GE(num_files_, 1) << "Must have at least 1 HDF5 filename listed"`.

    ## Consequence
    Aborts at run time. The first file is opened at set-up, the others when the layer moves
    on to them, mid-epoch.

    ## Example
    ```
    layer { name: "data" type: "HDF5Data" top: "data" top: "label"
            hdf5_data_param { source: "missing_h5.txt" batch_size: 2 } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "HDF5Data" top: "data" top: "label"
            hdf5_data_param { source: "h5_list.txt" batch_size: 2 } }
    ```

    ## Fix
    List the files that exist, with paths relative to where caffe runs.
    """
    seen: set[int] = set()
    for phase in ctx.phases:
        for layer in phase.layers:
            if layer.type != "HDF5Data" or id(layer) in seen or layer.syntax == "v0":
                continue
            seen.add(id(layer))
            param = layer.param("hdf5_data_param")
            path = resolve(param.source, ctx.data_root) if param is not None else None
            if path is None:
                continue
            listed = read_hdf5_list(path, _root(ctx))
            at = layer.at("hdf5_data_param", "source")
            if not listed.names:
                yield Report(at, f"{_shown(path)} names no file: Caffe aborts with \"Must have"
                             " at least 1 HDF5 filename listed\"", phase=phase.name)
            elif listed.missing:
                sample = ", ".join(repr(n) for n in listed.missing_sample)
                more = ", ..." if listed.missing > len(listed.missing_sample) else ""
                yield Report(
                    at, f"{listed.missing} of {listed.names} files that {_shown(path)} names do"
                    f" not exist ({sample}{more}): Caffe aborts with \"Failed opening HDF5"
                    " file\" when it gets to one",
                    hint="list the files that exist, relative to where caffe runs"
                    " (--data-root)", phase=phase.name)
