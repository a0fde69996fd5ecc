"""The tops of the data and input layers (``Input``, ``DummyData``, ``MemoryData``, ``Data``,
``ImageData``, ``WindowData``): each one's ``DataLayerSetUp``/``LayerSetUp``."""

from __future__ import annotations

from prototxt_lint.shapes.blobs import Shape, blob_dims
from prototxt_lint.shapes.env import Env


def input_layer(env: Env) -> list[Shape | None]:
    """``InputLayer::LayerSetUp``: one ``shape`` for every top, or one per top."""
    shapes = list(env.p("input_param").shape)
    tops = len(env.layer.tops)
    if not shapes or len(shapes) not in (1, tops):
        return env.unknown("no input shape")
    return [blob_dims(shapes[0 if len(shapes) == 1 else i]) for i in range(tops)]


def dummy_data(env: Env) -> list[Shape | None]:
    """``DummyDataLayer::LayerSetUp``: ``shape`` (one, or one per top) or the legacy
    ``num``/``channels``/``height``/``width`` lists."""
    p = env.p("dummy_data_param")
    tops = len(env.layer.tops)
    legacy = [list(p.num), list(p.channels), list(p.height), list(p.width)]
    if any(legacy):
        if p.shape or any(len(v) not in (1, tops) for v in legacy):
            return env.unknown("dummy_data_param does not fit the tops")
        return [tuple(v[0 if len(v) == 1 else i] for v in legacy) for i in range(tops)]
    shapes = list(p.shape)
    if len(shapes) not in (1, tops):
        return env.unknown("dummy_data_param does not fit the tops")
    return [blob_dims(shapes[0 if len(shapes) == 1 else i]) for i in range(tops)]


def memory_data(env: Env) -> list[Shape | None]:
    """``MemoryDataLayer::DataLayerSetUp``: (batch_size, channels, height, width) and a
    label of shape (batch_size)."""
    p = env.p("memory_data_param")
    dims = (p.batch_size, p.channels, p.height, p.width)
    if not all(dims):
        return env.unknown("memory_data_param incomplete")
    return [dims, (p.batch_size,)]


def _crop_size(env: Env, old: str) -> int:
    """``transform_param.crop_size``; V1/V0 files may still carry it in the data layer's own
    parameter, which ``UpgradeNetDataTransformation`` moves there."""
    crop = int(env.p("transform_param").crop_size)
    if not crop and env.layer.syntax in ("v1", "v0"):
        old_param = env.p(old)
        crop = int(getattr(old_param, "crop_size", 0) or 0)
    return crop


def _data_tops(env: Env, batch: int, image: Shape) -> list[Shape | None]:
    b: int | None = batch or None
    tops: list[Shape | None] = [(b, *image)]
    if len(env.layer.tops) > 1:
        tops.append((b,))  # vector<int> label_shape(1, batch_size)
    return tops + [None] * (len(env.layer.tops) - len(tops))


def data(env: Env) -> list[Shape | None]:
    """``DataLayer::DataLayerSetUp``: ``DataTransformer::InferBlobShape`` of the first datum
    with ``top_shape[0] = batch_size``; channels and size come from the database (unknown
    here) unless ``crop_size`` fixes the size."""
    crop = _crop_size(env, "data_param") or None
    return _data_tops(env, int(env.p("data_param").batch_size), (None, crop, crop))


def image_data(env: Env) -> list[Shape | None]:
    """``ImageDataLayer::DataLayerSetUp``: images are read with ``is_color`` (3 channels,
    else 1), resized to ``new_height`` x ``new_width`` when both are set, then cropped."""
    p = env.p("image_data_param")
    crop = _crop_size(env, "image_data_param")
    channels = 3 if p.is_color else 1
    if crop:
        size: tuple[int | None, int | None] = (crop, crop)
    elif p.new_height > 0 and p.new_width > 0:
        size = (p.new_height, p.new_width)
    else:
        size = (None, None)
    return _data_tops(env, int(p.batch_size), (channels, *size))


def window_data(env: Env) -> list[Shape | None]:
    """``WindowDataLayer::DataLayerSetUp``: (batch_size, channels, crop_size, crop_size)."""
    crop = _crop_size(env, "window_data_param") or None
    return _data_tops(env, int(env.p("window_data_param").batch_size), (None, crop, crop))

