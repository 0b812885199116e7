# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
export FLASK_APP = wsgi
export PORT

.PHONY: run worker test lint install install-test migrate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,redis]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-installed

install: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

migrate: install
	$(BIN)/flask db upgrade
	$(BIN)/flask ensure-admin

# gunicorn's master also starts the task queue's consumer (`flask worker`, the mail outbox) and
# stops it when it exits: one Ctrl-C stops both (deploy/gunicorn.conf.py).
run: migrate
	@echo "Gatehouse on http://127.0.0.1:$(PORT), with its task queue consumer; Ctrl-C stops both"
	GATEHOUSE_EMBEDDED_WORKER=1 $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

# The consumer alone, for a server started some other way.
worker: migrate
	$(BIN)/flask worker

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# What CI holds the code to: lint rules, one formatting, and types.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
