# Two commands set up a fresh machine:
#   make run   - virtual environment, install, schema, seeds and a small synthetic demo ledger, demo accounts,
#                serve on http://127.0.0.1:5000
#   make test  - the whole test suite (SQLite by default; set TEST_DATABASE_URL for PostgreSQL or MariaDB)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run db seed test translations clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed --demo --problems 80 --anchor today

run: seed
	$(FLASK) demo-accounts
	@echo "面板地址：http://$(HOST):$(PORT)/admin/  （Ctrl+C 停止）"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

translations: install
	$(BIN)/pybabel compile -d admin/translations -D admin

clean:
	rm -rf $(VENV) .pytest_cache
