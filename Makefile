# Two commands on a fresh machine:
#   make run    installs everything, loads the demo data and starts the portal on http://127.0.0.1:8000
#   make test   installs everything and runs the whole suite (embedded, then against the real services,
#               then the browser tests)
# and a third for the production-like stack (web + Celery worker + beat on PostgreSQL and Redis):
#   make stack

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST := $(VENV)/bin/pytest
HOST ?= 127.0.0.1
PORT ?= 8000
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
# The production-like stack gets a database of its own (the shared `test` one is only a place to
# connect from; pytest makes its own test database).
STACK_DATABASE ?= portal
STACK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(STACK_DATABASE)
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/0
# The stack's shared cache (per-client API rate limits counted once for every process).
STACK_CACHE_URL ?= redis://127.0.0.1:6379/2
# The real data (MedQuAD, Synthea) is read in place, never copied into the repository: from
# PORTAL_DATA_DIR, else shared/data beside the project, else (a fresh clone made elsewhere, as CI
# makes) shared/data beside the checkout this one was cloned from. Exported, so that settings,
# tests and benchmarks all read the same folder.
ORIGIN := $(shell git config --get remote.origin.url 2>/dev/null)
DATA_DIR := $(firstword $(PORTAL_DATA_DIR) $(wildcard ../shared/data) \
  $(if $(ORIGIN),$(wildcard $(ORIGIN)/../shared/data)) ../shared/data)
export PORTAL_DATA_DIR := $(abspath $(DATA_DIR))
# Nothing is ever fetched from a model hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: install data browser services-up run stack test test-fast test-services test-e2e lint bench evaluate clean

install: $(VENV)/.installed

# torch goes first and alone, pinned to the CPU build that pip finds on local disk: any other torch
# requirement would pull gigabytes of CUDA wheels (transformers only needs it for the
# one-time ONNX export of the embedding model).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev]"
	touch $@

# Fail at once, with the reason, rather than with hundreds of test errors.
data:
	@test -d "$(DATA_DIR)/medquad" -a -d "$(DATA_DIR)/synthea" || { echo "No data at $(DATA_DIR)" \
	  "(medquad/, synthea/): put shared/ beside the project (or beside the checkout it was cloned" \
	  "from), or set PORTAL_DATA_DIR." >&2; exit 1; }

browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

services-up:
	bash scripts/services-up.sh

run: install data
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production settings (DEBUG off, a secret key of its own made once in var/, hashed static files,
# a bounded database pool), served over plain HTTP on loopback: the three TLS-only protections
# are turned off explicitly, as they would be behind a proxy that terminates TLS and redirects.
STACK_ENV = DEBUG=0 SECRET_KEY="$$(cat var/stack-secret-key)" ALLOWED_HOSTS=127.0.0.1,localhost \
  SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 \
  DATABASE_URL=$(STACK_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) CACHE_URL=$(STACK_CACHE_URL)

stack: install data services-up
	psql -h 127.0.0.1 -U postgres -d test -tAc "SELECT 1 FROM pg_database WHERE datname='$(STACK_DATABASE)'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d test -c 'CREATE DATABASE "$(STACK_DATABASE)"'
	mkdir -p var && test -s var/stack-secret-key || \
	  $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/stack-secret-key
	$(STACK_ENV) $(PY) manage.py migrate --noinput
	$(STACK_ENV) $(PY) manage.py collectstatic --noinput -v 0
	$(STACK_ENV) $(PY) manage.py seed_demo
	$(STACK_ENV) PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache  # the layering contracts in .importlinter

# The embedded pass: SQLite, in-memory channel layer, tasks in-process.
test-fast: install data
	$(PYTEST) -p no:playwright --ignore=tests/e2e -m "not services" -q

# The services pass: the same suite on PostgreSQL + channels_redis, plus the tests that start a real
# Celery worker and beat against Redis. A service that is down is started; one that can't be is a failure.
test-services: install data services-up
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=true \
	  REQUIRE_SERVICES=1 $(PYTEST) -p no:playwright --ignore=tests/e2e -q

# Browser tests run in a pytest call of their own (Playwright's event loop and pytest-asyncio
# don't share a process well).
test-e2e: install data browser
	DJANGO_ALLOW_ASYNC_UNSAFE=true TEST_SQLITE_FILE=$(abspath var/test-e2e.sqlite3) $(PYTEST) tests/e2e -q

test: data lint test-fast test-services test-e2e

bench: install
	$(PY) bench/index_bench.py
	$(PY) bench/retrieval_bench.py
	$(PY) bench/answer_bench.py
	$(PY) bench/preventive_bench.py

clean:
	rm -rf var/index var/portal.sqlite3 var/screenshots
