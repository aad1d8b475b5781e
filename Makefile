# Two commands do everything on a fresh machine: `make report` and `make test`.
# Each creates the virtual environment the first time, from requirements.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NOTEBOOK := notebooks/mnist_cnn.ipynb

.PHONY: report test lab notebook clean

# The main job: run the notebook headless and write reports/mnist_cnn.html.
report: $(INSTALLED)
	$(BIN)/python -m mnist_cnn report

# The whole suite: unit tests, the report command, and the notebook under strict nbval.
test: $(INSTALLED)
	$(BIN)/python -m pytest

# Open the notebook interactively in JupyterLab.
lab: $(INSTALLED)
	$(BIN)/jupyter lab $(NOTEBOOK)

# Re-run the notebook in place on the full data, refreshing the outputs nbval compares.
# Its model and reports go to a temporary folder, not over your own.
notebook: $(INSTALLED)
	$(BIN)/python -m mnist_cnn report --save-notebook --output-dir $$(mktemp -d)

$(INSTALLED): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) reports models
