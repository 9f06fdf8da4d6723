# The commands of the Pleiades National Data Portal. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= development
HOST ?= 127.0.0.1
PORT ?= 8080
INSTANCE ?= instance
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed

# Pins apply to every install, build environments (hatchling) included.
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

PACKAGE := src/belspo.pleiades
CODE := $(PACKAGE)/src/belspo/pleiades
XML := $(shell find $(CODE) -name '*.zcml' -o -name '*.xml' | sort)

.PHONY: help
help: ## Show the commands
	@grep -hE '^[a-z0-9.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): constraints.txt requirements.txt $(PACKAGE)/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { \
	  echo "make: $(PYTHON) not found. Install Python 3.11 (apt-get install python3.11 python3.11-venv)" \
	       "or point to it: make PYTHON=/path/to/python3.11"; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || { \
	  echo "make: $(PYTHON) is older than Python 3.11."; exit 2; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "make: could not create $(VENV) (on Debian: apt-get install python3.11-venv)"; exit 2; }
	$(BIN)/python -m pip install -q "pip==$$(sed -n 's/^pip==//p' constraints.txt)"
	$(BIN)/python -m pip install -q -r requirements.txt || { \
	  echo "make: installing the pinned set failed (see above): is the package index reachable?"; exit 2; }
	@touch $@

.PHONY: install
install: $(STAMP) ## Create .venv and install the pinned set (done by run and test)

.PHONY: run
run: install ## Start the portal (PROFILE=development|production|backup, PORT=8080)
	$(BIN)/pleiades-run --profile $(PROFILE) --host $(HOST) --port $(PORT) --instance $(INSTANCE)

.PHONY: instance
instance: install ## Generate instance/etc from profiles/$(PROFILE) without starting
	$(BIN)/pleiades-instance --profile $(PROFILE) --instance $(INSTANCE)

CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)

# The browser tests drive Debian's Chromium (Playwright cannot download one here).
.PHONY: chromium
chromium: ## Install Debian's chromium for the browser tests (apt-get, as root or with sudo)
	@test -x $(CHROMIUM) || $(SUDO) apt-get install -y -q chromium \
	  || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; } \
	  || { echo "make: could not install chromium (apt-get install -y chromium)"; exit 2; }

.PHONY: test
test: install chromium ## Run the whole test suite (PostgreSQL, buildout and browsers included)
	$(BIN)/pytest tests $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: install ## Run the quick tests only (not marked slow)
	$(BIN)/pytest tests -m "not slow" $(PYTEST_ARGS)

BENCH_SIZES ?= 100000 1000000

.PHONY: bench
bench: install ## Run the benchmarks and write docs/benchmarks.md (BENCH_SIZES=...)
	$(BIN)/python bench/spatial.py --sizes $(BENCH_SIZES) --output docs/benchmarks.md
	$(BIN)/python bench/ingest.py --output docs/benchmarks.md
	$(BIN)/python bench/backup.py --output docs/benchmarks.md
	$(BIN)/python bench/stac.py --output docs/benchmarks.md
	$(BIN)/python bench/portal.py --output docs/benchmarks.md
	$(BIN)/python bench/load.py --output docs/benchmarks.md

BACKUP_INSTANCE ?= backup-instance
BACKUP_PROFILE ?= backup

.PHONY: backup
backup: install ## Bring the backup site up to date, verify it, report (BACKUP_PROFILE=backup|backup-postgresql)
	$(BIN)/pleiades-backup --profile $(PROFILE) --instance $(INSTANCE) \
	  --backup-instance $(BACKUP_INSTANCE) --backup-profile $(BACKUP_PROFILE)

.PHONY: lint
lint: install ## Check code style (ruff, zpretty)
	$(BIN)/ruff check $(PACKAGE) tests bench
	$(BIN)/ruff format --check $(PACKAGE) tests bench
	$(BIN)/zpretty --check $(XML)

.PHONY: format
format: install ## Reformat code (ruff, zpretty)
	$(BIN)/ruff check --fix-only $(PACKAGE) tests bench
	$(BIN)/ruff format $(PACKAGE) tests bench
	$(BIN)/zpretty -i $(XML)

.PHONY: i18n
i18n: install ## Extract messages and update the en, fr and nl catalogues
	$(BIN)/i18ndude rebuild-pot --pot $(CODE)/locales/belspo.pleiades.pot \
	  --create belspo.pleiades $(CODE)
	$(BIN)/i18ndude sync --pot $(CODE)/locales/belspo.pleiades.pot \
	  $(CODE)/locales/*/LC_MESSAGES/belspo.pleiades.po

.PHONY: buildout
buildout: install versions.cfg ## Build the same deployment with zc.buildout (bin/instance)
	$(BIN)/buildout -N

.PHONY: clean
clean: ## Remove .venv and generated files (keeps instance/var, the data)
	rm -rf $(VENV) instance/etc bin parts develop-eggs eggs .installed.cfg .pytest_cache

versions.cfg: constraints.txt ## Regenerate buildout's [versions] from the pins
	sed -i '/^\[versions\]/q' $@ && sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*\)==\([^ ;#]*\).*/\1 = \2/p' $< >> $@
