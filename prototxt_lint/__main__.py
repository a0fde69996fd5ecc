"""``python -m prototxt_lint``."""

from prototxt_lint.cli.entry import main

main()
