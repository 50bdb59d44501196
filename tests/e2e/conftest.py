"""Browser tests: the app served on loopback, driven by Playwright on Debian's chromium."""
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO, WACHTWOORD, chromium_path, need

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - only on a machine without the dev requirements
        need(False, "Playwright ontbreekt: bin/setup dev")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    pad = chromium_path()
    need(pad is not None, "Chromium ontbreekt: sudo apt-get install chromium")
    browser = _playwright.chromium.launch(executable_path=pad, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _page(browser, live_server, javascript):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript,
                                  locale="nl-NL", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    fouten = []
    page.on("pageerror", lambda error: fouten.append(str(error)))
    page.js_fouten = fouten
    return context, page


@pytest.fixture
def browser_page(browser, live_server):
    context, page = _page(browser, live_server, javascript=True)
    yield page
    assert page.js_fouten == [], f"JavaScript-fouten op de pagina: {page.js_fouten}"
    context.close()


@pytest.fixture
def page_zonder_js(browser, live_server):
    context, page = _page(browser, live_server, javascript=False)
    yield page
    context.close()


def inloggen(page, rol):
    page.goto("/inloggen")
    page.get_by_label("E-mailadres").fill(DEMO[rol])
    page.get_by_label("Wachtwoord").fill(WACHTWOORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/")
