"""Which handler shapes which layer type (the types BVLC Caffe registers and whose
``Reshape`` is known), and the types whose shapes depend on data."""

from __future__ import annotations

from prototxt_lint.shapes.convolution import convolution, im2col
from prototxt_lint.shapes.data_layers import (
    data,
    dummy_data,
    image_data,
    input_layer,
    memory_data,
    window_data,
)
from prototxt_lint.shapes.env import Handler
from prototxt_lint.shapes.joining import concat, eltwise, filter_, slice_
from prototxt_lint.shapes.losses import accuracy, loss
from prototxt_lint.shapes.pooling import lrn, pooling, spp
from prototxt_lint.shapes.reshaping import (
    argmax,
    batch_reindex,
    crop,
    flatten,
    identity,
    no_tops,
    normalize,
    padding_v0,
    permute,
    prelu,
    reduction,
    reshape,
    softmax,
    tile,
)
from prototxt_lint.shapes.weighted import embed, inner_product, parameter, recurrent

IDENTITY_TYPES = frozenset({
    "AbsVal", "BatchNorm", "Bias", "BNLL", "Clip", "Dropout", "ELU", "Exp", "Log",
    "MVN", "Power", "ReLU", "Scale", "Sigmoid", "Split", "Swish", "TanH",
    "Threshold",
})


LOSS_TYPES = frozenset({
    "SoftmaxWithLoss", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss",
    "InfogainLoss", "MultinomialLogisticLoss", "ContrastiveLoss",
})


HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(IDENTITY_TYPES, identity),
    **dict.fromkeys(LOSS_TYPES, loss),
    "Softmax": softmax,
    "Input": input_layer,
    "DummyData": dummy_data,
    "MemoryData": memory_data,
    "Data": data,
    "ImageData": image_data,
    "WindowData": window_data,
    "Convolution": convolution,
    "Deconvolution": convolution,
    "Pooling": pooling,
    "LRN": lrn,
    "SPP": spp,
    "PReLU": prelu,
    "InnerProduct": inner_product,
    "Embed": embed,
    "Concat": concat,
    "Eltwise": eltwise,
    "Slice": slice_,
    "Filter": filter_,
    "Flatten": flatten,
    "Reshape": reshape,
    "Crop": crop,
    "Accuracy": accuracy,
    "ArgMax": argmax,
    "Tile": tile,
    "Reduction": reduction,
    "Im2col": im2col,
    "Parameter": parameter,
    "BatchReindex": batch_reindex,
    "RNN": recurrent,
    "LSTM": recurrent,
    "padding": padding_v0,
    "Permute": permute,
    "Normalize": normalize,
    "Silence": no_tops,
    "HDF5Output": no_tops,
}


#: Types whose output shape depends on data the file does not hold.
DATA_DEPENDENT = {
    "HDF5Data": "shape read from the HDF5 files",
    "Python": "Python layer",
}

