"""The kernels JupyterLab starts from the project's environment (`make lab`): C libraries' notices stay out of
the notebook, as TensorFlow's oneDNN notice on CPUs with AVX-512 (tools/ipython_kernel_config.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parents[1]
KERNEL_CONFIG = Path(sys.prefix, "etc", "ipython", "ipython_kernel_config.py")  # where `make` copies it


def test_make_installs_the_projects_kernel_config():
    assert KERNEL_CONFIG.read_text() == (ROOT / "tools" / "ipython_kernel_config.py").read_text(), (
        f"expected {KERNEL_CONFIG} to be tools/ipython_kernel_config.py: run make"
    )


@pytest.mark.parametrize("write", ["os.write(2, b'I0000 port.cc:153] a notice\\n')", "print('printed')"])
def test_a_labs_kernel_shows_what_python_prints_not_what_c_code_writes(monkeypatch, write):
    # The kernelspec JupyterLab starts (python3, .venv's Python), outside pytest as for a user.
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # ipykernel captures the descriptors only outside pytest
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        shown = []
        client.execute_interactive(
            f"import os, time\n{write}\ntime.sleep(1)",  # a second for the kernel to pass a write on
            timeout=60,
            output_hook=lambda message: shown.append(message["content"].get("text", "")),
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert ("printed\n" in shown) == ("print" in write)
    assert not any("a notice" in text for text in shown)
