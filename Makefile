# Pawline: `make up` runs the platform on this machine, `make test` passes the tests.
# Both set up everything they need first (.venv, RabbitMQ, the embedded store).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICES := $(sort $(wildcard services/*))
PACKAGES := libs/pawline $(SERVICES)

.DEFAULT_GOAL := help
.PHONY: help venv up down status logs test lint bench asyncapi constraints clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## create .venv and install every package, pinned by constraints.txt

# The official AsyncAPI JSON schemas (npm @asyncapi/specs), to validate docs/asyncapi.yaml.
ASYNCAPI_SPECS := tools/asyncapi/node_modules/.installed
$(ASYNCAPI_SPECS): tools/asyncapi/package.json tools/asyncapi/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to check docs/asyncapi.yaml: install Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix tools/asyncapi --no-audit --no-fund --loglevel=error
	@touch $@

up: venv ## start RabbitMQ (if local), the embedded store and every service; print where
	$(PY) devstack/devstack.py up

down: ## stop what `make up` started (data in var/ stays)
	@if [ -x $(PY) ]; then $(PY) devstack/devstack.py down; else echo "nothing to stop: no .venv, so make up never ran here"; fi

status: venv ## show what runs where
	$(PY) devstack/devstack.py status

logs: ## follow the logs of everything `make up` started
	tail -n 20 -F var/log/*.log

test: venv $(ASYNCAPI_SPECS) ## run every suite against real RabbitMQ and a throwaway store (ARGS=... go to pytest)
	$(PY) devstack/devstack.py test $(ARGS)

lint: venv ## ruff on everything, mypy on the pawline kit, docs/asyncapi.yaml up to date
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pawline.contracts.asyncapi --check docs/asyncapi.yaml

asyncapi: venv ## regenerate docs/asyncapi.yaml from pawline.contracts
	$(PY) -m pawline.contracts.asyncapi --output docs/asyncapi.yaml

bench: venv ## event store vs raw pymongo/SQLite/PostgreSQL, messaging vs raw kombu, gateway vs nameko @http, staff working windows vs raw pymongo; writes bench/results.md
	$(PY) bench/bench_eventstore.py --output bench/results.md
	$(PY) bench/bench_messaging.py --output bench/results.md
	$(PY) bench/bench_gateway.py --output bench/results.md
	$(PY) bench/bench_staff.py --output bench/results.md

constraints: venv ## re-pin constraints.txt from what .venv has installed
	@(head -n 1 constraints.txt; $(VENV)/bin/pip freeze --exclude-editable) > constraints.new
	@mv constraints.new constraints.txt

clean: down ## remove .venv and var/ (the embedded store's data too)
	rm -rf $(VENV) var
