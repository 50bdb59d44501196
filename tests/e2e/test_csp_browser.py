"""The strict CSP (style-src 'self') holds through a whole upload with htmx: no swap, settle or
script sets an inline style. The console hook of conftest fails the test on any violation."""
import random

from playwright.sync_api import expect

from portal.lijsten.formats import format_voor
from tests.builders import leerlingen, make_xlsx, titel
from tests.e2e.conftest import inloggen


def test_an_upload_with_errors_causes_no_csp_violation(browser_page, tmp_path):
    page = browser_page
    page.add_init_script("document.addEventListener('securitypolicyviolation', e =>"
                         " console.error('CSP: ' + e.violatedDirective + ' ' + (e.target.outerHTML || '').slice(0, 80)))")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 6, seed=random.Random(3).randint(1, 999))
    rijen[2][titel(fmt, "bsn")] = "123456789"
    pad = tmp_path / "lijst.xlsx"
    pad.write_bytes(make_xlsx(fmt, rijen))
    inloggen(page, "vo")
    page.goto("/uploaden/opsturen?schoolsoort=VO&soort=overstapper")
    page.get_by_label("Toelichting").fill("Eerste lijst van dit jaar")
    page.set_input_files("input[type=file]", str(pad))
    page.get_by_role("button", name="Opsturen").click()  # without an instantie: step 4 again (422)
    expect(page.locator("main")).to_contain_text("Kies uw instantie uit de lijst.")
    page.get_by_label("Instantie").select_option(index=1)
    page.set_input_files("input[type=file]", str(pad))
    page.get_by_role("button", name="Opsturen").click()
    expect(page.locator("main")).to_contain_text("123456789")
