# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run build test lint golden shapes clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: build
	$(BIN)/ryoiki-ld serve --host 127.0.0.1 --port 8000

build: $(STAMP)
	$(BIN)/ryoiki-ld build

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the golden files after an intended change to the output; review the diff before committing.
golden: $(STAMP)
	$(BIN)/ryoiki-ld build --out build
	cp build/data/networks.csv tests/golden/networks.csv

# Regenerate shapes/criteria.ttl after changing data/criteria.csv (or its template, shapes/criteria.ttl.j2).
shapes: $(STAMP)
	$(BIN)/python -m ryoiki_ld.validate.criteria

clean:
	rm -rf build $(VENV)
