"""Running the notebooks headless and writing their pages: `python -m mnist_cnn report`.

`runner` runs each notebook with papermill, `pages` turns a run into its HTML pages and figures,
`parameters` checks the notebooks' parameters and sets up a kernel's environment, `summary` is a
run's summary table, `book` builds the notebooks' runs and the guides into one static site
(`make book`), and `command` is the command line (`report`, `book`, `predict`, `export`).
"""
