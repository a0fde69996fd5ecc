"""The language server takes `weights` and `data-root` from the configuration, and hover on a
layer shows the shapes the loaded weights give it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES

from prototxt_lint.engine.registry import load_rules
from prototxt_lint.lsp.analysis import analyse
from prototxt_lint.lsp.hover import hover_at

RULES = load_rules()


def test_configured_weights_give_findings_and_hover(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "weights" / "v2.caffemodel", tmp_path / "model.caffemodel")
    (tmp_path / ".prototxt-lint.toml").write_text(
        '[weights]\n"*.prototxt" = "model.caffemodel"\n')
    text = (FIXTURES / "weights" / "bad_channels.prototxt").read_text()
    analysis = analyse((tmp_path / "deploy.prototxt").as_uri(), 1, text, RULES)
    assert [f.code for f in analysis.findings if f.code.startswith("W")] == ["W100"]
    found = hover_at(analysis, text.index('"conv1"') + 1)
    assert found is not None
    model = tmp_path / "model.caffemodel"
    assert f"Weights in `{model}`: `4 3 3 3 (108)`, `4 (4)`" in found.markdown
    bn = hover_at(analysis, text.index('"bn1"') + 1)
    assert bn is not None and bn.markdown.endswith(
        f"Weights in `{model}`: `4 (4)`, `4 (4)`, `1 (1)`")


def test_configured_data_root(tmp_path: Path) -> None:
    root = FIXTURES / "data_lists"
    (tmp_path / ".prototxt-lint.toml").write_text(f"data-root = {str(root)!r}\n")
    text = (root / "net_missing.prototxt").read_text()
    analysis = analyse((tmp_path / "net.prototxt").as_uri(), 1, text, RULES)
    assert [f.code for f in analysis.findings if f.code.startswith("D")] == ["D102"]
