"""Real headless Chromium (Debian's chromium + chromium-driver) against the app on loopback."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--window-size=412,915")

pytestmark = pytest.mark.browser


def make_driver(profile: Path, *, javascript: bool = True):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # A mid-range Android phone's screen.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 412, "height": 915, "deviceScaleFactor": 2, "mobile": True})
    return driver


@pytest.fixture
def browser_factory() -> Iterator[Callable[..., object]]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver); .ci/run installs them")
    drivers = []
    profiles = []

    def factory(**kwargs: bool):  # type: ignore[no-untyped-def]
        profile = Path(tempfile.mkdtemp(prefix="phusong-chromium-"))
        profiles.append(profile)
        driver = make_driver(profile, **kwargs)
        drivers.append(driver)
        return driver

    yield factory
    for driver in drivers:
        driver.quit()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


class RestartableServer:
    """The app on a fixed loopback port that can go away and come back (a real outage)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.server = None


@pytest.fixture
def server(app: Flask) -> Iterator[RestartableServer]:
    server = RestartableServer(app)
    yield server
    if server.server is not None:
        server.stop()


def screenshot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def log_in(driver, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)


def fill_household(driver, answers: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    """Answer like a surveyor: tap choices, type numbers."""
    from selenium.webdriver.common.by import By

    for name, value in answers.items():
        if isinstance(value, list):
            for choice in value:
                driver.find_element(By.CSS_SELECTOR, f"input[name={name}][value='{choice}']").click()
        elif name in {"consent", "mobile_best_technology", "fixed_broadband", "fixed_provider",
                      "fiber_available", "online_shopping", "online_selling"}:
            driver.find_element(By.CSS_SELECTOR, f"input[name={name}][value='{value}']").click()
        else:
            field = driver.find_element(By.ID, name)
            field.clear()
            field.send_keys(str(value))
