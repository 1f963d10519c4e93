# derive: `make pdf` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := build
# make pdf CONFIG=variant.toml builds a variant of the assignment.
CONFIG ?=
CONFIG_ARG := $(if $(CONFIG),--config $(CONFIG))
SOURCES := $(shell find derive templates -type f \( -name '*.py' -o -name '*.j2' -o -name '*.toml' \)) pyproject.toml

.PHONY: pdf tex html overleaf test golden schema lint stress stress-trees stress-variants layout bench mutate tex-tools html-tools venv clean FORCE
# No .DELETE_ON_ERROR: derive writes atomically, and a failed build must keep the earlier PDF.

pdf: $(OUT)/solutions.pdf

$(STAMP): pyproject.toml
	@sh scripts/check-python.sh $(PYTHON) $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $@

venv: $(STAMP)

tex-tools:
	@sh scripts/ensure-tex.sh

# Which config the outputs were built from: rewritten only when it changes, so that switching
# CONFIG rebuilds while an unchanged one does not.
$(OUT)/.config-used: FORCE
	@mkdir -p $(OUT)
	@echo '$(CONFIG)' | cmp -s - $@ || echo '$(CONFIG)' > $@

$(OUT)/solutions.pdf: $(STAMP) $(SOURCES) $(CONFIG) $(OUT)/.config-used
	@sh scripts/ensure-tex.sh
	$(BIN)/derive build --out $(OUT) $(CONFIG_ARG)

tex: $(STAMP)
	$(BIN)/derive build --no-pdf --out $(OUT) $(CONFIG_ARG)

html: $(STAMP)
	$(BIN)/derive build --no-pdf --html --out $(OUT) $(CONFIG_ARG)

# Chromium, Node and axe-core (into ~/.cache/derive/npm) for tests/test_html_browser.py.
html-tools:
	@sh scripts/ensure-html-tools.sh

overleaf: tex

test: $(STAMP) tex-tools
	$(BIN)/python -m pytest -q

# Rewrites tests/golden/ from the current code: review the diff, then commit it.
golden: $(STAMP)
	DERIVE_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

# Rewrites derive/schemas/config.schema.json and docs/config.md's key table from the key
# declarations (derive/declare.py); tests/test_schema_generated.py fails when they drift.
schema: $(STAMP)
	$(BIN)/python -m derive.schema_gen

# ruff on all the Python, mypy on the package, the import contracts (lint-imports; all settings
# in pyproject.toml): no errors allowed.
lint: $(STAMP)
	$(BIN)/ruff check derive tests scripts
	$(BIN)/mypy derive
	$(BIN)/lint-imports

stress: $(STAMP) tex-tools
	$(BIN)/python scripts/stress.py
	$(BIN)/python scripts/stress_variants.py
	$(BIN)/python scripts/stress_trees.py

# Question 2 at the largest tree the config allows, beam width 10^6: CPU time per size.
stress-trees: $(STAMP)
	$(BIN)/python scripts/stress_trees.py

stress-variants: $(STAMP)
	$(BIN)/python scripts/stress_variants.py

# PDFs at the edges of every README limit: no LaTeX error, overfull box, <U+...> or overlap.
layout: $(STAMP) tex-tools
	$(BIN)/python scripts/layout.py

bench: $(STAMP)
	@sh scripts/ensure-tex.sh latexmk
	$(BIN)/python scripts/bench.py

# Mutation score of the build's own checks (cosmic-ray; about 20 minutes, not in CI).
# make mutate SAMPLE=0 runs every mutant.
mutate: $(STAMP)
	$(BIN)/pip install --quiet -e '.[mutate]'
	$(BIN)/python scripts/mutate.py $(if $(SAMPLE),--sample $(SAMPLE))

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis .mypy_cache
