"""Training data read in a fixed order.

Mirrors ``ImageDataLayer::DataLayerSetUp`` / ``load_batch`` (``ShuffleImages`` only when
``image_data_param { shuffle: true }``) in ``src/caffe/layers/image_data_layer.cpp``,
``HDF5DataLayer::LayerSetUp`` / ``LoadHDF5FileData`` (file and row permutations shuffled only
when ``hdf5_data_param { shuffle: true }``) in ``src/caffe/layers/hdf5_data_layer.cpp``, and
``DataLayer`` in ``src/caffe/layers/data_layer.cpp``, which walks the LMDB/LevelDB cursor from
start to end and wraps around, with no shuffle option (BVLC master).
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.model import TEST, TRAIN, LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule
from prototxt_lint.syntax.data_lists import read_image_list, resolve

#: Layer type -> (its parameter message, what it reads).
_SHUFFLABLE = {
    "ImageData": ("image_data_param", "the image list file"),
    "HDF5Data": ("hdf5_data_param", "the HDF5 files (and the rows in each)"),
}


def _used_by_caffe(ctx: NetContext, layer: LayerView) -> bool:
    """Old-syntax layers of a net embedded in a solver are never upgraded, so Caffe does not
    build them (see N223)."""
    return not ctx.root or layer.syntax == "v2"


def _train_layers(ctx: NetContext) -> list[LayerView]:
    """Layers Caffe builds for training only: active in TRAIN and not in TEST (or the solver
    uses this net for TRAIN alone). A net without phase rules, linted on its own, may just
    as well be a test or feature-extraction net (BVLC's `feature_extraction/imagenet_val`),
    where reading in order is what one wants."""
    train = ctx.phase(TRAIN)
    if train is None:
        return []
    test = ctx.phase(TEST)
    return [v for v in train.layers
            if _used_by_caffe(ctx, v) and (test is None or all(v is not t for t in test.layers))]


#: Layers that read class labels: a data layer feeding one is a classifier's input.
_CLASS_READERS = frozenset({"SoftmaxWithLoss", "MultinomialLogisticLoss", "InfogainLoss",
                            "HingeLoss", "Accuracy"})


def _classifies(ctx: NetContext, layer: LayerView) -> bool:
    """Does a top of ``layer`` go straight into a layer that reads class labels? HDF5 files
    also hold regression targets (landmarks, boxes), which have no classes to be sorted by."""
    train = ctx.phase(TRAIN)
    tops = set(layer.tops)
    return train is not None and any(
        v.type in _CLASS_READERS and tops.intersection(v.bottoms) for v in train.layers)


def _shuffles(layer: LayerView, param_name: str) -> bool:
    if layer.syntax == "v0":
        v0 = layer.msg.layer  # V0 "images" had shuffle_images; V0 hdf5_data had no shuffle
        return bool(v0.shuffle_images)
    param = layer.param(param_name)
    return bool(param is not None and param.shuffle)


def _sorted_evidence(ctx: NetContext, layer: LayerView) -> str:
    """", and <list> is sorted by class: ..." when the ImageData list exists where Caffe opens
    it (the data root) and each label's lines are one block."""
    if layer.type != "ImageData" or layer.syntax == "v0":
        return ""
    param = layer.param("image_data_param")
    path = resolve(param.source, ctx.data_root) if param is not None else None
    if path is None:
        return ""
    listed = read_image_list(path, ctx.data_root or "", check_files=False)
    if not listed.class_sorted():
        return ""
    starts = ", ".join(f"{label} from line {n}" for n, label in listed.first_lines[:4])
    more = ", ..." if len(listed.first_lines) > 4 else ""
    return (f", and {param.source} is sorted by class: its {listed.lines} lines hold"
            f" {len(listed.labels)} labels in {listed.runs} blocks ({starts}{more}), so each"
            " batch holds one or two classes")


@net_rule("N251", "unshuffled-training-data", Severity.WARNING,
          "Training ImageData/HDF5Data layer without `shuffle: true`: same order every epoch.")
def unshuffled_training_data(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags an `ImageData` layer used for training without `image_data_param { shuffle: true }`,
    and an `HDF5Data` layer used for training without `hdf5_data_param { shuffle: true }`.
    "Used for training" means active in TRAIN but not in TEST, or in a net the solver uses
    for TRAIN only (`train_net`): a net file without phase rules, linted on its own, may be a
    test or feature-extraction net, where reading in order is wanted. Two or more such layers
    in one training net are left alone: they are parallel inputs (image pairs, as in DeepBit)
    whose rows must stay aligned, which shuffling would break. An `HDF5Data` layer is only
    judged when one of its tops goes into a classifier's loss or Accuracy: HDF5 files
    often hold regression targets (face landmarks, boxes), which have no classes to be
    sorted by. When an `ImageData` list exists where Caffe opens it (relative to the data
    root, `--data-root`) and each label's lines form one block, the message says so, with
    the blocks it found.

    ## Why is this bad?
    `shuffle` defaults to false. `ImageDataLayer` (`src/caffe/layers/image_data_layer.cpp`)
    calls `ShuffleImages` at start-up and at each epoch only when it is set; otherwise it reads
    the list file top to bottom every epoch. `HDF5DataLayer`
    (`src/caffe/layers/hdf5_data_layer.cpp`) likewise permutes its files and rows only with
    `shuffle: true`. Batches then follow the file's order: list files written by walking
    class folders are sorted by class, so each batch holds one or two classes, the gradient
    follows one class at a time instead of averaging over all of them. Even a list
    shuffled once gives identical batches every epoch. TEST layers are not flagged (order does
    not change the scores).

    ## Consequence
    Likely wrong. If the list or HDF5 file is in a meaningful order (often sorted by class),
    training batches follow it, one or two classes per batch, and every epoch sees the same
    batches; Caffe prints nothing and the net still trains.

    ## Example
    ```
    layer { name: "data" type: "ImageData" top: "data" top: "label"
            include { phase: TRAIN }
            image_data_param { source: "train.txt" batch_size: 32 } }
    ```

    ## Use instead
    ```
    layer { name: "data" type: "ImageData" top: "data" top: "label"
            include { phase: TRAIN }
            image_data_param { source: "train.txt" batch_size: 32 shuffle: true } }
    ```

    ## Fix
    Add `shuffle: true` to `image_data_param` / `hdf5_data_param` of the training layer.
    """
    readers = [v for v in _train_layers(ctx) if v.type in _SHUFFLABLE]
    if len(readers) > 1:
        return  # parallel inputs (pairs, triplets): shuffling one would break the rows
    for layer in readers:
        param_name, what = _SHUFFLABLE[layer.type]
        if _shuffles(layer, param_name):
            continue
        if layer.type == "HDF5Data" and not _classifies(ctx, layer):
            continue  # regression targets (landmarks, ...): no classes to be sorted by
        param = layer.param(param_name)
        state = "`shuffle: false`" if param is not None and param.HasField("shuffle") else (
            "no `shuffle: true`")
        hint = f"add `shuffle: true` to `{param_name}`"
        if layer.syntax == "v0":
            hint = "upgrade the file (`upgrade_net_proto_text`), then " + hint
        yield Report(
            layer.at(param_name, "shuffle"),
            f"`{layer.type}` layer \"{layer.name}\" has {state}: Caffe reads {what} in the"
            " same order every epoch, so training batches follow the file's order"
            + (_sorted_evidence(ctx, layer) or " (often sorted by class)"),
            hint=hint,
            phase=TRAIN,
        )


@net_rule("N252", "database-order", Severity.INFO,
          "Training Data layer: LMDB/LevelDB is read in stored order; it must be shuffled.")
def database_order(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Notes the `Data` layers used for training (as defined for N251), once per net: they read
    an LMDB or LevelDB in stored order, so the database itself must have been written in
    shuffled order.

    ## Why is this bad?
    `DataLayer` (`src/caffe/layers/data_layer.cpp`) walks the database cursor from the first
    key to the last and wraps around; there is no shuffle option (`rand_skip` only skips a
    random number of entries once, at start-up). Both backends iterate in key order, and
    `convert_imageset` prefixes each key with the line number, so the order is that of its
    input list unless it ran with `--shuffle`. A database written class by class trains on
    one-class batches, as with an unshuffled `ImageData` list (N251). Nothing in the prototxt
    tells whether the database was shuffled, hence an info note.

    ## Consequence
    Reminder. `DataLayer` reads the database in key order, and whether that order was shuffled
    when the database was written cannot be seen from the prototxt.

    ## Example
    ```
    layer { name: "data" type: "Data" top: "data" top: "label"
            include { phase: TRAIN }
            data_param { source: "train_lmdb" backend: LMDB batch_size: 64 } }
    ```

    ## Use instead
    The same layer, reading a database built with
    `convert_imageset --shuffle images/ train.txt train_lmdb`.

    ## Fix
    Build the training database with `convert_imageset --shuffle` (or shuffle the list
    before writing it); keys written by your own script should not sort by class.
    """
    readers = [v for v in _train_layers(ctx) if v.type == "Data"]
    if not readers:
        return
    # one reminder per net: a second Data layer (labels, a paired input) is read in step
    # with the first, so it is the same question about how the databases were written
    first = readers[0]
    others = f" (and {len(readers) - 1} more Data layers)" if len(readers) > 1 else ""
    yield Report(
        first.at("data_param", "source"),
        f"`Data` layer \"{first.name}\" reads its database in stored (key) order with no"
        f" shuffling{others}: make sure the database was written in shuffled order",
        hint=("build it with `convert_imageset --shuffle` (or from a shuffled list)"
              if len(readers) == 1 else
              "build the databases from one shuffled order, written to all of them alike"
              " (shuffling one alone breaks the pairing of their entries)"),
        phase=TRAIN,
        related=tuple((v.at("data_param", "source"), f"Data layer '{v.name}'")
                      for v in readers[1:]),
    )
