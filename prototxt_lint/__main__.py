"""``python -m prototxt_lint``."""

from prototxt_lint.cli import main

main()
