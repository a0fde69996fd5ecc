"""What Caffe's CHECK and FATAL lines mean, with the Caffe source line that writes them and
the static rule that predicts them (measured on BVLC Caffe 9b891540; see
../shared/caffe-behaviour/README.md)."""

from __future__ import annotations

#: (source file:line or file prefix, words in the message) -> (meaning, rule codes)
FATALS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("sgd_solver.cpp:33", "stepsize", "lr_policy \"step\" without a positive stepsize:"
     " Caffe aborts at the first update", ("S103",)),
    ("sgd_solver.cpp:62", "stepsize", "lr_policy \"sigmoid\" without a positive stepsize",
     ("S103",)),
    ("sgd_solver.cpp:67", "Unknown learning rate policy", "the solver's lr_policy is missing"
     " or not one of fixed, step, exp, inv, multistep, poly, sigmoid", ("S105",)),
    ("pooling_layer.cpp:74", "pad_h_ < kernel_h_", "a Pooling pad is not smaller than its"
     " kernel", ("N203",)),
    ("pooling_layer.cpp:18", "Global_pooling", "global_pooling with a kernel size", ("N204",)),
    ("insert_splits.cpp:29", "Unknown bottom blob", "a layer reads a blob no earlier layer"
     " produces", ("N261",)),
    ("net.cpp:377", "produced by multiple sources", "two layers write the same top blob",
     ("N301",)),
    ("layer_factory.hpp:81", "Unknown layer type", "the layer type is not registered in"
     " this Caffe build (type names are case-sensitive)", ("N311", "N312")),
    ("base_conv_layer.cpp:119", "num_output_ > 0", "a Convolution without num_output", ("N321",)),
    ("blob.cpp:133", "data_", "a blob of zero size: usually an InnerProduct without"
     " num_output or a kernel that leaves a 0x0 output", ("N321", "N401")),
    ("blob.cpp:32", "shape[i] >= 0", "a negative output size: a kernel larger than its"
     " (padded) input", ("N401",)),
    ("filler.hpp:149", "blob->count()", "a filler on an empty blob: InnerProduct without"
     " num_output, or a zero-sized bottom", ("N321", "N402")),
    ("upgrade_proto.cpp:671", "Refusing to upgrade", "the net mixes V1 `layers` and V2"
     " `layer`", ("N221",)),
    ("upgrade_proto.cpp:90", "Failed to parse", "the prototxt does not parse", ("P001", "P002")),
    ("infogain_loss_layer.cpp:36", "normalize", "InfogainLoss rejects loss_param.normalize"
     " (true or false)", ("N243",)),
    ("math_functions.cpp:322", "p >= 0", "Dropout with dropout_ratio > 1", ("N322",)),
    ("net.cpp:759", "Cannot copy param", "weights loaded by layer name into a layer of"
     " another shape (often a duplicate layer name)", ("N303",)),
    ("hdf5_data_layer.cpp", "", "an HDF5Data source list or file that cannot be read", ()),
    ("db_lmdb.cpp", "", "an LMDB source that cannot be opened", ()),
    ("io.cpp", "", "a prototxt or binary proto that cannot be read", ()),
]


#: CUDA_CHECK (include/caffe/util/device_alternate.hpp) fails anywhere with
#: ``Check failed: error == cudaSuccess (N vs. 0)  <cudaGetErrorString>``.
CUDA_CHECK = "error == cudaSuccess"
CUDA_ERRORS: list[tuple[str, str]] = [
    ("illegal memory access", "a GPU kernel read or wrote out of bounds; in a loss or"
     " Accuracy layer most often a label outside [0, number of classes) (only a debug build"
     " checks it: DCHECK in softmax_loss_layer.cpp)"),
    ("out of memory", "the GPU ran out of memory: lower batch_size (each GPU of a"
     " multi-GPU run holds a whole batch)"),
]


def _cuda(message: str) -> str:
    what = next((m for words, m in CUDA_ERRORS if words in message), "")
    return ("a CUDA call failed (CUDA_CHECK); " + (what + "; " if what else "")
            + "CUDA reports a kernel's error at a later call, so the layer named is where it"
            " was noticed, not necessarily where it happened (rerun with"
            " CUDA_LAUNCH_BLOCKING=1 to pin it down)")


def explain_fatal(source: str, message: str) -> tuple[str, tuple[str, ...]]:
    """What a FATAL line means and which rules predict it ("" when unknown)."""
    if CUDA_CHECK in message:
        return _cuda(message), ()
    file = source.partition(":")[0]
    for where, words, meaning, codes in FATALS:
        if (where == source or (":" not in where and where == file)) and words in message:
            return meaning, codes
    for where, words, meaning, codes in FATALS:  # line numbers differ between versions
        if where.partition(":")[0] == file and words and words in message:
            return meaning, codes
    return "", ()
