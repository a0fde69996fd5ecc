"""The engine: the linter (load, link, run rules, suppress), the per-file settings, discovery,
the parallel runner, fixes, the rule registry and the engine's own codes."""
