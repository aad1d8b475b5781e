"""The drawing pad in a real browser: JupyterLab runs the first notebook, and the mouse draws digits on its pad.

Needs Chromium (Debian's `chromium`) and Playwright for Python; without either the test is skipped
with the reason. JupyterLab serves a copy of the notebook that papermill prepared with the test's
parameters (`-p EPOCHS 1`, as `make report PARAMETERS=...` would): it trains for one epoch on all
60,000 images, enough to read the digits drawn here (tests/test_drawing_pad.py checks the same
strokes without a browser).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import papermill
import psutil
import pytest
from test_drawing_pad import OFF_THE_PAD, STROKES

from mnist_cnn.reading.drawing_pad import EMPTY, PAD_SIZE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/mnist_cnn.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_chromium() -> None:
    """Skip the test unless Debian's Chromium and Playwright are installed."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")


def is_local(url: str) -> bool:
    """Whether the browser can load `url` without the network: a file, data in the URL, a blank page, a blob."""
    return url.startswith(("file:", "data:", "about:", "blob:"))


@contextlib.contextmanager
def offline_page(width: int = 1280, height: int = 900):
    """A page of headless Chromium that can load only what `is_local` allows: (page, its requests, its errors)."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    requests, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort())
            page.on("request", lambda request: requests.append(request.url))
            yield page, requests, errors
        finally:
            browser.close()


SETTINGS = {  # JupyterLab's settings for the test: never save the notebook, keep every cell in the page, no news
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
PARAMETERS = {"EPOCHS": 1, "TRAIN_SAMPLES": 60_000, "MIN_TEST_ACCURACY": 0.9}  # papermill injects them in the copy
NOTEBOOK_RUN = 300  # seconds for the whole notebook to run, training included
ANSWER = 15  # seconds for an answer to appear after a stroke (it takes milliseconds: benchmarks/draw_latency.py)

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, token: str, method: str = "GET") -> int:
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers), timeout=5) as response:
        return response.status


@pytest.fixture(scope="module")
def lab(mnist_path, tmp_path_factory):
    """JupyterLab on a free loopback port, serving the notebook prepared with PARAMETERS; stopped with its kernels
    afterwards."""
    require_chromium()
    folder = tmp_path_factory.mktemp("lab")
    tree = folder / "tree"  # what JupyterLab serves: the notebook at the same path as in the repository
    (tree / NOTEBOOK).parent.mkdir(parents=True)
    papermill.execute_notebook(str(ROOT / NOTEBOOK), str(tree / NOTEBOOK), PARAMETERS, prepare_only=True)
    (folder / "checkpoints" / Path(NOTEBOOK).parent).mkdir(parents=True)  # else they go to the system's temp folder
    for name, values in SETTINGS.items():
        path = folder / "settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    # As a user's JupyterLab: ipykernel would leave the kernel's descriptors alone under pytest.
    environment = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"} | {
        "MNIST_CNN_OUTPUT_DIR": str(folder / "output"),
        "MNIST_CNN_DATA": str(mnist_path.resolve()),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "JUPYTER_CONFIG_DIR": str(folder / "config"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "JUPYTER_DATA_DIR": str(folder / "data"),  # the notebook-signing key and trust database
    }
    command = [
        *(sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1"),
        *(f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}"),
        f"--ServerApp.root_dir={tree}",
        f"--LabApp.user_settings_dir={folder / 'settings'}",
        f"--LabApp.workspaces_dir={folder / 'workspaces'}",
        f"--FileCheckpoints.root_dir={folder / 'checkpoints'}",  # the checkpoint made on opening, out of the repository
    ]
    log = (folder / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            assert server.poll() is None, f"JupyterLab stopped at start: see {log.name}"
            try:
                if request(f"{url}/api/status", token) == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not answer within a minute: see {log.name}")
        yield url, token
    finally:
        kernels = psutil.Process(server.pid).children(recursive=True) if server.poll() is None else []
        try:
            request(f"{url}/api/shutdown", token, method="POST")  # shuts its kernels down too
        except OSError:
            server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        _, alive = psutil.wait_procs(kernels, timeout=30)
        for process in alive:
            process.kill()
        log.close()
        assert not alive, f"processes left after JupyterLab's shutdown, now killed: {alive}"


def draw(page, canvas, strokes) -> None:
    """Draw the strokes (points on the 280x280 pad) with the mouse, a press, moves and a release each."""
    box = canvas.bounding_box()
    scale = box["width"] / PAD_SIZE

    def at(point):
        return box["x"] + point[0] * scale, box["y"] + point[1] * scale

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=8)
        page.mouse.up()


def test_digits_drawn_with_the_mouse_are_read(lab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, token = lab
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
            # The kernel connected and idle ("Python 3 (ipykernel) | Idle"): cells run before then may not run at all.
            expect(page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$"))).to_be_visible(
                timeout=60_000
            )
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Run All Cells'))").click()
            expect(page.locator(".jp-InputArea-prompt", has_text=re.compile(r"\[[*1]\]")).first).to_be_attached()
            pad = page.locator(".mnist-pad")
            pad.wait_for(timeout=NOTEBOOK_RUN * 1000)
            pad.scroll_into_view_if_needed()
            canvas, digit = pad.locator(".mnist-pad-canvas"), pad.locator(".mnist-pad-digit")
            message = pad.locator(".mnist-pad-message")
            expect(message).to_have_text(EMPTY)
            for name, strokes, expected in [*((str(d), s, d) for d, s in STROKES.items()), ("off", OFF_THE_PAD, 1)]:
                draw(page, canvas, strokes)
                expect(message).not_to_have_text(EMPTY, timeout=ANSWER * 1000)
                pad.screenshot(path=tmp_path / f"pad-{name}.png")
                assert digit.text_content() == str(expected), f"drawing {name}: {message.text_content()}"
                pad.locator(".mnist-pad-clear").click()
                expect(message).to_have_text(EMPTY, timeout=ANSWER * 1000)
            # What TensorFlow's C++ code writes on the kernel's stderr as it loads (oneDNN's notice, on CPUs with
            # AVX-512) goes to JupyterLab's log, not under the imports (tools/ipython_kernel_config.py).
            shown = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
            assert "oneDNN" not in shown and "InitializeLog" not in shown, f"library notices in the notebook: {shown}"
        except Exception:
            screenshot = tmp_path / "failure.png"
            page.screenshot(path=screenshot, full_page=True)
            print(f"Screenshot of the failure: {screenshot}; errors in the page: {errors or 'none'}")
            raise
        finally:
            browser.close()
    assert not errors
