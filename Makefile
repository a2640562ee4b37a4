# flowmart: `make demo` and `make test` work on a fresh clone with only python3 (3.11).
# The environment is created from uv.lock by a pinned uv, bootstrapped into .tools/.

UV_VERSION := 0.13.8
UV := .tools/bin/uv
BIN := .venv/bin
export FLOWMART_HOME ?= $(CURDIR)/data

.PHONY: setup demo refresh test lint dev clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

setup: .venv/.synced

demo: setup  ## generate the demo source (first time), refresh, publish, print a summary
	$(BIN)/flowmart demo

refresh: setup
	$(BIN)/flowmart refresh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project --disable-progress-bar
	$(BIN)/python -m models.dbt_sources --check
	$(BIN)/python -m models.expectations --check

test: lint  ## what CI runs: linters, then the whole pytest suite
	$(BIN)/python -m pytest --numprocesses=auto --maxprocesses=4 --dist=loadfile

dev: setup  ## the Dagster UI on http://127.0.0.1:3000, same instance as the CLI
	mkdir -p "$(FLOWMART_HOME)/dagster"
	DAGSTER_HOME="$(FLOWMART_HOME)/dagster" $(BIN)/dagster dev -h 127.0.0.1 -p 3000

clean:
	rm -rf .venv .tools data dbt_project/target dbt_project/logs
