"""A student notebook in JupyterLab, in a real browser: what the README promises works.

JupyterLab (with jupyterlab-myst, both pinned in requirements.txt) is started on localhost
with a token, a free port and no browser of its own; headless Chromium (Debian's chromium and
chromedriver, driven by selenium) opens chapter 2's student notebook with a wrong answer to
Exercise 2.1 written in, runs every cell, and the test asserts what the student sees: the
exercise box rendered as a box (no raw ``:::``), the math typeset, equation references
resolved, and the failed check's hint in at most about a dozen lines.

Without Chromium a developer gets a skip; with ``BPLIB_REQUIRE_BROWSER=1`` (set by
``.ci/run``) the test fails instead, so CI never skips it. Set ``BPLIB_LAB_SCREENSHOT`` to a
PNG path to keep a screenshot of the notebook as the student sees it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bplib.exercises.student import write_student_notebooks

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "02_one_neuron.ipynb"  # quick to run, with math and equations
CHROMEDRIVER = "/usr/bin/chromedriver"
WRONG_ANSWER = """def neuron_grads(a_prev, w, b, y):
    a = 1 / (1 + np.exp(-(w * a_prev + b)))
    slope = a * (1 - a)
    return a_prev * slope * (a - y), slope * (a - y)  # the 2 of the square is lost
"""


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = (
        "Chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)"
    )
    if os.environ.get("BPLIB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPLIB_REQUIRE_BROWSER=1 but no browser: {message}")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _student_folder(tmp_path: Path) -> Path:
    """exercises/ as `make exercises` writes it, with a student's wrong answer to 2.1."""
    out = tmp_path / "exercises"
    write_student_notebooks([CHAPTER], out)
    path = out / CHAPTER.name
    nb = json.loads(path.read_text(encoding="utf-8"))
    stub = next(
        c
        for c in nb["cells"]
        if c["cell_type"] == "code" and "def neuron_grads" in "".join(c["source"])
    )
    stub["source"] = WRONG_ANSWER
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return out


class _Lab:
    """A JupyterLab server of our own, stopped with every kernel it started."""

    def __init__(self, root: Path, home: Path):
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            OPENBLAS_NUM_THREADS="1",
        )
        settings = {  # every cell in the page (no windowing), no news pop-up over the cells
            "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        }
        for name, values in settings.items():
            path = home / "settings" / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.log = open(home / "jupyterlab.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",  # CI runs as root; a plain user is unaffected
                f"--port={self.port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its kernels join its process group: one signal stops all
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = home

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.home / "jupyterlab.log").read_text()
                raise RuntimeError(f"JupyterLab exited: {log}")
            try:
                url = f"{self.url}/api/status?token={self.token}"
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer within {seconds:g} s")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=5)
        finally:
            self.log.close()


def _rendered_text_lines(element) -> list[str]:
    return [line for line in element.text.split("\n") if line.strip()]


def test_a_student_notebook_in_jupyterlab(tmp_path):
    chromium, driver_path = _browser_or_skip()
    pytest.importorskip("jupyterlab", reason="jupyterlab is pinned in requirements.txt")
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.monotonic()
    folder = _student_folder(tmp_path)
    lab = _Lab(folder, tmp_path)  # JupyterLab boots while Chromium starts
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,900",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    driver = None
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        lab.wait_ready()
        driver.get(f"{lab.url}/lab/tree/{CHAPTER.name}?token={lab.token}")
        ready = (
            "const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
            "const s = w && w.sessionContext; const k = s && s.session && s.session.kernel;"
            "return !!(w.context && w.context.isReady && s.isReady && k"
            " && k.connectionStatus === 'connected' && k.status === 'idle');"
        )
        WebDriverWait(driver, 90, poll_frequency=0.25).until(
            lambda d: d.execute_script("try {" + ready + "} catch (e) { return false; }")
        )

        def started_running(d):
            prompts = d.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .jp-InputPrompt")
            return any(re.search(r"\[(\d+|\*)\]", p.text) for p in prompts)

        for _ in range(3):  # a run-all issued while the kernel settles can be lost: re-issue
            driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
            try:
                WebDriverWait(driver, 20, poll_frequency=0.25).until(started_running)
                break
            except TimeoutException:
                continue

        def check_failed(d):
            for area in d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"):
                if "Exercise 2.1" in area.text and "hint:" in area.text:
                    return area
            return False

        try:
            error = WebDriverWait(driver, 120, poll_frequency=0.5).until(check_failed)
        except Exception:
            driver.save_screenshot(str(tmp_path / "timeout.png"))
            raise
        print(
            f"JupyterLab test: the check's failure shown after {time.monotonic() - started:.0f} s"
        )
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", error)
        time.sleep(0.5)
        if os.environ.get("BPLIB_LAB_SCREENSHOT"):
            driver.save_screenshot(os.environ["BPLIB_LAB_SCREENSHOT"])

        # the failed check: its message alone, the hint aimed at the mistake, a dozen lines
        lines = _rendered_text_lines(error)
        assert lines[0].startswith("✗ Exercise 2.1: the three links for one neuron: case 1"), lines
        assert len(lines) <= 12, "\n".join(lines)
        assert "exactly half of the right ones" in " ".join(lines), "\n".join(lines)
        assert "Traceback" not in error.text and "_harness" not in error.text
        assert error.is_displayed()

        # jupyterlab-myst renders each markdown cell into a `.myst` block: every one of them
        # rendered, no raw MyST left (`:::`, {admonition}, {eq}, $$)
        cells = driver.find_elements(By.CSS_SELECTOR, ".jp-MarkdownCell")
        rendered = driver.find_elements(By.CSS_SELECTOR, ".jp-MarkdownCell .myst")
        assert cells and len(rendered) == len(cells)
        text = "\n".join(m.get_attribute("textContent") for m in rendered)
        for raw in (":::", "{admonition}", "{eq}", "$$", ":class:"):
            assert raw not in text, raw
        # the exercise box is a box, titled with the exercise
        titles = [
            t.get_attribute("textContent").strip()
            for t in driver.find_elements(
                By.CSS_SELECTOR, "aside.myst-admonition .myst-admonition-header"
            )
        ]
        assert "Exercise 2.1: the three links for one neuron" in titles, titles
        # math typeset (KaTeX), without errors; equation references are links
        assert len(driver.find_elements(By.CSS_SELECTOR, ".myst .katex")) > 20
        assert not driver.find_elements(By.CSS_SELECTOR, ".myst .katex-error")
        refs = driver.find_elements(By.CSS_SELECTOR, "aside.myst-admonition a")
        assert any(re.fullmatch(r"\(?\d+\)?", r.text.strip()) for r in refs)
    finally:
        if driver is not None:
            driver.quit()
        lab.stop()
