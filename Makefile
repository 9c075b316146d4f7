# Kontor — `make run` serves the demo, `make test` runs every check and the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test setup lock messages makemessages lint clean

run: setup
	@bin/run

test: setup
	@bin/test

setup: $(STAMP) messages

# Installs exactly what requirements.lock pins (every file's hash checked), then Kontor itself.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Rewrites requirements.lock from pyproject.toml (runtime + the dev extra), with the hashes of
# every file of each pinned release. Pins that still fit are kept; `make lock UPGRADE=1` moves
# everything to the newest release the ranges allow. --universal writes environment markers
# instead of resolving for this machine alone, so one lock serves Linux x86_64 and aarch64 alike.
# requirements-production.lock is the runtime part alone, at the same pins, for the image.
# uv runs from its own venv: the project's venv holds only what the lock pins.
UV_VERSION := 0.13.9
LOCK_TOOLS := $(VENV)/lock-tools
lock:
	@test -x $(LOCK_TOOLS)/bin/uv && $(LOCK_TOOLS)/bin/uv --version | grep -q " $(UV_VERSION) " \
		|| { $(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"; }
	@$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet \
		$(if $(UPGRADE),--upgrade) --output-file requirements.lock
	@$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --quiet \
		--constraint requirements.lock --output-file requirements-production.lock
	@echo "requirements.lock (with the dev tools) and requirements-production.lock written"

# Compiles locale/*/LC_MESSAGES/django.po to .mo with Babel (no GNU gettext needed).
messages: $(STAMP)
	@$(BIN)/python bin/compilemessages.py

# Re-extracts every marked string into the catalogues, keeping their translations (needs GNU
# gettext). New strings arrive empty, reworded ones fuzzy, removed ones as #~ obsolete entries:
# tests/portal/test_translations.py fails on each until a person has dealt with it.
makemessages: $(STAMP)
	@DJANGO_SETTINGS_MODULE=portal.settings_test $(BIN)/python manage.py makemessages \
		--no-location -l fr -l de -l it -l tr --ignore=.venv --ignore=tests

# ruff, and import-linter's contracts (pyproject.toml): app floors, billing's sub-packages, layers
# inside each app, no import circles.
lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) data staticfiles test-artifacts
