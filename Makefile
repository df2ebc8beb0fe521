# The two set-up commands from the README:
#   make demo   install and run the app on the embedded default (SQLite, tasks in-process),
#               with the demo discussion loaded
#   make test   install and run the tests (PYTEST_ARGS="..." passes extra arguments)
#
# Both are idempotent: the virtualenv is created once and packages are reinstalled only when
# pyproject.toml changes (a stamp file per install flavour records the last install).

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

VENV_PYTHON := $(VENV)/bin/python
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install install-test run migrate seed clean-venv help

help:
	@echo "make demo   install, migrate, load the demo discussion and serve on http://$(HOST):$(PORT)/"
	@echo "make test   install the test extras and run pytest (PYTEST_ARGS='...' for more arguments)"

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e .
	@touch $@

# The test install is a superset of the app install, so it satisfies both stamps.
$(TEST_STAMP): pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e '.[test]'
	@touch $@ $(APP_STAMP)

install: $(APP_STAMP)

install-test: $(TEST_STAMP)

migrate: install
	$(VENV_PYTHON) manage.py migrate --noinput

seed: migrate
	$(VENV_PYTHON) manage.py seed_demo

run: install
	@echo ""
	@echo "  The demo forum is at  http://$(HOST):$(PORT)/   (Ctrl-C stops it)"
	@echo ""
	$(VENV_PYTHON) manage.py runserver $(HOST):$(PORT)

demo: seed run

# pytest exits 5 when it collected no test; make treats that as a failure, as it should.
test: install-test
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
