"""The book: the notebooks' runs and the guides as one static site that opens from disk (python -m mnist_cnn book).

    python -m mnist_cnn book [--output-dir DIR]

gathers, in a temporary Sphinx source folder: each notebook, its run's summary first with its contents
(`pages.lead_with_summary`), from DIR/reports/<name>.ipynb (the last report command's run) when that is newer
than notebooks/<name>.ipynb, else from the outputs stored there; README.md and the guides, docs/*.md; a page
for each of the project's files they link to; and a start page. Their links are rewritten to work offline:
a link to a notebook or to its report's page goes to the notebook's page, one to a file of the project to
that file's page, one to anything else (a folder) becomes its text. Sphinx and MyST-NB then build it into
DIR/reports/book/ (index.html is the start page), quietly: the command prints one line (and Sphinx's
warnings, if any, one a line). No notebook is run.

The book is built in a temporary folder beside it and renamed into place once whole: a build that fails
leaves the earlier book as it was. A missing notebook, one without outputs, or a build that fails stops the
command with one line and status 1. Sphinx's settings are `book_site/conf.py`; `book_site/_static/` holds
the code toggle (one button on each notebook page that hides or shows the code).
"""

from __future__ import annotations

import argparse
import io
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import nbformat

from mnist_cnn.report.pages import ANSI_ESCAPE, SUMMARY_TAG, heading_anchor, lead_with_summary
from mnist_cnn.report.parameters import ParameterError
from mnist_cnn.report.runner import NOTEBOOKS, cause, output_folder

NOTEBOOK_NAMES = tuple(path.stem for path in NOTEBOOKS)  # in the book's order
BOOK_SITE = Path(__file__).parent / "book_site"  # conf.py and _static/, copied into the source folder
BOOK_FOLDER = "book"  # under DIR/reports
FILES_FOLDER = "files"  # the pages of the project's files that the guides link to
HIDE_INPUT_TAG = "remove-input"  # MyST-NB's tag: the cell's output without its code
LANGUAGES = {".py": "python", ".js": "javascript", ".css": "css", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}
LINK = re.compile(r"(?<!!)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(([^()\s]+)\)")  # [text](target), not an image
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^#{1,6} +(.+?) *#* *$", flags=re.MULTILINE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # https:, mailto:, ...


class BookError(Exception):
    """What stops the book: one sentence saying what was expected and what was found."""


@dataclass(frozen=True)
class Book:
    """A built book: its start page, how many pages it has, where each notebook's outputs came from, and
    Sphinx's warnings (one a line)."""

    index: Path
    pages: int
    sources: Mapping[str, Path]
    warnings: Sequence[str]


# Where the notebooks come from.


def notebook_source(name: str, project: Path, reports_dir: Path) -> Path:
    """The file the book reads notebook `name` from: the report command's run, `reports_dir/<name>.ipynb`, if it
    is there and newer than the outputs stored in `project/notebooks/<name>.ipynb`, else those."""
    stored = project / "notebooks" / f"{name}.ipynb"
    ran = reports_dir / f"{name}.ipynb"
    if ran.is_file() and (not stored.is_file() or ran.stat().st_mtime > stored.stat().st_mtime):
        return ran
    if not stored.is_file():
        raise BookError(
            f"expected the notebook {stored} (the book is built in the project's folder), found no such file"
        )
    return stored


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path`, which must hold outputs: the book shows a run, it runs nothing."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # nbformat's NotJSONError and validation errors are ValueErrors
        raise BookError(f"expected a notebook in {path}, found one nbformat cannot read: {error}") from None
    if not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"):
        raise BookError(
            f"expected a notebook with its outputs in {path}, found none: make notebook stores them "
            "(or make report-all writes a run to reports/)"
        )
    return notebook


# Links: each document's links rewritten for the book, whose folders are the project's (README.md,
# docs/*.md, notebooks/*.ipynb), with the pages of the linked files under files/.


def slug(title: str) -> str:
    """The anchor MyST gives a heading (GitHub's): its text lowercased, spaces as hyphens, punctuation dropped."""
    text = LINK.sub(r"\1", title).replace("`", "")
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


def file_page(path: str) -> str:
    """The book's page (a Markdown file) for the project's file at `path`: files/<path>.md, no part hidden."""
    parts = [f"dot-{part[1:]}" if part.startswith(".") else part for part in path.split("/")]
    return posixpath.join(FILES_FOLDER, *parts) + ".md"


def link_target(target: str, document: str, project: Path, files: set[str]) -> str | None:
    """Where a link of `document` (its path in the project, and so in the book) to `target` goes in the book;
    None for one that can only be text. A file of the project that is not a page is added to `files`."""
    if SCHEME.match(target) or target.startswith(("//", "#")):
        return target
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(document), unquote(path)))
    if resolved == ".." or resolved.startswith("../"):
        return None  # outside the project
    name = posixpath.basename(resolved)
    notebook = next((n for n in NOTEBOOK_NAMES if name in (f"{n}.ipynb", f"{n}.html", f"{n}.results.html")), None)
    if notebook is not None:
        page = f"notebooks/{notebook}.ipynb"  # the notebook, or its report's pages: its page in the book
    elif not (project / resolved).is_file():
        return None  # a folder, or nothing
    elif resolved == "README.md" or (posixpath.dirname(resolved) == "docs" and name.endswith(".md")):
        page = resolved  # a page of the book, where it is in the project
    else:
        files.add(resolved)
        page = file_page(resolved)
    relative = posixpath.relpath(page, posixpath.dirname(document) or ".")
    return relative + (f"#{anchor}" if anchor else "")


def rewrite_links(
    markdown: str, document: str, project: Path, files: set[str], anchors: Mapping[str, str] | None = None
) -> str:
    """`markdown`, the text of `document` (its path in the project), with every link outside code blocks
    rewritten for the book (`link_target`); a link to a heading of the page itself by one of `anchors`'
    keys (nbconvert's anchors) goes to its MyST anchor instead."""

    def rewritten(link: re.Match) -> str:
        text, target = link.groups()
        if target.startswith("#") and anchors and unquote(target[1:]) in anchors:
            return f"[{text}](#{anchors[unquote(target[1:])]})"
        found = link_target(target, document, project, files)
        return text if found is None else f"[{text}]({found})"

    lines, fence = [], None
    for line in markdown.splitlines(keepends=True):
        opening = FENCE.match(line)
        if fence is None and opening:
            fence = opening[1]
        elif fence is not None and opening and opening[1].startswith(fence) and not line.strip(" \n`~"):
            fence = None
        elif fence is None:
            line = LINK.sub(rewritten, line)
        lines.append(line)
    return "".join(lines)


# The pages.


def notebook_page(notebook: nbformat.NotebookNode, name: str, project: Path, files: set[str]) -> nbformat.NotebookNode:
    """The notebook as the book shows it: its title, its run's summary (its code hidden), its contents (each
    entry a link to its heading's MyST anchor), then its cells, their links rewritten for the book."""
    page = lead_with_summary(notebook)
    markdown = [cell for cell in page.cells if cell.cell_type == "markdown"]
    headings = [title for cell in markdown for title in HEADING.findall(cell.source)]
    anchors = {unquote(heading_anchor(title)): slug(title) for title in headings}
    for cell in page.cells:
        tags = cell.metadata.get("tags", [])
        if SUMMARY_TAG in tags:
            cell.metadata["tags"] = [*tags, HIDE_INPUT_TAG]
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, f"notebooks/{name}.ipynb", project, files, anchors)
    return page


def file_page_text(path: str, text: str) -> str:
    """The page of a file of the project that a guide links to: its path as the title, then the file's text."""
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", text))])
    language = LANGUAGES.get(Path(path).suffix, "text")
    return (
        f"---\norphan: true\n---\n\n# `{path}`\n\nThe project's file, as it was when this book was built.\n\n"
        f"{fence}{language}\n{text.rstrip()}\n{fence}\n"
    )


def guide_order(project: Path, guides: Sequence[str]) -> list[str]:
    """The guides (docs/*.md) in the order the README first links to them, then the others by name."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    linked = [posixpath.normpath(target.partition("#")[0]) for _, target in LINK.findall(readme)]
    return sorted(guides, key=lambda guide: (linked.index(guide) if guide in linked else len(linked), guide))


def start_page(project: Path, sources: Mapping[str, Path], titles: Mapping[str, str], guides: Mapping[str, str]) -> str:
    """The start page, index.md: what the project is (the README's opening), the notebooks, each with the file
    its outputs came from, then the guides (`guides`: each one's path and title). The sidebar's contents and
    the pages' order (previous, next) are its two hidden toctrees'."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    opening = re.search(r"^# [^\n]*\n+(.*?)(?=^## |\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    intro = rewrite_links(opening[1].strip() if opening else "", "README.md", project, set())
    notebooks = []
    for name, source in sources.items():
        where = source.relative_to(project) if source.is_relative_to(project) else source
        kind = "its stored outputs" if source.parent.name == "notebooks" else "the report command's last run"
        notebooks.append(f"- [{titles[name]}](notebooks/{name}.ipynb): {kind}, `{where.as_posix()}`")
    toctree = "```{{toctree}}\n:hidden:\n:caption: {}\n\n{}\n```"
    return "\n\n".join(
        [
            "# mnist-cnn",
            intro,
            "This book holds the four notebooks as they last ran, each opening with its run's summary, and the "
            "project's guides. The button under a notebook's title hides or shows its code; the search is in the "
            "sidebar. The book opens from disk and loads nothing from the network.",
            "## The notebooks",
            "\n".join(notebooks),
            "## The guides",
            "\n".join(f"- [{title}]({path})" for path, title in guides.items()),
            toctree.format("Notebooks", "\n".join(f"notebooks/{name}" for name in sources)),
            toctree.format("Guides", "\n".join(path.removesuffix(".md") for path in guides)),
        ]
    )


def title(markdown: str, default: str) -> str:
    """The text of a Markdown document's first heading, without its inline code marks; `default` if none."""
    found = HEADING.search(markdown)
    return found[1].replace("`", "") if found else default


def gather(project: Path, reports_dir: Path, source_dir: Path) -> dict[str, Path]:
    """Write the book's Sphinx sources into `source_dir` (`book_site`'s settings, the start page, the notebooks,
    README.md, the guides, the linked files' pages); return each notebook's name and the file it was read from.

    Raises a BookError (one sentence) for a notebook that is missing or holds no outputs.
    """
    sources = {name: notebook_source(name, project, reports_dir) for name in NOTEBOOK_NAMES}
    notebooks = {name: read_notebook(path) for name, path in sources.items()}
    shutil.copytree(BOOK_SITE, source_dir, ignore=shutil.ignore_patterns("__pycache__"))
    files: set[str] = set()
    titles = {}
    (source_dir / "notebooks").mkdir()
    for name, notebook in notebooks.items():
        page = notebook_page(notebook, name, project, files)
        titles[name] = title(page.cells[0].source if page.cells else "", name)
        nbformat.write(page, source_dir / "notebooks" / f"{name}.ipynb")
    guides = {"README.md": "README"}  # its own title, mnist-cnn, is the start page's
    for path in guide_order(project, [path.relative_to(project).as_posix() for path in project.glob("docs/*.md")]):
        guides[path] = title((project / path).read_text(encoding="utf-8"), path)
    for path, heading in guides.items():
        text = rewrite_links((project / path).read_text(encoding="utf-8"), path, project, files)
        if path == "README.md":
            text = re.sub(r"^# .*$", f"# {heading}", text, count=1, flags=re.MULTILINE)
        (source_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (source_dir / path).write_text(text, encoding="utf-8")
    for path in sorted(files):
        page = source_dir / file_page(path)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(file_page_text(path, (project / path).read_text(encoding="utf-8")), encoding="utf-8")
    (source_dir / "index.md").write_text(start_page(project, sources, titles, guides), encoding="utf-8")
    return sources


# The build.


def sphinx_build(source_dir: Path, html_dir: Path, doctrees_dir: Path) -> tuple[int, list[str]]:
    """Build the HTML pages of `source_dir` into `html_dir` with Sphinx, printing nothing; return how many pages
    (documents) it has and Sphinx's warnings, one a line. Raises a BookError (one line) if Sphinx fails."""
    try:
        from sphinx.application import Sphinx
        from sphinx.util.docutils import docutils_namespace, patch_docutils
    except ImportError as error:
        raise BookError(
            f"expected Sphinx and MyST-NB (pyproject.toml's `book` extra, in the lock), found {error}"
        ) from None
    warnings = io.StringIO()
    try:
        with patch_docutils(source_dir), docutils_namespace():
            app = Sphinx(
                str(source_dir),
                str(source_dir),
                str(html_dir),
                str(doctrees_dir),
                "html",
                status=None,
                warning=warnings,
                freshenv=True,
            )
            app.build(force_all=True)
    except Exception as error:  # Sphinx's, or an extension's: one line, not a traceback
        first_line = (str(error).strip().splitlines() or [""])[0]
        raise BookError(f"expected Sphinx to build the book, found {type(error).__name__}: {first_line}") from None
    sources = html_dir / "_sources"  # empty: the sources are not copied (conf.py)
    if sources.is_dir() and not any(sources.iterdir()):
        sources.rmdir()
    lines = ANSI_ESCAPE.sub("", warnings.getvalue()).replace(f"{source_dir}{os.sep}", "").splitlines()
    return len(app.env.found_docs), [line for line in lines if line.strip()]


def build(project: Path, output_dir: Path) -> Book:
    """Gather the book's sources from `project` (and `output_dir/reports`, the report command's runs) and build
    it into `output_dir/reports/book/`, through a temporary folder beside it renamed into place when whole."""
    reports_dir = output_dir / "reports"
    target = reports_dir / BOOK_FOLDER
    reports_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=reports_dir, prefix=f".{BOOK_FOLDER}-") as scratch:
        scratch = Path(scratch).resolve()
        sources = gather(project, reports_dir, scratch / "source")
        # MyST-NB writes the outputs' files beside the HTML folder (jupyter_execute/): inside the scratch folder.
        pages, warnings = sphinx_build(scratch / "source", scratch / "html", scratch / "doctrees")
        earlier = scratch / "earlier"
        if target.exists():
            target.rename(earlier)  # removed with the scratch folder, once the new book is in place
        try:
            (scratch / "html").rename(target)
        except OSError:
            if earlier.exists():
                earlier.rename(target)
            raise
    return Book(target / "index.html", pages, sources, warnings)


def main(arguments: list[str] | None = None) -> int:
    """`python -m mnist_cnn book`: build the book from reports/ and the guides; the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_cnn book",
        description="Build the book: the notebooks' runs and the guides as one static site, reports/book/.",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="where reports/ is: the book goes to reports/book/, the report command's runs are read from reports/ "
        "(default: $MNIST_CNN_OUTPUT_DIR if set, else the current folder)",
    )
    options = parser.parse_args(arguments)
    started = time.perf_counter()
    try:
        output_dir = output_folder(options.output_dir)
        book = build(Path(), output_dir)  # the project's folder: the current one, as for the report command
    except (BookError, ParameterError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    except OSError as error:
        print(f"error: could not write the book in {output_dir / 'reports'}: {cause(error)}", file=sys.stderr)
        return 1
    for warning in book.warnings:  # "path:line: WARNING: what [type]", said as the errors are
        print(f"warning: {warning.replace(' WARNING:', '', 1)}", file=sys.stderr, flush=True)
    print(f"Wrote {book.index} ({book.pages} pages) in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
