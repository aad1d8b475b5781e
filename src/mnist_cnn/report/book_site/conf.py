"""Sphinx's settings for the book, `python -m mnist_cnn book`: MyST-NB reads the notebooks' stored outputs
(none is run), the Furo theme lays the pages out, and no page loads anything from the network.

`mnist_cnn.report.book` copies this file, with `_static/`, into the Sphinx source folder it gathers.
"""

project = "mnist-cnn"
html_title = "mnist-cnn"
extensions = ["myst_nb"]
root_doc = "index"
language = "en"

# The theme: Furo ships its fonts (the system's), icons and scripts; nothing comes from a CDN.
html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["code_toggle.css"]
html_js_files = [("code_toggle.js", {"defer": "defer"})]  # one button per notebook page: the code hidden or shown
html_show_sphinx = False
html_show_copyright = False
html_copy_source = False  # no _sources/ copies of the notebooks: the book stays small
html_show_sourcelink = False
# Search works from a file: search.html loads searchindex.js with a script tag. Its summaries under each result
# would be fetched with fetch(), which a page opened from a file may not use: left out.
html_show_search_summary = False

# MyST: GitHub's anchors for headings, so that the guides' links to `other.md#heading` resolve.
myst_heading_anchors = 6

# MyST-NB: the outputs stored in the notebooks, never a new run.
nb_execution_mode = "off"
# The drawing pad's widget view needs a live kernel: its text/html twin (an in-page pad) is shown instead.
# A text/latex output would bring MathJax from a CDN: its text/plain twin is shown instead.
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "text/latex", None),
]
nb_ipywidgets_js = {}  # else require.js and the widgets' html-manager, from CDNs, on pages with widgets
nb_render_markdown_format = "gfm"  # the run's summary is a Markdown table
nb_merge_streams = True
