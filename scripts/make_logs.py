"""Train tiny nets with the real BVLC Caffe (../shared/caffe-oracle) and keep their logs as
test fixtures: tests/fixtures/logs/CASE/{net.prototxt,solver.prototxt,caffe.log}.

    python scripts/make_logs.py [CASE ...] [--out DIR]

Every net reads synthetic data from DummyData (this Caffe build has no OpenCV and no Python
layers), trains a few iterations on the CPU with random_seed 1, and the whole stderr of
`caffe train` is the log, unedited. The exit code of Caffe is written to caffe.exit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "fixtures" / "logs"
BUILD = REPO.parent / "shared" / "caffe-oracle" / "build.sh"


#: Labels: all 1 (a net can learn it), or random classes 0-3 (uniform, truncated by Caffe).
CONSTANT = 'type: "constant" value: 1'
RANDOM = 'type: "uniform" min: 0 max: 3.99'


def data(shape: str = "32 1 10 10", filler: str = 'type: "gaussian" std: 1',
         label: str = CONSTANT) -> str:
    dims = " ".join(f"dim: {d}" for d in shape.split())
    return f"""layer {{
  name: "data"
  type: "DummyData"
  top: "data"
  top: "label"
  dummy_data_param {{
    shape {{ {dims} }}
    shape {{ dim: {shape.split()[0]} }}
    data_filler {{ {filler} }}
    data_filler {{ {label} }}
  }}
}}
"""


def phase_data(phase: str, label: str) -> str:
    """A DummyData layer for one phase only (TRAIN and TEST may read different data)."""
    return data(label=label).replace('  top: "label"\n',
                                     f'  top: "label"\n  include {{ phase: {phase} }}\n', 1)


def conv(bottom: str = "data") -> str:
    return f"""layer {{
  name: "conv1"
  type: "Convolution"
  bottom: "{bottom}"
  top: "conv1"
  convolution_param {{
    num_output: 4
    pad: 1
    kernel_size: 3
    weight_filler {{ type: "xavier" }}
  }}
}}
"""


def relu(name: str, blob: str) -> str:
    return f"""layer {{
  name: "{name}"
  type: "ReLU"
  bottom: "{blob}"
  top: "{blob}"
}}
"""


def pool(method: str = "MAX", kernel: int = 2, stride: int = 2) -> str:
    return f"""layer {{
  name: "pool1"
  type: "Pooling"
  bottom: "conv1"
  top: "pool1"
  pooling_param {{
    pool: {method}
    kernel_size: {kernel}
    stride: {stride}
  }}
}}
"""


def head(bottom: str = "pool1") -> str:
    return f"""layer {{
  name: "ip1"
  type: "InnerProduct"
  bottom: "{bottom}"
  top: "ip1"
  inner_product_param {{
    num_output: 16
    weight_filler {{ type: "xavier" }}
  }}
}}
{relu("relu2", "ip1")}layer {{
  name: "ip2"
  type: "InnerProduct"
  bottom: "ip1"
  top: "ip2"
  inner_product_param {{
    num_output: 4
    weight_filler {{ type: "xavier" }}
  }}
}}
layer {{
  name: "loss"
  type: "SoftmaxWithLoss"
  bottom: "ip2"
  bottom: "label"
  top: "loss"
}}
layer {{
  name: "accuracy"
  type: "Accuracy"
  bottom: "ip2"
  bottom: "label"
  top: "accuracy"
  include {{ phase: TEST }}
}}
"""


def lr_mult(body: str, layer: str, mult: float) -> str:
    """``body`` with ``param { lr_mult: mult }`` on the weights and bias of ``layer``."""
    start = body.index(f'  name: "{layer}"\n')
    end = body.index("\n", body.index("  top:", start)) + 1
    params = f"  param {{ lr_mult: {mult:g} }}\n" * 2
    return body[:end] + params + body[end:]


def batchnorm() -> str:
    return """layer {
  name: "bn1"
  type: "BatchNorm"
  bottom: "conv1"
  top: "conv1"
  batch_norm_param { use_global_stats: true }
}
layer {
  name: "scale1"
  type: "Scale"
  bottom: "conv1"
  top: "conv1"
  scale_param { bias_term: true }
}
"""


def net(body: str) -> str:
    return 'name: "tiny"\n' + body


def solver(base_lr: float = 0.01, policy: str = "fixed", max_iter: int | None = 8,
           debug: bool = True, extra: str = "", display: int = 1) -> str:
    lines = [
        'net: "net.prototxt"',
        "test_iter: 1",
        "test_interval: 4",
        f"base_lr: {base_lr:g}",
        f'lr_policy: "{policy}"',
        "momentum: 0.9",
        f"display: {display}",
        "random_seed: 1",
        "solver_mode: CPU",
        'snapshot_prefix: "tiny"',
        "snapshot_after_train: false",
    ]
    if max_iter is not None:
        lines.append(f"max_iter: {max_iter}")
    if debug:
        lines.append("debug_info: true")
    return "\n".join(lines) + "\n" + extra


CASES: dict[str, tuple[str, str]] = {
    "healthy": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                solver()),
    "huge_lr": (net(data(label=RANDOM) + conv() + relu("relu1", "conv1") + pool() + head()),
                solver(base_lr=1000, max_iter=10)),
    "huge_lr_nodebug": (net(data(label=RANDOM) + conv() + relu("relu1", "conv1") + pool() + head()),
                        solver(base_lr=1000, max_iter=10, debug=False)),
    # one layer's lr is huge (lr_mult 1e5 on ip1, base_lr 0.01): its values explode first,
    # though ip2 after it is the first to grow 1e4x (it compounds ip1's growth)
    "huge_lr_mult": (net(lr_mult(data(label=RANDOM) + conv() + relu("relu1", "conv1") + pool()
                                 + head(), "ip1", 1e5)), solver(max_iter=10)),
    # the same on the first layer (lr_mult 1e6 on conv1): ip1 crosses 1e4x first, conv1 starts it
    "huge_lr_mult_conv1": (net(lr_mult(data(label=RANDOM) + conv() + relu("relu1", "conv1")
                                       + pool() + head(), "conv1", 1e6)), solver(max_iter=10)),
    "bn_global_stats": (net(data(label=RANDOM) + conv() + batchnorm()
                            + relu("relu1", "conv1") + pool() + head()), solver()),
    "unscaled_input": (net(data(filler='type: "uniform" min: 0 max: 255',
                                label=RANDOM) + conv()
                           + relu("relu1", "conv1") + pool() + head()), solver()),
    "ave_pool_stride": (net(data() + conv() + relu("relu1", "conv1") + pool("AVE", 3, 5)
                            + head()), solver(max_iter=3)),
    "max_pool_stride": (net(data() + conv() + relu("relu1", "conv1") + pool("MAX", 3, 5)
                            + head()), solver(max_iter=3)),
    # trained to iteration 4 with a snapshot, then resumed from it: two runs in one log
    "resume": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
               solver(debug=False, extra="snapshot: 4\n")),
    # step without stepsize: CHECK failure at the first update (sgd_solver.cpp:33)
    "step_no_stepsize": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                         solver(policy="step", max_iter=4, debug=False, extra="gamma: 0.1\n")),
    # exp without gamma: lr 0 from iteration 1
    "exp_no_gamma": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                     solver(policy="exp", max_iter=4, debug=False)),
    # multistep without stepvalue: the lr never changes
    "multistep_no_stepvalue": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                               solver(policy="multistep", max_iter=4, debug=False,
                                      extra="gamma: 0.1\n")),
    # the TEST net reads other labels than TRAIN: the test loss is far from the train loss
    "test_data_differs": (net(phase_data("TRAIN", CONSTANT)
                              + phase_data("TEST", 'type: "constant" value: 2') + conv()
                              + relu("relu1", "conv1") + pool() + head()),
                          solver(debug=False)),
    # display: 0 with debug_info: the values of every iteration, no loss or lr line
    "no_display": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                   solver(max_iter=4, display=0)),
    "poly_no_max_iter": (net(data() + conv() + relu("relu1", "conv1") + pool() + head()),
                         solver(policy="poly", max_iter=None, debug=False,
                                extra="power: 1\n")),
}


def caffe() -> Path:
    prefix = os.environ.get("PROTOTXT_LINT_CAFFE_ORACLE")
    if not prefix:
        result = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True,
                                check=True)
        prefix = result.stdout.strip().splitlines()[-1]
    return Path(prefix) / "bin" / "caffe"


def make(case: str, out: Path, binary: Path) -> Path:
    folder = out / case
    folder.mkdir(parents=True, exist_ok=True)
    net_text, solver_text = CASES[case]
    (folder / "net.prototxt").write_text(net_text)
    (folder / "solver.prototxt").write_text(solver_text)
    env = dict(os.environ, GLOG_logtostderr="1", GLOG_minloglevel="0")
    commands = [[str(binary), "train", "--solver", "solver.prototxt"]]
    if case == "resume":
        commands.append([*commands[0], "--snapshot", "tiny_iter_4.solverstate"])
    with open(folder / "caffe.log", "wb") as log:
        for command in commands:
            result = subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL,
                                    stderr=log, env=env, timeout=300, check=False)
    (folder / "caffe.exit").write_text(f"{result.returncode}\n")
    for leftover in folder.glob("tiny_iter_*"):
        leftover.unlink()
    return folder / "caffe.log"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", choices=[[], *CASES], default=[])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    binary = caffe()
    for case in args.cases or list(CASES):
        log = make(case, args.out, binary)
        print(f"{log}: exit {(log.parent / 'caffe.exit').read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
