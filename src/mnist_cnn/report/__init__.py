"""Running the notebooks headless and writing their pages: `python -m mnist_cnn report`.

`runner` runs each notebook with papermill, `pages` turns a run into its HTML pages and figures,
`parameters` checks the notebooks' parameters, `command` is the command line (`report`, `predict`,
`export`), and `quiet` drops TensorFlow's start-up notices where a command starts it.
"""
