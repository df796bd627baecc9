# The two commands the README names: `make demo` (the main job) and `make test` (every test).
# Both set themselves up from a fresh clone; .ci/run calls `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint setup clean

$(BIN)/tap-profitwell: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/tap-profitwell

lint: setup
	$(BIN)/ruff check tap_profitwell tests
	$(BIN)/ruff format --check tap_profitwell tests

test: setup
	$(BIN)/pytest

demo: setup
	@echo "demo: TODO"

clean:
	rm -rf $(VENV) .meltano output
