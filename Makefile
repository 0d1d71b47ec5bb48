# Two commands set everything up: `make run` and `make test`. Python 3.11+ is the only prerequisite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PO := $(wildcard surveys/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test bench install lint fmt translations extract-messages clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(MO)

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o surveys/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i surveys/translations/messages.pot -d surveys/translations --no-fuzzy-matching

instance/secret_key:
	mkdir -p instance
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

# Local demo server on SQLite, with demo communes and synthetic data. Plain HTTP on localhost,
# hence SESSION_COOKIE_SECURE=false; production runs behind HTTPS with the secure default.
run: install instance/secret_key
	SECRET_KEY_FILE=instance/secret_key $(BIN)/flask --app app init-db
	SECRET_KEY_FILE=instance/secret_key ALLOW_DEMO_DATA=true $(BIN)/flask --app app load-demo --with-data
	# The webhook worker and the import worker (resumable coverage uploads) run beside the web
	# server and stop with it.
	SECRET_KEY_FILE=instance/secret_key $(BIN)/flask --app app webhooks deliver --watch & \
	worker=$$!; SECRET_KEY_FILE=instance/secret_key $(BIN)/flask --app app jobs work & \
	importer=$$!; trap 'kill $$worker $$importer 2>/dev/null' EXIT INT TERM; \
	SECRET_KEY_FILE=instance/secret_key SESSION_COOKIE_SECURE=false \
		$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's phone screenshots (docs/img/*.png), taken by the browser tests that draw those pages.
# `make test` never writes them: a test run leaves tracked files alone.
SCREENSHOT_TESTS := tests/e2e/test_offline_form.py::test_offline_household_is_queued_survives_reload_and_arrives_once \
	tests/e2e/test_map_page.py tests/e2e/test_dashboard_page.py
screenshots: install
	PHUSONG_README_SCREENSHOTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider $(SCREENSHOT_TESTS)

bench: install
	$(BIN)/python -m bench

# ruff for style and mistakes, mypy for types (docs/architecture.md, "Types").
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
