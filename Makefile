# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := server/graphiql/vendor/.verified
# The JavaScript the tests run (graphql-http's spec audit); without npm that test skips.
NPM := $(shell command -v npm)
NODE_MODULES := $(if $(NPM),node_modules/.installed)

.PHONY: install run test check format bench clean

install: $(INSTALLED) $(ASSETS) $(NODE_MODULES)

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

# GraphiQL's assets, from the npm registry, checked against recorded checksums.
$(ASSETS): $(INSTALLED) server/graphiql/assets.json
	$(BIN)/python -m server.graphiql_assets fetch
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

run: install
	$(BIN)/storefront serve

# The API and its concurrency invariants again, through PgBouncer in transaction mode.
test: install
	$(BIN)/pytest
	TEST_POOLER=pgbouncer $(BIN)/pytest tests/api

check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/storefront export-schema --check
	$(BIN)/python -m server.schema_changes
	$(BIN)/python -m server.module_sizes

# Our server against a GraphQL-free floor, and on Q1-Q3 PostGraphile v5 (installed on
# demand from npm; --no-peers skips it), under wrk (bench/run.py); e.g.
# `make bench BENCH_ARGS="--only Q1,Q2 --duration 3 --rounds 1"`.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) server/graphiql/vendor node_modules
