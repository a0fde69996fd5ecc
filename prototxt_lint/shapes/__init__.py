"""Blob shapes per phase, computed the way Caffe computes them while it builds a net.

``Net::Init`` (``src/caffe/net.cpp``) sets layers up in file order; each layer's ``LayerSetUp``
and ``Reshape`` give its tops their shapes from its bottoms' and its parameters. This package
repeats that arithmetic for every layer type whose ``Reshape`` is known (BVLC master, commit
9b891540; each handler names the C++ function it follows), per phase, without running
anything. Dimensions that cannot be known from the file (the channels of an LMDB, the size of
the images an ImageData layer reads without resizing) are ``None`` and stay ``None`` through
every layer, so they never lead to a finding. Python layers, fork layers and types BVLC does
not register make their tops fully unknown (rank unknown).

Where Caffe's set-up would fail a ``CHECK`` (a kernel larger than its padded input, concat
inputs of different sizes, ...) the layer records a :class:`Failure` with the message Caffe
prints; the rules in ``rules/shape_checks.py`` report them. A failed layer's tops are unknown
downstream, so one mistake gives one finding, not a cascade.

Where things are: ``blobs.py`` (the shape records), ``params.py`` (a layer's parameters as
Caffe reads them), ``env.py`` (what a handler works with), one module per family of layer
types (``data_layers``, ``convolution``, ``pooling``, ``joining``, ``reshaping``,
``weighted``, ``recurrent``, ``losses``), ``handlers.py`` (type -> handler) and ``infer.py``
(over a phase).

Public API: :func:`infer_shapes` (phase -> blob -> shape; the language server's hover uses it)
and :func:`net_shapes` (per-layer shapes with failures and weight shapes, kept on the context).
"""

from __future__ import annotations

from prototxt_lint.shapes.blobs import (
    Failure,
    LayerShapes,
    PhaseShapes,
    Shape,
    format_shape,
    shape_string,
)
from prototxt_lint.shapes.infer import infer_phase, infer_shapes, net_shapes
from prototxt_lint.shapes.params import param

__all__ = [
    "Failure",
    "LayerShapes",
    "PhaseShapes",
    "Shape",
    "format_shape",
    "infer_phase",
    "infer_shapes",
    "net_shapes",
    "param",
    "shape_string",
]
