# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
export FLASK_APP = wsgi
export PORT

.PHONY: run test install install-test migrate bench clean

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

run: migrate
	@echo "Gatehouse on http://127.0.0.1:$(PORT)"
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
