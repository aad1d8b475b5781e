# Two commands do everything on a fresh machine: `make report` and `make test`.
# Each creates the virtual environment the first time, from requirements.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOKS := notebooks
LINTED := src tests benchmarks notebooks conftest.py

.PHONY: help report test lint format lab notebook clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

report: $(INSTALLED) ## run both notebooks headless: their HTML reports, figures, metrics, models
	$(BIN)/python -m mnist_cnn report

test: $(INSTALLED) lint ## the whole suite: lint, unit tests, the report command, strict nbval
	$(BIN)/python -m pytest

lint: $(INSTALLED) ## ruff's lint and format checks on the code and the notebooks
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(INSTALLED) ## let ruff fix what it can and format the code and the notebooks
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

lab: $(INSTALLED) ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab $(NOTEBOOKS)

notebook: $(INSTALLED) ## re-run both notebooks on the full data and store their outputs (for nbval)
	$(BIN)/python -m mnist_cnn report --save-notebook --output-dir $$(mktemp -d)

$(INSTALLED): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

clean: ## remove the virtual environment and the generated reports and models
	rm -rf $(VENV) reports models
