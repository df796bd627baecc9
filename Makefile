# The two commands the README names: `make demo` (the main job) and `make test` (every test).
# Both set themselves up from a fresh clone; .ci/run calls `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint setup meltano postgres clean

# Meltano gets a venv of its own (its dependencies are not the tap's); Meltano itself then gives
# every plugin in meltano.yml its own venv under .meltano/.
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano

$(BIN)/tap-profitwell: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,airbyte]'
	touch $@

setup: $(BIN)/tap-profitwell

$(MELTANO): tests/support/meltano-requirements.txt
	$(PYTHON) -m venv $(MELTANO_VENV)
	echo '*' > $(MELTANO_VENV)/.gitignore
	$(MELTANO_VENV)/bin/pip install --quiet --upgrade pip
	$(MELTANO_VENV)/bin/pip install --quiet -r tests/support/meltano-requirements.txt
	touch $@

meltano: $(MELTANO)

# Debian's postgresql package for the pipeline tests, installed only when missing.
postgres:
	@bash tests/support/postgres.sh install

lint: setup
	$(BIN)/ruff check tap_profitwell tests
	$(BIN)/ruff format --check tap_profitwell tests

# Lint first (seconds), then every test.
test: setup meltano postgres lint
	$(BIN)/pytest

# The sandbox -> meltano run tap-profitwell target-duckdb -> a summary from the warehouse.
demo: setup meltano
	$(BIN)/python tests/support/demo.py --meltano $(MELTANO)

clean:
	rm -rf $(VENV) $(MELTANO_VENV) .meltano output warehouse.duckdb warehouse.duckdb.wal
