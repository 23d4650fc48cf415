# modoboa_flask developer tasks. `make help` lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Targets install into one venv in order: never run them in parallel.
.NOTPARALLEL:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
HOST ?= 127.0.0.1
PORT ?= 5000
DBS ?= sqlite pg mysql
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
PIP := $(VENV)/bin/pip --disable-pip-version-check --quiet
export FLASK_APP := app.py

# python-ldap has no wheel: pip builds it against these headers.
LDAP_BUILD_PKGS := libldap2-dev libsasl2-dev

.PHONY: help venv install run test test-deps test-venv lint format clean

help:
	@echo "make venv       create .venv and install requirements.txt"
	@echo "make run        migrate, load initial data, serve on http://$(HOST):$(PORT)"
	@echo "make test       ruff + pytest on SQLite, PostgreSQL, MariaDB (DBS=..., PYTEST_ARGS=...)"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make clean      remove .venv and caches"

venv install: $(VENV)/.stamp-runtime

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-runtime: requirements.txt | $(VENV)/bin/python
	@if [ ! -e /usr/include/lber.h ] || [ ! -e /usr/include/sasl/sasl.h ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	            --no-install-recommends $(LDAP_BUILD_PKGS); \
	    else \
	        echo "python-ldap needs the LDAP and SASL headers. Run:" >&2; \
	        echo "  sudo apt-get install -y $(LDAP_BUILD_PKGS)" >&2; \
	        exit 1; \
	    fi; \
	fi
	$(PIP) install -r requirements.txt
	@touch $@

$(VENV)/.stamp-test: requirements.txt requirements-test.txt $(VENV)/.stamp-runtime
	$(PIP) install -r requirements.txt -r requirements-test.txt
	@touch $@

run: $(VENV)/.stamp-runtime
	$(VENV)/bin/flask db upgrade
	$(VENV)/bin/flask load-initial-data
	$(VENV)/bin/flask run --host $(HOST) --port $(PORT)

# Debian packages for the real peers (Postfix, Dovecot, slapd, named, Chromium); fast when present.
test-deps:
	scripts/install-test-deps.sh

test-venv: $(VENV)/.stamp-test

test: test-deps test-venv
	DBS="$(DBS)" PYTEST_ARGS="$(PYTEST_ARGS)" PYTEST_WORKERS="$(PYTEST_WORKERS)" VENV=$(VENV) scripts/run-tests.sh

lint: test-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: test-venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
