# VeoStudio: `make run` to use it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# An interpreter to try first when creating .venv, e.g. `make install PYTHON=/opt/py/bin/python3`.
PYTHON ?=
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k upload -x"`.
PYTEST_ARGS ?=

# Browser tests use Debian's Chromium; Playwright must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
export PYTHONDONTWRITEBYTECODE := 1

PY_OK := import sys; assert sys.version_info >= (3, 12)

.PHONY: help install run test checks suite lint bench bench-short chromium nginx ffmpeg clean

help:
	@echo "make run     install what is missing, migrate, then start VeoStudio (web, worker, simulator)"
	@echo "make test    install, lint, import layers, type checks, Django checks, then the whole test suite (PYTEST_ARGS=... to narrow)"
	@echo "make suite   only the test suite (what make test runs after its checks)"
	@echo "make install create .venv with Python >= 3.12 and install requirements-dev.txt"
	@echo "make lint    ruff check, ruff format --check, the import layers (lint-imports) and mypy"
	@echo "make bench   run the speed benchmarks (bench/run.py) and write bench/RESULTS.md"
	@echo "make bench-short  the short benchmark CI runs (report in var/bench-short.md)"
	@echo "make clean   remove .venv, collected static files and caches (keeps the database and media)"

# Recreate .venv when it is missing or its Python is too old or broken; then install the
# requirements in a sub-make, which sees the stamp's state after any rebuild.
install:
	@if ! $(PY) -c '$(PY_OK)' >/dev/null 2>&1; then \
		python="$$(PYTHON='$(PYTHON)' scripts/find_python.sh)"; \
		if [ -e $(VENV) ]; then echo "Recreating $(VENV): its Python is missing or older than 3.12"; fi; \
		rm -rf $(VENV); \
		echo "Creating $(VENV) with $$python"; \
		"$$python" -m venv $(VENV); \
	fi
	@$(MAKE) -s $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@echo "Installing requirements-dev.txt into $(VENV)"
	@$(PY) -m pip install $(if $(CI),--progress-bar off) -r requirements-dev.txt
	@touch $@

run: install
	@mkdir -p var
	@$(PY) scripts/run.py

test: checks
	VEOSTUDIO_TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

# What `make test` runs before the suite; .ci/run runs it once, then the suite on SQLite and
# on PostgreSQL side by side (`make suite`).
checks: install chromium nginx
	@mkdir -p var
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

suite: install chromium nginx
	VEOSTUDIO_TESTING=1 $(PY) -m pytest $(PYTEST_ARGS)

# Ratios against a bare authenticated view on the same gunicorn server; see bench/README.md.
# Ready-to-seen (bench/ready.py) drives Debian's Chromium, hence the chromium target.
bench: install chromium ffmpeg
	@mkdir -p var
	$(PY) bench/run.py

bench-short: install chromium ffmpeg
	@mkdir -p var
	$(PY) bench/run.py --short

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

# The browser tests need Debian's Chromium; without it the suite fails rather than skipping them.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -q; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM), and it is not installed." >&2; \
			echo "Install it once with:  sudo apt-get install -y chromium   then run make test again." >&2; \
			exit 1; \
		fi; \
	fi

# The export benchmark (bench/export.py) measures the worker's stitching against Debian's ffmpeg.
ffmpeg:
	@if ! command -v ffmpeg >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's ffmpeg for the export benchmark"; \
			apt-get update -q; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q ffmpeg; \
		else \
			echo "The export benchmark compares with Debian's ffmpeg, and it is not installed." >&2; \
			echo "Install it once with:  sudo apt-get install -y ffmpeg   then run make bench again." >&2; \
			exit 1; \
		fi; \
	fi

# tests/test_nginx.py starts Debian's nginx on loopback with its own config.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's nginx-light for the nginx tests"; \
			apt-get update -q; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light; \
		else \
			echo "The nginx tests need Debian's nginx, and it is not installed." >&2; \
			echo "Install it once with:  sudo apt-get install -y nginx-light   then run make test again." >&2; \
			exit 1; \
		fi; \
	fi

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache test-results
	rm -f var/test-db*.sqlite3*
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
