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

WORKERS ?= 4
PYTEST_ARGS ?=

.PHONY: install run serve db seed test bench bench-quick loadtest loadtest-portal translations clean

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

# Production: several gunicorn workers, configured from the environment (DATABASE_URL, SECRET_KEY, APP_ENV=production).
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --error-logfile - "app:create_app()"

test: install
	@command -v chromium >/dev/null || echo "提示：未找到 Chromium（Debian 包 chromium），浏览器端到端测试（tests/e2e）将被跳过。"
	@command -v soffice >/dev/null || echo "提示：未找到 LibreOffice（soffice），报表打印测试（tests/test_print.py）将被跳过。"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (docs/PERFORMANCE.md): 100,000 problems against stock Flask-Admin and a bare openpyxl dump; the quick
# one prints the same ratios in under a minute. BENCH_DATABASE_URL runs them on PostgreSQL or MariaDB.
bench: install
	$(BIN)/python bench/run.py

bench-quick: install
	$(BIN)/python bench/run.py --quick

# Load test (docs/PERFORMANCE.md): 20 logged-in users against gunicorn on PostgreSQL for 60 seconds; locust is
# installed in its own environment, apart from the app's packages.
LOAD_VENV := bench/.data/load-venv
$(LOAD_VENV)/.installed: bench/requirements-load.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-load.txt
	touch $@

loadtest: install $(LOAD_VENV)/.installed
	$(BIN)/python bench/load.py

# The portal under a crowd: 50 enterprises each submitting a 诉求 a second, on gunicorn and PostgreSQL.
loadtest-portal: install $(LOAD_VENV)/.installed
	$(BIN)/python bench/load.py --portal

translations: install
	$(BIN)/pybabel compile -d admin/translations -D admin
	$(BIN)/pybabel compile -d cli/translations -D cli

clean:
	rm -rf $(VENV) .pytest_cache
