# Two commands do everything on a fresh machine: `make report` and `make test`.
# Each creates the virtual environment the first time, from requirements.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOK := notebooks/mnist_cnn.ipynb
LINTED := src tests benchmarks notebooks conftest.py

.PHONY: help report test lint format lab notebook clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

report: $(INSTALLED) ## run the notebook headless: reports/mnist_cnn.html, figures, metrics, the model
	$(BIN)/python -m mnist_cnn report

test: $(INSTALLED) lint ## the whole suite: lint, unit tests, the report command, strict nbval
	$(BIN)/python -m pytest

lint: $(INSTALLED) ## ruff's lint and format checks on the code and the notebook
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(INSTALLED) ## let ruff fix what it can and format the code and the notebook
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

lab: $(INSTALLED) ## open the notebook in JupyterLab
	$(BIN)/jupyter lab $(NOTEBOOK)

notebook: $(INSTALLED) ## re-run the notebook on the full data and store its outputs (for nbval)
	$(BIN)/python -m mnist_cnn report --save-notebook --output-dir $$(mktemp -d)

$(INSTALLED): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

clean: ## remove the virtual environment and the generated reports and models
	rm -rf $(VENV) reports models
