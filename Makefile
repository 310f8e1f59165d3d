# Two commands do all set-up on a fresh machine:
#   make book   create .venv, install, build the HTML book (warnings are errors)
#   make test   create .venv, install, run unit tests and every chapter under nbval (in parallel,
#               one worker per core: pyproject.toml), the book
#               build, and the real-browser test of the built book (headless Chromium)
# Other targets:
#   make notebooks         every chapter as .ipynb with an install cell, under notebooks/ (for Colab;
#                          plain Markdown with the build's numbers: needs `make build` first)
#   make notebook-check    the generated notebooks: no raw MyST; a cheap chapter executed shows every figure
#   make figures           every figure of the book as PNG under figures/ (TIER=paper for the paper's sizes)
#   make book-nosolutions  the book without exercise solutions, under _build/nosolutions/html
#   make browser           only the browser test (needs a build, chromium and chromium-driver)
#   make mutants           planted-bug check: realistic mutations of the package, each must fail a unit test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TIER ?= ci

.PHONY: book test unit chapters build browser notebooks notebook-check figures book-nosolutions mutants clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP) build

# --all: every page is read again, so every chapter is executed again (execute_notebooks: force),
# also after an edit of the package alone: the published figures always come from the code as it is.
build:
	$(BIN)/jupyter-book build . -W --keep-going --all
	@echo "Book built: open _build/html/index.html"

unit: $(STAMP)
	$(BIN)/python -m pytest tests

chapters: $(STAMP)
	$(BIN)/python -m pytest book

# Loads every page of _build/html in headless Chromium; screenshots go to _build/screens/.
# Serial (-n 0), as is notebook-check: one browser or kernel at a time, as before the parallel unit tests.
browser: $(STAMP)
	$(BIN)/python -m pytest -n 0 tests/browser_check.py

# Not part of `make test`: it runs the unit tests once per mutant (minutes).
mutants: $(STAMP)
	$(BIN)/python tests/mutants.py

notebooks: $(STAMP)
	$(BIN)/python -m assocmem notebooks --toc _toc.yml --out notebooks --build _build

notebook-check: $(STAMP)
	$(BIN)/python -m pytest -n 0 tests/notebook_check.py

figures: $(STAMP)
	$(BIN)/python -m assocmem figures --tier $(TIER) --out figures

book-nosolutions: $(STAMP)
	mkdir -p _build/nosolutions
	sed 's/^\( *hide_solutions:\).*/\1 true/' _config.yml > _build/nosolutions/_config.yml
	grep -q 'hide_solutions: true' _build/nosolutions/_config.yml
	$(BIN)/jupyter-book build . -W --keep-going --all --config _build/nosolutions/_config.yml --path-output _build/nosolutions
	@echo "Book without solutions: open _build/nosolutions/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest tests book
	$(MAKE) build
	$(MAKE) notebooks
	$(MAKE) notebook-check
	$(MAKE) browser

clean:
	rm -rf _build notebooks figures
