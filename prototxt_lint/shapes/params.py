"""A layer's parameter message as Caffe reads it, with V0's flat fields (``LayerParameter``
in ``upgrade_proto.cpp``) and the defaults of a parameter the file does not write."""

from __future__ import annotations

from typing import Any

from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.schema import bvlc_schema

#: V0 names of the fields the findings point at (``UpgradeV0LayerParameter``).
V0_FIELDS = {"kernel_size": "kernelsize", "group": "group", "num_output": "num_output",
              "weight_filler": "weight_filler", "bias_filler": "bias_filler"}


def field_param(layer: LayerView, name: str, schema: Any) -> Any:
    """The layer's ``name`` parameter message with Caffe's defaults where not written. V0
    layers keep their parameters flat; they are mapped the way ``UpgradeV0LayerParameter``
    (``src/caffe/util/upgrade_proto.cpp``) maps them."""
    # a BVLC field the fork lacks (given back for the engine, see Schema.absent) is not the
    # fork's: HED's Crop has no crop_param, and crops otherwise
    if (layer.msg.DESCRIPTOR.full_name, name) in schema.absent:
        return None
    if layer.syntax != "v0" and name in layer.msg.DESCRIPTOR.fields_by_name:
        return _Defaults.wrap(getattr(layer.msg, name))
    found = _v0_param(layer.msg.layer, name, schema) if layer.syntax == "v0" else None
    if found is None:  # not in this syntax: Caffe's defaults
        fields = schema.descriptor("LayerParameter").fields_by_name
        if name in fields and fields[name].message_type is not None:
            found = schema.message_class(fields[name].message_type.name)()
    return None if found is None else _Defaults.wrap(found)


class _Defaults:
    """A parameter message whose fields missing from the schema in use (an older fork's: no
    ``dilation``, no ``transpose``, no ``axis``) read as BVLC's defaults, which is how that
    older Caffe behaves: the feature did not exist yet."""

    def __init__(self, msg: Any, fallback: Any) -> None:
        self._msg = msg
        self._fallback = fallback
        self._fields = msg.DESCRIPTOR.fields_by_name

    @staticmethod
    def wrap(msg: Any) -> Any:
        bvlc = bvlc_schema()
        name = msg.DESCRIPTOR.name
        if msg.DESCRIPTOR.file is bvlc.file or not bvlc.has_message(name):
            return msg
        return _Defaults(msg, bvlc.message_class(name)())

    def __getattr__(self, name: str) -> Any:
        if name in self._fields or name not in self._fallback.DESCRIPTOR.fields_by_name:
            return getattr(self._msg, name)  # a field of the schema in use, or a method
        return getattr(self._fallback, name)

    def HasField(self, name: str) -> bool:  # protobuf's name
        return name in self._fields and bool(self._msg.HasField(name))


def _v0_param(v0: Any, name: str, schema: Any) -> Any:
    type_name = {
        "convolution_param": "ConvolutionParameter",
        "pooling_param": "PoolingParameter",
        "inner_product_param": "InnerProductParameter",
        "concat_param": "ConcatParameter",
        "data_param": "DataParameter",
        "image_data_param": "ImageDataParameter",
        "window_data_param": "WindowDataParameter",
        "transform_param": "TransformationParameter",
    }.get(name)
    if type_name is None or not schema.has_message(type_name):
        return None
    param = schema.message_class(type_name)()
    if name == "convolution_param":
        if v0.HasField("num_output"):
            param.num_output = v0.num_output
        param.bias_term = v0.biasterm
        for name_v2, name_v0 in (("kernel_size", "kernelsize"), ("pad", "pad"),
                                 ("stride", "stride")):
            if v0.HasField(name_v0):
                if isinstance(getattr(param, name_v2), int):  # an old schema: one value
                    setattr(param, name_v2, getattr(v0, name_v0))
                else:
                    getattr(param, name_v2).append(getattr(v0, name_v0))
        param.group = v0.group
        if v0.HasField("weight_filler"):
            param.weight_filler.CopyFrom(v0.weight_filler)
        if v0.HasField("bias_filler"):
            param.bias_filler.CopyFrom(v0.bias_filler)
    elif name == "pooling_param":
        if v0.HasField("kernelsize"):
            param.kernel_size = v0.kernelsize
        param.stride = v0.stride
        param.pad = v0.pad
        param.pool = v0.pool
    elif name == "inner_product_param":
        if v0.HasField("num_output"):
            param.num_output = v0.num_output
        param.bias_term = v0.biasterm
        if v0.HasField("weight_filler"):
            param.weight_filler.CopyFrom(v0.weight_filler)
        if v0.HasField("bias_filler"):
            param.bias_filler.CopyFrom(v0.bias_filler)
    elif name == "concat_param":
        if v0.HasField("concat_dim"):
            param.concat_dim = v0.concat_dim
    elif name in ("data_param", "image_data_param", "window_data_param"):
        if v0.HasField("batchsize"):
            param.batch_size = v0.batchsize
        if name == "image_data_param":
            param.new_height = max(v0.new_height, 0)
            param.new_width = max(v0.new_width, 0)
    elif name == "transform_param":
        param.crop_size = v0.cropsize
    return param


def param(layer: LayerView, name: str, ctx: NetContext) -> Any:
    """Public form of the parameter accessor (fillers use it for V0 layers too)."""
    return field_param(layer, name, ctx.schema)

