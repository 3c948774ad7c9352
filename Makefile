# Two commands for a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test check lint format exercises bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt pyproject.toml
	@echo "Installing the pinned packages into $(VENV) (about a minute, once)..."
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## lab: start JupyterLab on the start-here notebook (127.0.0.1 only; moto is embedded, no AWS account).
lab: $(STAMP)
	$(BIN)/lambda-course lab

## test: every test: unit tests, notebooks under nbval, exercise checks, lint.
test: $(STAMP)
	$(BIN)/ruff check course tests benchmarks
	$(BIN)/ruff format --check course tests benchmarks
	$(BIN)/python -m pytest

## check: check your exercise notebooks in work/ (copy one there with `.venv/bin/lambda-course start 03`).
check: $(STAMP)
	@mkdir -p work
	$(BIN)/lambda-course check work

## exercises: regenerate exercises/ from solutions/.
exercises: $(STAMP)
	$(BIN)/lambda-course build

## format: apply ruff's formatting and safe fixes.
format: $(STAMP)
	$(BIN)/ruff check --fix course tests benchmarks
	$(BIN)/ruff format course tests benchmarks

## bench: run the speed benchmarks (not part of `make test`).
bench: $(STAMP) requirements-bench.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
