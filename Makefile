# Kontor — `make run` serves the demo, `make test` runs every check and the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test setup messages makemessages lint clean

run: setup
	@bin/run

test: setup
	@bin/test

setup: $(STAMP) messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Compiles locale/*/LC_MESSAGES/django.po to .mo with Babel (no GNU gettext needed).
messages: $(STAMP)
	@$(BIN)/python bin/compilemessages.py

# Re-extracts every marked string into the catalogues, keeping their translations (needs GNU
# gettext). New strings arrive empty, reworded ones fuzzy, removed ones as #~ obsolete entries:
# tests/portal/test_translations.py fails on each until a person has dealt with it.
makemessages: $(STAMP)
	@DJANGO_SETTINGS_MODULE=portal.settings_test $(BIN)/python manage.py makemessages \
		--no-location -l fr -l de -l it -l tr --ignore=.venv --ignore=tests

lint: $(STAMP)
	@$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data staticfiles test-artifacts
