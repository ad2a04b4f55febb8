# Everything a fresh machine needs comes from here: `make run` and `make test` set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python bot.py run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest -q

# Extract interface strings and merge them into both catalogs (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-by-file -k _ -k N_ -k ngettext:1,2 \
		-o locales/messages.pot bot.py core handlers runtime authoring
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i locales/messages.pot -d locales -D messages

clean:
	rm -rf $(VENV)
