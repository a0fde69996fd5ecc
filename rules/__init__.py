"""Built-in rules, one concern per module, installed as ``prototxt_lint.rules``.

Each module is published through the ``prototxt_lint.rules`` entry-point group in
``pyproject.toml`` — the same public interface (:mod:`prototxt_lint.plugin`) a third-party
package uses. Each rule's docs live in its function's docstring, beside its code.
"""
