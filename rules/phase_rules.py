"""A layer with both ``include`` and ``exclude`` rules (N302), which ``Net::FilterNet``
(``src/caffe/net.cpp``, BVLC master) refuses.
"""

from __future__ import annotations

from collections.abc import Iterator

from prototxt_lint.caffe.layers import caffe_builds
from prototxt_lint.model import (
    NetContext,
)
from prototxt_lint.plugin import Report, Severity, net_rule


@net_rule("N302", "include-and-exclude", Severity.ERROR,
          "A layer with both `include` and `exclude` rules: Caffe aborts.")
def include_and_exclude(ctx: NetContext) -> Iterator[Report]:
    """
    ## What it does
    Flags a layer that has both `include` and `exclude` rules.

    ## Why is this bad?
    `Net::FilterNet` (`src/caffe/net.cpp`) checks every layer of the file, in every phase,
    before it builds anything: `CHECK(layer_param.include_size() == 0 ||
    layer_param.exclude_size() == 0) << "Specify either include rules or exclude rules; not
    both."`, so Caffe aborts whichever phase it builds.

    ## Consequence
    Aborts at set-up. `Net::FilterNet`, which `Net::Init` runs on every layer before it builds
    anything, fails its `CHECK` whichever phase is built.

    ## Example
    ```
    layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc"
            include { phase: TRAIN } exclude { stage: "deploy" } }
    ```

    ## Use instead
    ```
    layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc"
            include { phase: TRAIN not_stage: "deploy" } }
    ```

    ## Fix
    Keep one kind of rule: an `include` rule can say what an `exclude` rule says with
    `not_stage`, `min_level` and `max_level`.
    """
    if not caffe_builds(ctx):
        return
    for layer in ctx.layers:
        if layer.syntax == "v0" or not (layer.msg.include and layer.msg.exclude):
            continue
        yield Report(
            layer.at("exclude", 0),
            f"layer '{layer.name}' has both `include` and `exclude` rules: Caffe aborts"
            ' with "Specify either include rules or exclude rules; not both." whichever'
            " phase it builds",
            hint="keep only `include` rules (use `not_stage` for what `exclude` said)",
        )

