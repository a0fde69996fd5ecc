"""The command line: the console entry with its fast path (``entry.py``), the click command
(``command.py``), one lint run (``run.py``) and one module per subcommand or view.

Kept empty: the fast path imports ``cli.entry`` and must not pay for click here.
"""
