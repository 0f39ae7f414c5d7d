# evqms: `make run` serves the demo, `make test` runs the whole suite. Both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

# UTF-8 whatever the machine's locale (CI runs with none): Japanese text in files and output.
export PYTHONUTF8 := 1

.PHONY: run test install lint format locale e2e clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) locale

locale: $(STAMP)
	@$(BIN)/python -m evqms.localebuild

run: install
	$(BIN)/evqms demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks

# SQLite run (everything), then the database tests again on PostgreSQL when
# EVQMS_TEST_DATABASE_URL is set (CI sets it), else a clear skip line.
test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile -q
	@if [ -n "$$EVQMS_TEST_DATABASE_URL" ]; then \
	  echo "== database tests on PostgreSQL ($$EVQMS_TEST_DATABASE_URL)"; \
	  DATABASE_URL="$$EVQMS_TEST_DATABASE_URL" EVQMS_DB_TESTS_ONLY=1 $(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not e2e"; \
	else \
	  echo "SKIPPED: PostgreSQL run (set EVQMS_TEST_DATABASE_URL=postgres://user@host:5432/db to run the database tests on PostgreSQL too)"; \
	fi

clean:
	rm -rf $(VENV) var build dist src/*.egg-info
