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


def _page(browser, live_server, javascript, viewport=None):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript,
                                  locale="nl-NL", accept_downloads=True,
                                  **({"viewport": viewport} if viewport else {}))
    context.set_default_timeout(10_000)
    page = context.new_page()
    fouten = []
    page.on("pageerror", lambda error: fouten.append(str(error)))
    page.js_fouten = fouten
    page.console_fouten = console_fouten(page)
    return context, page


def console_fouten(page):
    """Every console error and warning of every page in the flow: a failed resource (the favicon's
    404), an htmx error ("returned no matches"), a CSP violation ("Refused to apply inline style").
    Not counted: the status of a page the test opens itself (a 404 for another school's list is
    the answer) and the 422 and 410 an htmx request gets as its designed answer (invalid input,
    an expired check)."""
    gezien, paginas = [], set()
    page.on("request", lambda verzoek: verzoek.is_navigation_request() and paginas.add(verzoek.url))

    def bij_bericht(bericht):
        if bericht.type not in ("error", "warning"):
            return
        tekst, url = bericht.text, bericht.location.get("url", "")
        if "Failed to load resource" in tekst and (url in paginas or any(f"status of {s} " in tekst for s in (410, 422))):
            return
        gezien.append(f"{bericht.type}: {tekst} ({url})")
    page.on("console", bij_bericht)
    return gezien


def _controleer(page):
    assert page.js_fouten == [], f"JavaScript-fouten op de pagina: {page.js_fouten}"
    assert page.console_fouten == [], f"Meldingen in de console: {page.console_fouten}"


@pytest.fixture
def browser_page(browser, live_server):
    context, page = _page(browser, live_server, javascript=True)
    yield page
    _controleer(page)
    context.close()


@pytest.fixture
def page_zonder_js(browser, live_server):
    context, page = _page(browser, live_server, javascript=False)
    yield page
    _controleer(page)
    context.close()


MOBIEL = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(params=[DESKTOP, MOBIEL], ids=["desktop", "mobiel"])
def scherm_page(request, browser, live_server):
    """A page with JavaScript at desktop (1280 px) and at mobile (390 px) width."""
    context, page = _page(browser, live_server, javascript=True, viewport=request.param)
    yield page
    _controleer(page)
    context.close()


def wacht_op_htmx(page):
    """Until the page is as a person would find it: its scripts have run (a form that was posted
    without htmx brings a new page) and htmx has swapped and settled what it was answering. A
    change made earlier meets an element htmx has not taken up yet, and goes nowhere."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def inloggen(page, rol):
    page.goto("/inloggen")
    page.get_by_label("E-mailadres").fill(DEMO[rol])
    page.get_by_label("Wachtwoord").fill(WACHTWOORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/")
