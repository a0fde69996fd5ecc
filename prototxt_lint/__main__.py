"""``python -m prototxt_lint``."""

from prototxt_lint.entry import main

main()
