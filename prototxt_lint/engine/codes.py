"""Codes reported by the engine itself (reading, parsing, suppressions, solver links).

They are :class:`~prototxt_lint.plugin.Rule` objects without a check function, so that
``--list-rules``, ``--explain`` and the README table treat them like every other rule.

Length: nearly all of it is the engine codes' documentation (each in ruff's sections, with
examples that tests/test_rule_docs.py runs), kept in one home as a rule's docs are kept beside it.
"""

from __future__ import annotations

from prototxt_lint.findings import Severity
from prototxt_lint.plugin import Rule


def _core(code: str, name: str, severity: Severity, summary: str, docs: str) -> Rule:
    return Rule(code, name, severity, summary, docs.strip(), "core")


SYNTAX_ERROR = _core(
    "P001",
    "syntax-error",
    Severity.ERROR,
    "The text is not valid protobuf text format.",
    """
## What it does
Reports text that protobuf's text-format grammar does not accept: a missing `:` or `}`, a
stray token, an unterminated string.

## Why is this bad?
Caffe reads nets and solvers with protobuf's C++ `TextFormat::Parse`
(`ReadProtoFromTextFile` in `src/caffe/util/io.cpp`); it stops at the first such error with
`Error parsing text-format caffe.NetParameter: LINE:COL: ...` and aborts. prototxt-lint
recovers and reports every error in one run.

## Consequence
Aborts at load. `ReadProtoFromTextFile` stops at the first syntax error and Caffe aborts
before anything is built.

## Example
```
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 64 kernel_size: 3 }
~ input: "data" input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
```

## Use instead
```
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 64 kernel_size: 3 } }
~ input: "data" input_shape { dim: 1 dim: 3 dim: 32 dim: 32 }
```

## Fix
Correct the syntax at the position shown.
""",
)

UNKNOWN_FIELD = _core(
    "P002",
    "unknown-field",
    Severity.ERROR,
    "A field the schema does not have.",
    """
## What it does
Reports a field name that the message does not have in the schema in use, with the closest
valid name (`kernel` in `pooling_param` -> `kernel_size`). Each distinct unknown field is
reported once, at its first occurrence, with the count of further ones.

## Why is this bad?
BVLC Caffe refuses the file: `Message type "caffe.PoolingParameter" has no field named
"kernel".` (protobuf's text parser, called from `ReadProtoFromTextFile`). Fields of forks
(SSD, Faster R-CNN, PSPNet...) are unknown to BVLC Caffe's schema.

## Consequence
Aborts at load. Protobuf's text parser, called from `ReadProtoFromTextFile`, refuses the
field and Caffe aborts; a fork's field is read by that fork's build (lint with its schema).

## Example
```
~ input: "x"  input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
~ layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
pooling_param { pool: AVE stride: 2 kernel: 3 }
~ }
```

## Use instead
```
pooling_param { pool: AVE stride: 2 kernel_size: 3 }
```

## Fix
Use the suggested name. A fork's field is reported once per distinct name: BVLC Caffe cannot
read it, and a fork's own build can; lint with the fork's schema (`--proto
path/to/caffe.proto`, or `proto = "..."` in the configuration) to check against it. All other
rules still run on the rest of the file; rules that depend on a message with a skipped field
stay silent for that message.
""",
)

INVALID_VALUE = _core(
    "P003",
    "invalid-value",
    Severity.ERROR,
    "A value of the wrong type, an unknown enum value, or out of range.",
    """
## What it does
Reports a value that does not fit its field: a string for a number, `1.5` for an integer,
an enum name the schema does not define (with the closest valid one), a negative number for
an unsigned field, or a string type on a V1 `layers` block (`type: "Convolution"` where V1
wants `type: CONVOLUTION`).

## Why is this bad?
Caffe's text parser refuses the file (`Expected integer, got: ...`, `Unknown enumeration
value of "AVG" for field "pool".`) and Caffe aborts in `ReadProtoFromTextFile`.

## Consequence
Aborts at load. Caffe's text parser refuses the value, and Caffe aborts in
`ReadProtoFromTextFile`.

## Example
```
~ input: "x" input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
        pooling_param { pool: AVG kernel_size: 2 stride: 2 } }
```

## Use instead
```
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
        pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
```

## Fix
Write a value of the field's type.
""",
)

DUPLICATE_FIELD = _core(
    "P004",
    "duplicate-field",
    Severity.ERROR,
    "A non-repeated field given twice.",
    """
## What it does
Reports a non-repeated field (such as `kernel_size` in `pooling_param`) that appears twice in
one message.

## Why is this bad?
Caffe uses protobuf's `TextFormat::Parse`, which refuses it: `Non-repeated field "x" is
specified multiple times.` (Python's `text_format.Merge` would silently keep the last one.)

## Consequence
Aborts at load. `TextFormat::Parse` refuses the second value, and Caffe aborts in
`ReadProtoFromTextFile`.

## Example
```
~ input: "x" input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 kernel_size: 3 } }
```

## Use instead
```
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
```

## Fix
Keep one of the two.
""",
)

NOT_A_NET = _core(
    "P005",
    "not-a-net-or-solver",
    Severity.INFO,
    "A Caffe data file that is neither a net nor a solver.",
    """
## What it does
Recognises text-format files in a Caffe project that are not nets or solvers, such as SSD's
`LabelMap` files (`item { name: ... label: ... }`), and says so once instead of reporting
every line as an error.

## Consequence
Reminder. The file is not a net or a solver, so nothing in it was linted.

## Example
```
item { name: "none_of_the_above" label: 0 display_name: "background" }
item { name: "aeroplane" label: 1 display_name: "aeroplane" }
```

## Fix
Nothing to fix; exclude the file from linting if the note is unwanted.
""",
)

UNREADABLE = _core(
    "P006",
    "unreadable-input",
    Severity.ERROR,
    "The input could not be read.",
    """
## What it does
Reports an input that could not be read: a missing file, a directory named as a file, a
file without read permission, or a file larger than `--max-file-size` (16 MiB by default).
Nothing is linted and the exit code is 2.

## Consequence
Aborts at load. Caffe cannot read a missing or unreadable file either:
`ReadProtoFromTextFile` (`src/caffe/util/io.cpp`) fails `File not found` or cannot parse it.
A file that is only larger than `--max-file-size` is refused by prototxt-lint, not by Caffe:
nothing in it was checked.

## Fix
Check the path, or raise `--max-file-size` for a real, huge net.
""",
)

BINARY_INPUT = _core(
    "P007",
    "binary-input",
    Severity.ERROR,
    "The file contains binary data.",
    """
## What it does
Reports a file with NUL bytes: a binary protobuf (`.caffemodel`, `.binaryproto`, a binary
solver state) rather than a text-format prototxt. Nothing is linted and the exit code is 2.

## Why is this bad?
Caffe's `ReadProtoFromTextFile` cannot read it; binary files are read with
`ReadProtoFromBinaryFile` instead.

## Consequence
Aborts at load. Given to Caffe as a net or a solver, a binary file fails in
`ReadProtoFromTextFile`.

## Fix
Lint the text-format prototxt, not the weights.
""",
)

INVALID_UTF8 = _core(
    "P008",
    "invalid-utf8",
    Severity.WARNING,
    "Bytes that are not valid UTF-8.",
    """
## What it does
Reports the first byte that is not valid UTF-8 (often a Latin-1 or GBK comment). The rest of
the file is linted with such bytes replaced.

## Why is this bad?
Caffe itself reads bytes, so a comment in another encoding works there, but string values
with invalid UTF-8 are rejected by protobuf, and editors and tools may mangle the file.

## Consequence
Likely wrong. If the bytes are in a string value, or the file passes through editors and
tools that expect UTF-8, they are rejected or mangled; Caffe itself reads bytes, so a
comment in another encoding works there.

## Fix
Re-save the file as UTF-8.
""",
)

UNRECOGNISED = _core(
    "P009",
    "unrecognised-file",
    Severity.ERROR,
    "Neither a net nor a solver.",
    """
## What it does
Reports a text file whose top-level fields belong neither to `NetParameter` nor to
`SolverParameter` (nor to a known Caffe data file). Nothing is linted and the exit code is 2.

## Consequence
Aborts at load. Read as a net or a solver, its top-level fields are unknown to
`NetParameter` and `SolverParameter`, and the text parser refuses unknown fields (as for
P002).

## Example
```
model_name: "resnet"
image_size: 224
```

## Fix
Check that the file is a Caffe prototxt.
""",
)

EMPTY_FILE = _core(
    "P010",
    "empty-file",
    Severity.WARNING,
    "The file has no content.",
    """
## What it does
Reports a file that is empty or holds only comments. Nothing is linted and the exit code is 2.

## Why is this bad?
Caffe reads an empty net as a net with no layers and an empty solver as one with no net:
`caffe train` fails, after loading, with no useful message.

## Consequence
Likely wrong. If the file is meant to be a net or a solver, `caffe train` fails after
loading it, with no useful message: Caffe reads an empty net as a net with no layers and an
empty solver as one with no net.

## Fix
Point the tool at the real prototxt.
""",
)

MESSAGE_LIST = _core(
    "P011",
    "message-list-syntax",
    Severity.INFO,
    "A `[ ]` list of messages, which protobuf before 2.6.0 cannot read.",
    """
## What it does
Reports a repeated message field written as a list, `param: [{ lr_mult: 1 }, { lr_mult: 2 }]`
(or `param [...]`), instead of once per message.

## Why is this bad?
A Caffe built with a recent protobuf reads it (3.21 does), but lists of messages arrived
in protobuf 2.6.0; protobuf's release notes (`CHANGES.txt`, "2014-08-15 version 2.6.0"):
"Added Support for list values, including lists of messages, when parsing text-formatted
protos in C++ and Java". A Caffe built against protobuf 2.5.0 (still found in older Caffe
set-ups, e.g. Ubuntu 14.04's) cannot read the file.

## Consequence
Reminder. Nothing changes for a Caffe built with protobuf 2.6.0 or later; one built with an
older protobuf aborts at load.

## Example
```
~ input: "x" input_shape { dim: 1 dim: 16 }
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y"
        param: [{ lr_mult: 1 }, { lr_mult: 2 }]
        inner_product_param { num_output: 10 } }
```

## Use instead
```
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y"
        param { lr_mult: 1 } param { lr_mult: 2 }
        inner_product_param { num_output: 10 } }
```

## Fix
Write the field once per message: `param { lr_mult: 1 } param { lr_mult: 2 }`.
""",
)

CAPITAL_BOOL = _core(
    "P012",
    "capitalised-bool",
    Severity.INFO,
    "A bool written `True` or `False`, which protobuf before 2.6 cannot read.",
    """
## What it does
Reports a bool field written with a capital letter, `use_global_stats: True` or
`shuffle: False` (the Python spelling), once per file at the first, with the count of the
others.

## Why is this bad?
Protobuf's C++ text-format parser (`TextFormat::Parser::ParserImpl::ConsumeFieldValue`,
`src/google/protobuf/text_format.cc`), which Caffe's `ReadProtoFromTextFile` uses, reads a
bool from `true`, `t`, `false`, `f`, `1` or `0`; `True` and `False` were added in the 2.6
series: protobuf 2.5.0's parser (the copy whose `stubs/common.h` says
`GOOGLE_PROTOBUF_VERSION 2005000`) tests `value == "true" || value == "t"` and reports
`Invalid value for boolean field "..."` for anything else, while 2.6.1's tests `value ==
"true" || value == "True" || value == "t"`. Neither release's notes (`CHANGES.txt`) mention
it. Caffe built against protobuf 2.5.0 (Ubuntu 14.04's, and older Caffe set-ups) cannot read
the file; Caffe built with 2.6 or any 3.x reads it as `true`/`false`.

## Consequence
Reminder. Nothing changes for a Caffe built with protobuf 2.6 or newer; one built with
protobuf 2.5.0 or older aborts at load with `Invalid value for boolean field`.

## Example
```
~ input: "data" input_shape { dim: 1 dim: 8 dim: 4 dim: 4 }
layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data"
        batch_norm_param { use_global_stats: True } }
```

## Use instead
```
~ input: "data" input_shape { dim: 1 dim: 8 dim: 4 dim: 4 }
layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data"
        batch_norm_param { use_global_stats: true } }
```

## Fix
Write bools in lower case: `true` and `false`.
""",
)

UNUSED_SUPPRESSION = _core(
    "X001",
    "unused-suppression",
    Severity.INFO,
    "A suppression comment that suppresses nothing.",
    """
## What it does
Reports a `# prototxt-lint: disable=CODE` comment for which no finding with that code was
reported on the line it covers (or, for `disable-file`, in the file).

## Why is this bad?
Stale suppressions hide future problems on that line and mislead readers.

## Consequence
Reminder. Nothing changes for Caffe; a stale suppression only hides future findings on its
line.

## Example
```
~ input: "x" input_shape { dim: 1 dim: 3 dim: 12 dim: 12 }
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"  # prototxt-lint: disable=N201
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
```

## Use instead
```
layer { name: "pool" type: "Pooling" bottom: "x" top: "y"
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
```

## Fix
Delete the comment, or the code from its list.
""",
)

NET_NOT_FOUND = _core(
    "X002",
    "net-file-not-found",
    Severity.INFO,
    "The net a solver names was not found.",
    """
## What it does
Reports a `net`, `train_net` or `test_net` path in a solver that could not be found. Caffe
resolves such paths against the directory `caffe` is started from (usually the project
root), so prototxt-lint tries the working directory, then the solver's folder and each of its
parents. When none has the file, the solver is linted without that net (with the nets it
names that were found, which the message lists, or alone).

## Consequence
Reminder. Nothing changes for Caffe, which resolves the path against the directory it is
started from; the checks that need the missing net did not run.

## Example
```
net: "models/no_such_dir/train_val.prototxt"
~ base_lr: 0.01
~ lr_policy: "fixed"
~ max_iter: 1000
```

## Fix
Run from the project root, or lint the net file explicitly.
""",
)

DIALECT = _core(
    "X003",
    "forks-dialect",
    Severity.INFO,
    "The file uses a Caffe fork's names; it was linted as that fork reads it.",
    """
## What it does
Says once per file which Caffe fork (dialect) the file was read as, and which of the names
it uses tell, when it uses fields, enum values or parameter messages that BVLC Caffe's
schema lacks and a known fork declares (SSD's `prior_box_param`, Faster R-CNN's
`roi_pooling_param`, C3D's `kernel_depth`, ...). The file is then parsed with that fork's
schema (`proto/dialects/`, checked against each fork's own `caffe.proto`) and every rule
runs with it: no P002/P003 restates that stock BVLC cannot read it. Forks built on another
declare its names too (RefineDet and MobileNet-YOLO have SSD's); when several fit equally,
the first in the registry is used and the message names the others. The README lists the
forks. `--dialect NAME` (or `dialect = "NAME"` in the configuration) forces one,
`--dialect bvlc` turns detection off, and `--proto` wins over both.

## Why is this bad?
It is not: it says how the file was read. A fork's file fed to BVLC Caffe aborts at load
on the first of those names (`Message type "caffe.LayerParameter" has no field named
"prior_box_param"`, `ReadProtoFromTextFile` in `src/caffe/util/io.cpp`): build and run it
with the fork it names.

## Consequence
Reminder. Nothing is wrong with the file; it needs the fork's Caffe build, not BVLC's.

## Example
```
~ input: "conv4_3" input_shape { dim: 1 dim: 512 dim: 38 dim: 38 }
~ input: "data" input_shape { dim: 1 dim: 3 dim: 300 dim: 300 }
layer { name: "conv4_3_norm_mbox_priorbox" type: "PriorBox"
        bottom: "conv4_3" bottom: "data" top: "conv4_3_norm_mbox_priorbox"
        prior_box_param { min_size: 30.0 aspect_ratio: 2 flip: true clip: false } }
```

## Fix
Nothing to fix. If the guess is wrong, name the fork with `--dialect`, or give its schema
with `--proto`.
""",
)

UNKNOWN_FORK = _core(
    "X004",
    "unknown-fork-names",
    Severity.WARNING,
    "Names of a Caffe fork or custom build that no known schema declares.",
    """
## What it does
Reports once per file, at the first of them, the fields, enum values and list-form fields
that neither BVLC Caffe's schema nor the fork the file was read as declares, when the file
shows that it is written for a fork or a custom build: it was recognised as a known fork
(X003), it uses layer types BVLC Caffe does not register (N312), or the unknown names are
layer parameter blocks (`weight_euclidean_loss_param`). Names that are a plausible slip of
a field the schema has (`kernal_size`) stay P002 errors, and so does everything in a file
with no such sign. Without this, each name would be a P002/P003/P004 error restating that
stock BVLC Caffe cannot parse a file it was never meant for.

## Why is this bad?
The file needs the fork it was written for (R-C3D's 3-D Caffe, CRF-as-RNN's, a project's
own layers), and prototxt-lint does not know that fork's schema, so it cannot check those
names and the layers that use them. BVLC Caffe (and any other fork) refuses the file at
load on the first of them (`ReadProtoFromTextFile`, `src/caffe/util/io.cpp`).

## Consequence
Likely wrong. If the file is run with BVLC Caffe or a fork other than its own, it aborts at
load; with its own fork it is right, and the names are only unchecked.

## Example
```
~ input: "x" input_shape { dim: 1 dim: 10 }
~ input: "y" input_shape { dim: 1 dim: 10 }
layer { name: "loss" type: "WeightEuclideanLoss" bottom: "x" bottom: "y" top: "loss"
        weight_euclidean_loss_param { weight: 0.5 } }
```

## Fix
Lint with the fork's `caffe.proto` (`--proto path/to/caffe.proto`), which checks these
names too; or, if a name is a mistake, correct it.
""",
)

CORE_RULES = [
    SYNTAX_ERROR,
    UNKNOWN_FIELD,
    INVALID_VALUE,
    DUPLICATE_FIELD,
    NOT_A_NET,
    UNREADABLE,
    BINARY_INPUT,
    INVALID_UTF8,
    UNRECOGNISED,
    EMPTY_FILE,
    MESSAGE_LIST,
    CAPITAL_BOOL,
    UNUSED_SUPPRESSION,
    NET_NOT_FOUND,
    DIALECT,
    UNKNOWN_FORK,
]
