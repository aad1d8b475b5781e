"""The Binder configuration (.binder/): the Dockerfile repo2docker writes for it, without Docker.

`jupyter-repo2docker --no-build` picks a buildpack for the repository and prints the Dockerfile it
would build; it reads the folder it is given (no clone, no network). docs/ready-environment.md
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / ".binder"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")  # the lock's range (tools/check_lock.py)
# The conda buildpack copies in its lock for the Python it picked, the path escaped (/ as -2f, . as -2e, - as -2d).
CONDA_LOCK = re.compile(r"environment-2epy-2d(\d+)-2e(\d+)-2d\S* /tmp/env/environment\.lock$", re.MULTILINE)
COPY_REPOSITORY = "COPY --chown=1000:1000 src/ ${REPO_DIR}/"
INSTALL_LOCK = 'RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r ".binder/requirements.txt"'
RUN_POST_BUILD = "RUN ./.binder/postBuild"


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory) -> str:
    """The Dockerfile for this repository, for Binder's usual user (uid 1000, jovyan)."""
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--user-id", "1000", "--user-name", "jovyan"]
    # Run from an empty folder: repo2docker would read a repo2docker_config.py from the current one.
    finished = subprocess.run(
        [*command, str(ROOT)], cwd=tmp_path_factory.mktemp("repo2docker"), capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, f"expected repo2docker to print a Dockerfile, found: {finished.stderr}"
    return finished.stdout


def requirement_lines(path: Path) -> list[str]:
    """A requirements file's lines without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_the_python_is_runtime_txt_s_and_one_the_lock_supports(dockerfile):
    runtime = (BINDER / "runtime.txt").read_text().strip()
    name, _, version = runtime.partition("-")
    assert name == "python" and version in SUPPORTED_PYTHONS, (
        f"expected .binder/runtime.txt to name one of python-{'/'.join(SUPPORTED_PYTHONS)}, found {runtime!r}"
    )
    found = CONDA_LOCK.search(dockerfile)
    assert found, "expected the Dockerfile to copy in the conda environment of a Python version, found none"
    assert ".".join(found.groups()) == version


def test_the_lock_is_installed_once_the_repository_is_in(dockerfile):
    # pip reads a -r path relative to the file holding it: .binder/../requirements.txt is the lock.
    assert requirement_lines(BINDER / "requirements.txt") == ["-r ../requirements.txt"]
    assert (BINDER / "../requirements.txt").resolve() == ROOT / "requirements.txt"
    lines = dockerfile.splitlines()
    assert INSTALL_LOCK in lines, "expected the Dockerfile to pip install .binder/requirements.txt"
    # The -r line points outside .binder/, so the install must wait for the whole repository.
    assert lines.index(COPY_REPOSITORY) < lines.index(INSTALL_LOCK)
    assert 'pip install --no-cache-dir -r "requirements.txt"' not in dockerfile  # the root's lock alone, unused


def test_the_package_is_installed_by_post_build_after_the_lock(dockerfile):
    lines = dockerfile.splitlines()
    assert RUN_POST_BUILD in lines, "expected the Dockerfile to run .binder/postBuild"
    assert lines.index(INSTALL_LOCK) < lines.index(RUN_POST_BUILD)
    post_build = (BINDER / "postBuild").read_text().splitlines()
    assert post_build[0] == "#!/bin/bash"
    assert "python -m pip install --no-cache-dir --no-deps -e ." in post_build
    assert 'cp tools/ipython_kernel_config.py "${KERNEL_PYTHON_PREFIX}/etc/ipython/"' in post_build  # as make does
    assert "pip install --no-cache-dir ." not in dockerfile  # repo2docker's own install of a package at the root
