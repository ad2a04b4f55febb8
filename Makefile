# Everything a fresh machine needs comes from here: `make run` and `make test` set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-deps quick check lint typecheck messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python bot.py run

# What the tests need from Debian (the browser tests' chromium): installed once, as root.
test-deps:
	@scripts/setup-test-deps.sh

test: $(STAMP) test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest -q

# The edit-test loop: lint and every test but the slow end-to-end ones (crash, replicas,
# webhook, fuzz, benchmark, browser), in a few minutes. `make test` (and CI) runs everything.
quick: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

# Extract interface strings and merge them into both catalogs (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-by-file -k _ -k N_ -k ngettext:1,2 \
		-k nsays:1,2 -o locales/messages.pot bot.py core handlers runtime authoring web exports
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales -D messages

clean:
	rm -rf $(VENV)
