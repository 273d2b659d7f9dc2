# The attribute portal. `make demo` runs it against the bundled emulator; `make test` runs
# every check CI runs. Every target creates .venv and installs the pinned dependencies
# when they are missing or changed, so each works on a fresh clone.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
VAR := var
EMU := $(VAR)/emulator

# Django 6 needs Python 3.12+. pyenv users get 3.13 from .python-version; otherwise the
# first of python3.13, python3.12, python3 that actually runs and is new enough.
PYTHON_FOR_VENV := $(shell for c in python3.13 python3.12 python3; do \
	if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$c; break; fi; done)

# The demo tenant's fixed identifiers (emulator/tenant/demo.py); a real tenant sets its own.
DEMO_TENANT := 3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01
DEMO_ENV := \
	PORTAL_TENANT_ID=$(DEMO_TENANT) \
	PORTAL_CLIENT_ID=8b2f7c1d-4e5a-4c3b-9d8e-1a2b3c4d5e6f \
	PORTAL_CLIENT_SECRET=demo-portal-secret-not-for-production \
	PORTAL_AUTHORITY=https://localhost:8443/$(DEMO_TENANT) \
	PORTAL_GRAPH_URL=https://localhost:8443/graph \
	PORTAL_CA_BUNDLE=$(abspath $(EMU))/ca.pem \
	PORTAL_CSP_FORM_ACTION=http://localhost:8001
DEMO_NAMES := $(foreach v,$(DEMO_ENV),$(firstword $(subst =, ,$(v))))

# The audit log's outcome seals need one key across restarts (README, "The audit log").
# Unless the environment gives one, both targets use var/audit.key, created once.
define audit_key
	if [ -z "$${PORTAL_AUDIT_KEY:-}$${PORTAL_AUDIT_KEY_FILE:-}" ]; then \
		mkdir -p $(VAR); [ -s $(VAR)/audit.key ] || (umask 077; \
		$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(VAR)/audit.key); \
		export PORTAL_AUDIT_KEY_FILE=$(abspath $(VAR))/audit.key; fi
endef

# What `make demo` runs the portal with; env_names collects what var/portal.env gets.
# The database is named (the default, as a full path) only when the environment names none.
define demo_environment
	export DEBUG=true SECURE_COOKIES=false $(DEMO_ENV); \
	env_names="DEBUG SECURE_COOKIES $(DEMO_NAMES) PORTAL_AUDIT_KEY_FILE"; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
		export DATABASE_URL=sqlite:///$(abspath $(VAR))/portal.sqlite3; \
		env_names="$$env_names DATABASE_URL"; fi
endef

# Writes $(VAR)/portal.env (mode 600) with the variables in $$env_names that are set, so
# that manage.py commands in another shell run as the target ran (portal/envfile.py).
# Only variables a target set itself are named: never a secret of the person's own.
define write_env_file
	mkdir -p $(VAR); (umask 077; \
		echo "# Written by make $@ on $$(date -u +%FT%TZ); manage.py reads it (portal/envfile.py)."; \
		for name in $$env_names; do \
			if [ -n "$${!name:-}" ]; then printf '%s=%s\n' "$$name" "$${!name}"; fi; done \
	) > $(VAR)/portal.env.tmp; chmod 600 $(VAR)/portal.env.tmp; mv $(VAR)/portal.env.tmp $(VAR)/portal.env
endef

# Starts the emulator in the background on its demo ports, stops it when the recipe
# ends, and waits until it listens. Its tenant is kept in var/emulator/state.json.
define start_emulator
	mkdir -p $(EMU); rm -f $(EMU)/ready.json; \
	$(PY) -m emulator --port 8443 --browser-port 8001 --seed demo \
		--state $(EMU)/state.json --ca-dir $(EMU) --ready-file $(EMU)/ready.json & \
	emulator_pid=$$!; trap 'kill $$emulator_pid 2>/dev/null; wait $$emulator_pid 2>/dev/null' EXIT; \
	for _ in $$(seq 150); do [ -f $(EMU)/ready.json ] && break; \
		kill -0 $$emulator_pid 2>/dev/null || { echo "The emulator did not start (see above)."; exit 1; }; \
		sleep 0.1; done; \
	[ -f $(EMU)/ready.json ] || { echo "The emulator did not start within 15 s."; exit 1; }
endef

# Starts the bulk-job worker (Django tasks, database queue) in the background and stops it
# with the recipe, with the emulator if one was started. Production runs
# `manage.py db_worker` as a process of its own (README, "Production deployment").
define start_worker
	$(PY) manage.py db_worker --no-reload --no-startup-delay --interval 1 --verbosity 0 & \
	worker_pid=$$!; \
	trap 'kill $$worker_pid $${emulator_pid:-} 2>/dev/null; wait 2>/dev/null' EXIT
endef

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
		echo "Python 3.12 or newer is needed (Django 6 refuses older ones)."; \
		echo "Install python3.13 (Debian/Ubuntu: apt-get install python3.13 python3.13-venv;"; \
		echo "pyenv: pyenv install 3.13) and run make again."; exit 1; fi
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.prod-installed: requirements/prod.lock | $(PY)
	$(PY) -m pip install --quiet -r requirements/prod.lock
	@touch $@

$(VENV)/.dev-installed: requirements/dev.lock | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.lock
	@touch $@ $(VENV)/.prod-installed

.PHONY: install install-dev
install: $(VENV)/.prod-installed ## Create .venv with the pinned runtime dependencies
install-dev: $(VENV)/.dev-installed ## Create .venv with the pinned runtime and development dependencies

.PHONY: chromium
chromium: ## Make sure Debian's Chromium is installed for the browser tests
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Chromium is missing. Install it with: sudo apt-get install -y chromium"; exit 1; \
		fi; fi

# Both targets settle every pending audit record (--older-than 0) before their server
# starts: no portal process of theirs is running yet, so nothing can still be mid-change
# and whatever is pending was left by one that stopped. Several instances sharing one
# database are not started this way: there, audit_reconcile keeps its default so it leaves
# the other instances' changes in flight alone (README, "Intent first").
.PHONY: demo
demo: $(VENV)/.prod-installed ## Run the portal against the emulator's demo tenant
	@$(audit_key); $(start_emulator); \
	$(demo_environment); $(write_env_file); \
	$(PY) manage.py migrate --noinput >/dev/null; \
	$(PY) manage.py audit_reconcile --older-than 0; \
	$(start_worker); \
	echo; echo "  The portal:   http://localhost:8000/"; \
	echo "  Sign in as:   ada.admin@contoso.example (or lee.lead, ava.auditor, rey.reader, gil.global) with password demo"; \
	echo "  The emulator: http://localhost:8001/_emulator/   (Ctrl-C stops it, the portal and the bulk-job worker)"; echo; \
	$(PY) manage.py runserver --noreload localhost:8000

.PHONY: demo-env
demo-env: | $(PY) ## Write var/portal.env as make demo does, without starting anything
	@$(audit_key); $(demo_environment); $(write_env_file); echo "Wrote $(VAR)/portal.env"

.PHONY: serve
serve: $(VENV)/.prod-installed ## Run gunicorn with DEBUG off (against the emulator unless PORTAL_CLIENT_ID is set)
	@set -e; $(audit_key); export DEBUG=false ALLOWED_HOSTS="$${ALLOWED_HOSTS:-localhost,127.0.0.1}"; \
	env_names="DEBUG ALLOWED_HOSTS PORTAL_AUDIT_KEY_FILE"; \
	if [ -z "$${SECRET_KEY:-}" ]; then env_names="$$env_names SECRET_KEY"; \
		export SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"; fi; \
	if [ -z "$${DATABASE_URL:-}" ]; then env_names="$$env_names DATABASE_URL"; \
		export DATABASE_URL=sqlite:///$(abspath $(VAR))/portal.sqlite3; fi; \
	if [ -z "$${PORTAL_CLIENT_ID:-}" ]; then \
		echo "PORTAL_CLIENT_ID is not set: serving against the bundled emulator."; \
		$(start_emulator); export SECURE_COOKIES=false PORTAL_ALLOW_DEMO_CLIENT=true $(DEMO_ENV); \
		env_names="$$env_names SECURE_COOKIES PORTAL_ALLOW_DEMO_CLIENT $(DEMO_NAMES)"; fi; \
	$(write_env_file); \
	$(PY) manage.py collectstatic --noinput >/dev/null; \
	$(PY) manage.py migrate --noinput >/dev/null; \
	$(PY) manage.py audit_reconcile --older-than 0; \
	$(start_worker); \
	echo "  The portal: http://localhost:8000/"; \
	$(VENV)/bin/gunicorn portal.wsgi:application --config python:portal.gunicorn_config \
		--bind localhost:8000

.PHONY: lint
lint: $(VENV)/.dev-installed ## ruff (lint and format check), mypy and the import-linter contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

.PHONY: fmt
fmt: $(VENV)/.dev-installed ## Format and autofix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: test
test: $(VENV)/.dev-installed chromium lint ## Lint, the whole suite on SQLite (with coverage), then the PostgreSQL tests
	$(PY) -m coverage run -m pytest -m "not postgres"
	$(PY) -m coverage report
	@if [ -n "$${PORTAL_TEST_POSTGRES_URL:-}" ]; then \
		echo "Running the PostgreSQL tests (PORTAL_TEST_POSTGRES_URL)"; \
		DATABASE_URL="$$PORTAL_TEST_POSTGRES_URL" $(PY) -m pytest -m "postgres or smoke"; \
	else echo "PORTAL_TEST_POSTGRES_URL is not set: the PostgreSQL tests did not run."; fi

# Exit 1 on a known vulnerability, 3 when some pin could not be audited (SECURITY.md, item 8).
.PHONY: audit-deps
audit-deps: $(VENV)/.dev-installed ## Audit the pinned runtime dependencies for known vulnerabilities
	$(PY) .ci/audit_deps.py --lock requirements/prod.lock

.PHONY: bench
bench: $(VENV)/.dev-installed ## Run every bench/ script (~30 min) and write bench/RESULTS.md
	$(PY) bench/run_all.py

.PHONY: screenshots
screenshots: $(VENV)/.dev-installed chromium ## Write the README's screenshots (docs/screenshots/) from a demo portal on free ports
	$(PY) bench/screenshots.py

.PHONY: lock
lock: $(VENV)/.dev-installed ## Re-pin requirements/*.lock from pyproject.toml
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 --no-header -q -o requirements/prod.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 --no-header -q -o requirements/dev.lock

.PHONY: clean
clean: ## Remove the virtualenv and local state (var/)
	rm -rf $(VENV) $(VAR)
