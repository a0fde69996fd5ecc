"""The long fuzz run: tests/test_fuzz.py with many more (and random, not derandomized) examples.

CI runs the fuzz tests with the small derandomized ``ci`` profile. Run this before a release
or after touching the tokenizer, parser or a rule::

    .venv/bin/python scripts/fuzz_long.py                 # 5000 examples per test
    .venv/bin/python scripts/fuzz_long.py --examples 20000 -k cli

Hypothesis prints the smallest failing input it found; failures are also saved in
``.hypothesis/`` and replayed first on the next run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per test")
    parser.add_argument("-k", default=None, help="only tests matching this pytest expression")
    args = parser.parse_args(argv)
    env = dict(os.environ, PROTOTXT_FUZZ_PROFILE="long", PROTOTXT_FUZZ_EXAMPLES=str(args.examples))
    command = [sys.executable, "-m", "pytest", "-q", "tests/test_fuzz.py",
               "--hypothesis-show-statistics"]
    if args.k:
        command += ["-k", args.k]
    return subprocess.call(command, cwd=REPO, env=env)


if __name__ == "__main__":
    sys.exit(main())
