"""The first browser test: a VO beheerder logs in and sees the start page."""
import pytest

from tests.e2e.conftest import inloggen

pytestmark = pytest.mark.browser


def test_vo_beheerder_logs_in_and_sees_the_start_page(browser_page):
    page = browser_page
    page.goto("/")
    assert "/inloggen" in page.url
    inloggen(page, "vo")
    assert page.get_by_role("heading", level=1).inner_text() == "Welkom, Vera Oosterhout (demo)"
    assert page.get_by_text("VO beheerder").is_visible()
    # htmx is loaded (the local copy, as CI has no internet) and configured.
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version") == "2.0.11"
    assert page.evaluate("htmx.config.historyCacheSize") == 0


def test_log_in_without_javascript(page_zonder_js):
    inloggen(page_zonder_js, "helpdesk")
    assert "Helpdesk" in page_zonder_js.get_by_role("heading", level=1).inner_text() or \
        page_zonder_js.get_by_text("helpdeskmedewerker").is_visible()
