"""Real headless Chromium (Debian's chromium + chromedriver) against the app on loopback.

`browser` is a phone-sized Chromium; `browser_factory` makes more (or one with JavaScript off).
`server` serves the app on a fixed loopback port and can really go away and come back: stopping it
closes the listening socket AND every open keep-alive connection, because DevTools' offline
emulation does not cover a service worker's own fetches (a worker would still reach the server).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import ThreadedWSGIServer

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--window-size=412,915")
PHONE = {"width": 412, "height": 915, "deviceScaleFactor": 2.625, "mobile": True}  # a mid-range Android


def _missing_browser() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return (f"browser tests need {path} (Debian: apt-get install chromium chromium-driver); "
                    f"{package} is missing")
    return None


def make_driver(profile: Path, *, javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    return driver


@pytest.fixture
def browser_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    reason = _missing_browser()
    if reason:
        pytest.skip(reason)
    made: list[tuple[Any, Path]] = []

    def factory(**kwargs: bool):
        profile = Path(tempfile.mkdtemp(prefix="phusong-chromium-"))
        try:
            driver = make_driver(profile, **kwargs)
        except Exception:
            shutil.rmtree(profile, ignore_errors=True)
            raise
        made.append((driver, profile))
        return driver

    yield factory
    for index, (driver, profile) in enumerate(made):
        try:  # the page's console, kept next to the screenshots for whoever debugs a failure
            lines = [f"{e['level']} {e['message']}" for e in driver.get_log("browser")]
            if lines:
                ARTIFACTS.mkdir(exist_ok=True)
                (ARTIFACTS / f"{request.node.name}-{index}.console.log").write_text("\n".join(lines) + "\n")
        except Exception:  # noqa: S110 - a dead browser has no log to keep
            pass
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(browser_factory: Callable[..., Any]) -> Any:
    """A phone-sized headless Chromium with a fresh profile."""
    return browser_factory()


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server, remembering its open connections so an outage can cut them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    def get_request(self):
        connection, address = super().get_request()
        with self.lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request):
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


class RestartableServer:
    """The app on a fixed loopback port that can go away (a real outage) and come back."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: _Server | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.server is None
        self.server = _Server("127.0.0.1", self.port, self.app)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server.drop_connections()
        self.thread.join(timeout=10)
        self.server = None

    def reachable(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False


@pytest.fixture
def server(app: Flask) -> Iterator[RestartableServer]:
    server = RestartableServer(app)
    yield server
    if server.server is not None:
        server.stop()


def screenshot(driver, name: str) -> None:
    """A test artefact (tests/e2e/artifacts/, not in git): what the surveyor saw."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


README_IMAGES = Path(__file__).parents[2] / "docs" / "img"
README_SCREENSHOTS = "PHUSONG_README_SCREENSHOTS"  # set by `make screenshots`, never by `make test`


def readme_image(name: str, images: Path = README_IMAGES) -> Path | None:
    """Copy the artefact NAME.png to the README's images, only under `make screenshots`: a test
    run must not rewrite tracked files."""
    if os.environ.get(README_SCREENSHOTS) != "1":
        return None
    images.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ARTIFACTS / f"{name}.png", images / f"{name}.png")
    return images / f"{name}.png"


def log_in(driver, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)


CHOICE_QUESTIONS = {"consent", "mobile_best_technology", "fixed_broadband", "fixed_provider",
                    "fiber_available", "online_shopping", "online_selling"}


def fill_household(driver, answers: dict[str, object]) -> None:
    """Answer like a surveyor: tap choices, type numbers."""
    from selenium.webdriver.common.by import By

    for name, value in answers.items():
        if isinstance(value, list):
            for choice in value:
                driver.find_element(By.CSS_SELECTOR, f"input[name={name}][value='{choice}']").click()
        elif name in CHOICE_QUESTIONS:
            driver.find_element(By.CSS_SELECTOR, f"input[name={name}][value='{value}']").click()
        else:
            field = driver.find_element(By.ID, name)
            field.clear()
            field.send_keys(str(value))
