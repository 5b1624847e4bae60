# Abonent: `make run` (set-up plus the app with demo data) and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app run.py
HOST ?= 127.0.0.1
PORT ?= 8080
DEMO_CUSTOMERS ?= 300
# the demo's mail catcher, where the scheduler sends the demo's bill emails
MAIL_PORT ?= 8025

.PHONY: run test install translations setup lint pytest chromium babel-extract babel-update bench

# `make run` installs the app with its demo extra (Faker, the mail catcher) and not the test
# tools; everything else installs the test extra, which holds the demo's too
ifeq ($(MAKECMDGOALS),run)
INSTALLED := $(VENV)/.installed-demo
else
INSTALLED := $(VENV)/.installed
endif

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

install: $(INSTALLED)

translations: install
	$(BIN)/pybabel compile -f -d app/translations

setup: translations
	$(FLASK) setup

run: setup
	$(FLASK) demo seed --customers $(DEMO_CUSTOMERS)
	@echo "Abonent on http://$(HOST):$(PORT)/ (Ctrl-C stops the web app, the scheduler and the mail catcher)"
	@export MAIL_SERVER=127.0.0.1 MAIL_PORT=$(MAIL_PORT) APP_URL=http://$(HOST):$(PORT) \
	  SANDBOX_WEBHOOK_URL=http://$(HOST):$(PORT)/gateway/webhook/sandbox; \
	$(FLASK) demo mailcatcher --port $(MAIL_PORT) & mail=$$!; \
	$(FLASK) scheduler run & sched=$$!; \
	trap 'kill $$sched $$mail 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - run:app

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_translations.py

# The browser tests drive Debian's chromium (Playwright's own browser download is not used);
# Korean pages need a Hangul font to be read in their screenshots (Nanum, as the bills')
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@fc-list 2>/dev/null | grep -qi nanum || { apt-get update -qq && apt-get install -y -qq fonts-nanum; }

# in random order, on every core (pytest-xdist: each worker its own database)
pytest: translations chromium
	env -u TEST_DATABASE_URL $(BIN)/pytest -n auto
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; $(BIN)/pytest -n auto; fi

test: lint pytest

babel-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ln:1,2 -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -o app/translations/messages.pot .

babel-update: babel-extract
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

bench: translations
	$(BIN)/python bench/bench_crm.py
	$(BIN)/python bench/rating.py
	$(BIN)/python bench/billing.py
	$(BIN)/python bench/billing_pdf.py
