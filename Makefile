# Common Ground. `make run` for a local trial, `make test` for the test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.12+ on this machine (pyenv's shims honour .python-version).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	command -v $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup run serve production worker test lint format bench lock messages clean

help:
	@echo "make run     set up, load the demo and serve http://127.0.0.1:8000 with a task worker"
	@echo "make test    run the test suite (SQLite; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make lint    ruff check and format check"
	@echo "make bench   run the benchmarks in benchmarks/"
	@echo "make serve   production server: gunicorn (settings from the environment)"
	@echo "make production  gunicorn, task workers and periodic jobs in one command (see README)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Common Ground needs Python 3.12 or newer on PATH."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# uv installs the locked versions and checks every hash; it never fetches an interpreter.
$(STAMP): requirements/dev.txt requirements/app.txt | $(PY)
	@test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet --require-hashes -r requirements/uv.txt
	$(VENV)/bin/uv pip sync --quiet --python $(PY) --require-hashes requirements/dev.txt
	@touch $@

setup: $(STAMP)
	@mkdir -p var
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0
	$(MANAGE) migrate --no-input --verbosity 0

run: setup
	@echo ""
	@echo "  Common Ground is starting on http://127.0.0.1:8000/"
	@$(MANAGE) load_demo | sed 's/^/  /'
	@echo "  Outgoing mail is written to var/mail/. Ctrl-C stops the server and the worker."
	@echo ""
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(MANAGE) db_worker --queue-name '*' & worker=$$!; \
	$(MANAGE) runserver 127.0.0.1:8000

worker: $(STAMP)
	$(MANAGE) db_worker --queue-name '*'

serve: $(STAMP)
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(MANAGE) migrate --no-input
	$(VENV)/bin/gunicorn config.wsgi --bind $${BIND:-127.0.0.1:8000} --workers $${WEB_CONCURRENCY:-2} --threads $${WEB_THREADS:-4} --access-logfile - --forwarded-allow-ips="$${FORWARDED_ALLOW_IPS:-127.0.0.1}"

# The production layout in one command: migrate, collectstatic and compilemessages once,
# then gunicorn, TASK_WORKERS task workers and the periodic jobs; Ctrl-C stops them all.
production: $(STAMP)
	$(MANAGE) production

test: $(STAMP)
	@mkdir -p var
	$(MANAGE) compilemessages --ignore=.venv --verbosity 0
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Re-lock after editing pyproject.toml: exact versions and hashes, no package host recorded.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 --generate-hashes --no-header --quiet -o requirements/app.txt
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --universal --python-version 3.12 --generate-hashes --no-header --quiet -o requirements/dev.txt

# Collect new and changed strings into locale/es/LC_MESSAGES/django.po (then translate them).
messages: $(STAMP)
	$(MANAGE) makemessages --locale es --ignore=.venv --ignore=var --ignore=staticfiles --no-obsolete

clean:
	rm -rf $(VENV) var/test*.sqlite3 .pytest_cache .ruff_cache
