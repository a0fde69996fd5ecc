"""The garbage collector, tuned for a batch lint run.

A lint builds a large, mostly acyclic object graph (tokens, field locations, messages, layer
views, shapes) that lives until the file's report is made. With the default thresholds
(700, 10, 10) the collector runs a young collection every 700 allocations and keeps
re-examining the survivors: 20-30 % of a large lint, and a cost that grows faster than the
file (``benchmarks/gc_effect.py`` measures it). For a command-line run:

- :func:`gc.freeze` moves everything start-up made (modules, rules, the schema) to the
  permanent generation, which no collection examines again (and which forked ``--jobs``
  workers then share without copying);
- the young generation's threshold is raised so that collections are rare; reference
  counting still frees almost everything, and cycles are still collected, only later.

Not for the language server (a long-lived process whose memory must stay flat): only
:func:`prototxt_lint.cli.run.run_lint` calls it.
"""

from __future__ import annotations

import gc

#: (young, middle, old): a young collection every 100,000 net allocations instead of 700
BATCH_THRESHOLDS = (100_000, 50, 100)


def tune_for_batch() -> None:
    """Freeze what start-up made and raise the thresholds (idempotent)."""
    if gc.isenabled():
        gc.collect(0)  # no young garbage into the permanent generation
        gc.freeze()
        gc.set_threshold(*BATCH_THRESHOLDS)
