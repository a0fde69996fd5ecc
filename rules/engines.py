"""`engine: CUDNN`: the layer implementations ``src/caffe/layer_factory.cpp`` (BVLC master)
creates per engine. A Caffe built without cuDNN (``USE_CUDNN`` off: every CPU-only build)
knows only the CAFFE engine and aborts on CUDNN; one built with it cannot run a dilated
convolution with cuDNN and aborts too.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import ENGINE_PARAMS, set_up_layers
from prototxt_lint.model import LayerView, NetContext
from prototxt_lint.plugin import Report, Severity, net_rule, one_per_cause
from prototxt_lint.syntax.parser import Path

#: ``*Parameter_Engine_CUDNN``, the same number in every engine enum of caffe.proto.
_CUDNN = 2


def _cudnn_layers(ctx: NetContext) -> Iterator[tuple[LayerView, list[str], Path, bool]]:
    """Layers that ask for `engine: CUDNN`: (layer, phases, the engine field, dilated:
    a Convolution/Deconvolution with a dilation above 1)."""
    for layer, phases in set_up_layers(ctx, *ENGINE_PARAMS):
        field = ENGINE_PARAMS[layer.type]
        param = layer.param(field)
        if param is None or param.engine != _CUDNN:
            continue
        dilated = field == "convolution_param" and any(d > 1 for d in param.dilation)
        yield layer, phases, layer.at(field, "engine"), dilated


@net_rule("N335", "cudnn-engine", Severity.INFO,
          "`engine: CUDNN`: only a Caffe built with cuDNN can create this layer.")
def cudnn_engine(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Reminds that a net whose layers ask for `engine: CUDNN` (Convolution, Deconvolution,
    Pooling, LRN, ReLU, Sigmoid, Softmax, SoftmaxWithLoss's softmax, TanH) runs only on a
    Caffe built with cuDNN. One finding per net, at the first such layer, the others as
    related places.

    ## Why is this bad?
    The layer factory (`src/caffe/layer_factory.cpp`, `GetConvolutionLayer` and the
    others) returns a cuDNN layer for CUDNN only `#ifdef USE_CUDNN`; without it the engine
    falls through to `LOG(FATAL) << "Layer " << param.name() << " has unknown engine."`.
    Every CPU-only build (`CPU_ONLY`) and a GPU build without cuDNN is such a build. The
    default engine (not writing one) picks cuDNN where the build has it and Caffe's own
    implementation otherwise, so a net that writes none runs everywhere.

    ## Consequence
    Reminder. With cuDNN the net is fine; a Caffe built without it aborts at set-up with
    `Layer conv1 has unknown engine.` (measured with a CPU-only construct_net).

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 engine: CUDNN } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 } }
    ```

    ## Fix
    Leave `engine` out (the default uses cuDNN where it is built in), or run the net with
    a Caffe built with `USE_CUDNN`.
    """
    by_phase: dict[str, list[tuple[LayerView, Path]]] = {}
    for layer, phases, at, dilated in _cudnn_layers(ctx):
        if dilated:
            continue  # N336: aborts in every build
        for phase in phases:
            by_phase.setdefault(phase, []).append((layer, at))
    for phase, places in by_phase.items():
        layer = places[0][0]
        yield one_per_cause(
            [(at, f"layer '{v.name}'") for v, at in places],
            f"{layer.type} layer '{layer.name}' asks for `engine: CUDNN`: only a Caffe built"
            " with cuDNN (USE_CUDNN) has it; a build without cuDNN (every CPU-only build)"
            f' aborts at net setup with "Layer {layer.name} has unknown engine."', "layers",
            hint="leave `engine` out: the default uses cuDNN where the build has it",
            phase=phase)


@net_rule("N336", "cudnn-dilated-convolution", Severity.ERROR,
          "`engine: CUDNN` on a dilated convolution: Caffe aborts in every build.")
def cudnn_dilated_convolution(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a Convolution or Deconvolution with `engine: CUDNN` and a `dilation` above 1.

    ## Why is this bad?
    `GetConvolutionLayer` and `GetDeconvolutionLayer` (`src/caffe/layer_factory.cpp`) in a
    build with cuDNN refuse a dilated convolution on the CUDNN engine (`LOG(FATAL) <<
    "CuDNN doesn't support the dilated convolution at Layer " << param.name()`); a build
    without cuDNN has no CUDNN engine at all (`Layer ... has unknown engine.`). The default
    engine uses Caffe's own convolution for dilated ones.

    ## Consequence
    Aborts at set-up. With cuDNN: `CuDNN doesn't support the dilated convolution at Layer
    conv1`; without (measured with a CPU-only construct_net): `Layer conv1 has unknown
    engine.`

    ## Example
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 16 dim: 16 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 dilation: 2 engine: CUDNN } }
    ```

    ## Use instead
    ```
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 16 dim: 16 }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
            convolution_param { num_output: 4 kernel_size: 3 dilation: 2 } }
    ```

    ## Fix
    Leave `engine` out (or write `engine: CAFFE`) on dilated convolutions.
    """
    for layer, phases, at, dilated in _cudnn_layers(ctx):
        if not dilated:
            continue
        kind = "deconvolution" if layer.type == "Deconvolution" else "convolution"
        for phase in phases:
            yield Report(
                at, f"{layer.type} layer '{layer.name}' is dilated and asks for `engine: CUDNN`:"
                f" Caffe aborts at net setup in every build, with cuDNN \"CuDNN doesn't support"
                f' the dilated {kind} at Layer {layer.name}", without it "Layer {layer.name}'
                ' has unknown engine."',
                hint="leave `engine` out: the default runs dilated convolutions with Caffe's"
                " own implementation", phase=phase)
