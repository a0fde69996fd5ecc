# Two commands do all the set-up (see README): `make demo` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint gen-proto rule-table clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (editable, so a later `make test` reuses the same venv).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

# Lint the shipped bad examples. Exit 1 (findings) is the expected outcome here.
demo: $(VENV)/.installed
	$(BIN)/prototxt-lint examples/ || [ $$? -eq 1 ]

# The whole test suite. pytest's exit 5 (no tests collected) is a failure, never a pass.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi; exit $$status

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy prototxt_lint rules

gen-proto: $(VENV)/.installed-dev
	PYTHON=$(BIN)/python scripts/gen_proto.sh

rule-table: $(VENV)/.installed-dev
	$(BIN)/python scripts/gen_rule_table.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
