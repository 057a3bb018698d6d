# Backprop, derived and verified: two commands do everything on a fresh clone.
#   make book   -> .venv with the pinned requirements, HTML book in _build/html
#   make test   -> lint, unit tests, strict nbval on every notebook, clean -W build, browser check
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip warns about this machine's unreachable local indexes; hide that noise, keep real errors.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
BOOK_STAMP := $(VENV)/.book-installed
DEV_STAMP := $(VENV)/.dev-installed
# jupyter-book -q prints Sphinx's warnings and errors only; this drops its banner too.
JB_QUIET := 2>&1 | { grep -v -E '^(Running Jupyter-Book|Source Folder|Config Path|Output Path|Finished generating|Your book|You can look|Or paste|Your _build)|^\s+(_build/|file://)|={20}|^\s*$$' || true; }
# Rules of tools/browser_check.py that are reported in _build/browser-report.txt but do not
# fail yet. Empty: the book passes every rule, and any break fails `make test`. Only a new rule
# may be listed here, for the time it takes to fix the pages it finds.
BROWSER_RULES_NOT_YET_ENFORCED ?=
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test lint unit nbval build-clean browser pdf exercises lab status execute bench clean help

help:
	@echo "make book       build the HTML book into _build/html"
	@echo "make test       every check CI runs (lint, tests, nbval, -W build, browser, pdf)"
	@echo "make pdf        the whole book as one PDF, _build/pdf/book.pdf (offline, Chromium)"
	@echo "make exercises  write the missing student notebooks into exercises/ (never overwrites;"
	@echo "                FORCE=1 or FORCE=05_activations.ipynb replaces, after a backup)"
	@echo "make lab        open exercises/ in JupyterLab (MyST boxes and math rendered)"
	@echo "make status     run every exercise's check: ✓ / ✗ + hint / not started"
	@echo "                (STATUS=\"alice/ bob/\" for a teacher's folders; CSV: STATUS_CSV=f.csv)"
	@echo "make execute    re-execute every notebook of book/ in place (after editing one)"
	@echo "make bench      bplib vs naive vs PyTorch, Tensor vs layers (writes book/data/bench*.json)"

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: this course needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'missing (not found)')." >&2; \
	  echo "       Install a newer python3 or run: make PYTHON=/path/to/python3.11 book" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV) (is the venv module installed? Debian: apt-get install python3-venv)" >&2; exit 1; }
	@touch $@

$(BOOK_STAMP): $(VENV)/.python-ok requirements.txt pyproject.toml
	@echo ">>> installing the book's requirements into $(VENV) (quiet; a few minutes the first time)"
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -e . $(QUIET_PIP) \
	  || { echo "error: pip could not install requirements.txt into $(VENV); see the messages above." >&2; exit 1; }
	@touch $@

$(DEV_STAMP): $(BOOK_STAMP) requirements-dev.txt
	@echo ">>> installing the test requirements (pytest, nbval, hypothesis, ruff, torch CPU)"
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt $(QUIET_PIP) \
	  || { echo "error: pip could not install requirements-dev.txt into $(VENV); see the messages above." >&2; exit 1; }
	@touch $@

book: $(BOOK_STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going -q $(JB_QUIET)
	@echo ">>> open _build/html/index.html in a browser"

lint: $(DEV_STAMP)
	$(BIN)/ruff check bplib tests tools book

unit: $(DEV_STAMP)
	$(BIN)/pytest -q tests

# One BLAS thread: the notebooks' printed numbers then do not depend on how many threads
# numpy's OpenBLAS splits a product over, and two threads never fight over two busy cores.
nbval: export OPENBLAS_NUM_THREADS := 1
nbval: $(DEV_STAMP)
	$(BIN)/pytest -q --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly book

build-clean: $(DEV_STAMP)
	$(BIN)/jupyter-book clean . --all $(JB_QUIET)
	$(BIN)/jupyter-book build . -W -n --keep-going -q $(JB_QUIET)

browser: $(DEV_STAMP)
	$(PY) tools/browser_check.py _build/html --report _build/browser-report.txt \
	  --not-enforced "$(BROWSER_RULES_NOT_YET_ENFORCED)"

# The single-page HTML build, printed by the system Chromium, then checked (every chapter title
# in it, no raw TeX, its first pages rendered to _build/pdf/page-*.png).
pdf: $(DEV_STAMP)
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going -q $(JB_QUIET)
	$(PY) tools/book_pdf.py print _build/singlehtml _build/pdf/book.pdf
	$(PY) tools/book_pdf.py check _build/pdf/book.pdf

test: lint unit nbval build-clean browser pdf
	@echo ">>> make test: every check passed"

# Writes only the missing notebooks; FORCE=1 replaces all of them, FORCE=05_activations.ipynb one
# (each old file is moved to exercises/backups/<date>_<time>/ first: nothing is ever deleted).
exercises: $(BOOK_STAMP)
	$(PY) -m bplib.exercises student book/ -o exercises/$(if $(FORCE), --force$(if $(filter 1 yes all,$(FORCE)),, $(FORCE)))

# JupyterLab on the student notebooks (writes the missing ones first, never overwrites any).
# Jupyter refuses to start as root (a container, a VM's only user) unless told it may.
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
lab: exercises
	$(BIN)/jupyter lab --ServerApp.root_dir=exercises $(LAB_ROOT)

# Each student notebook runs in its own kernel; one line per exercise, a table per folder.
STATUS ?= exercises/
status: $(BOOK_STAMP)
	$(PY) -m bplib.exercises status $(STATUS)$(if $(STATUS_CSV), --csv $(STATUS_CSV))

execute: export OPENBLAS_NUM_THREADS := 1
execute: $(BOOK_STAMP)
	$(PY) tools/execute_notebooks.py book

bench: $(DEV_STAMP)
	$(PY) -m bplib.bench --only layers --out book/data/bench.json
	$(PY) -m bplib.bench --only tensor --out book/data/bench_tensor.json

clean:
	rm -rf _build .pytest_cache
	@echo ">>> kept exercises/: it holds your work (delete it yourself if you really mean to)"
