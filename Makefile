# Two commands do all set-up on a fresh machine:
#   make book   create .venv, install, build the HTML book (warnings are errors)
#   make test   create .venv, install, run unit tests, every chapter under nbval, and the book build
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test unit chapters build clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP) build

build:
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "Book built: open _build/html/index.html"

unit: $(STAMP)
	$(BIN)/python -m pytest tests

chapters: $(STAMP)
	$(BIN)/python -m pytest book

test: $(STAMP)
	$(BIN)/python -m pytest tests book
	$(MAKE) build

clean:
	rm -rf _build
