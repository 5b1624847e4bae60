"""A live server on loopback and a real Chromium driven by Playwright."""

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    original = app.config["SERVER_NAME"]
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    yield f"http://127.0.0.1:{server.server_port}"
    app.config["SERVER_NAME"] = original
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def chromium():
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


# screenshots of the portal's browser tests: test-output/portal/<step>.png (not committed;
# the README shows two of them, copied to docs/images/)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "portal"


def shot(page, step: str) -> None:
    """A screenshot of the page at a step of a portal test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")  # a web font still loading
    page.screenshot(path=str(SCREENSHOTS / f"{step}.png"), full_page=True)


def portal_sign_in(page, live_server: str, email: str, password: str = PASSWORD) -> None:
    """Sign in to the portal as a customer's user, from its sign-in page."""
    page.goto(f"{live_server}/portal/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action$='/portal/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/portal/**")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical accessibility violations of the page (axe-core is
    injected from the axe-playwright-python package: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} elements)"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
