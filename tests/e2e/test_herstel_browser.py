"""One-click fixes on the correction grid (issue 13, point 2) in a real browser, with and without
JavaScript: a list with a BSN stored as an 8-digit number and dates written as text shows the
offers with their counts; Herstellen fixes them all at once, the offer goes; after the last error
is corrected and the list sent, the helpdesk's edit log shows them as one-click fixes."""
import pytest
from playwright.sync_api import expect

from portal.lijsten.formats import format_voor
from portal.models import Aanlevering, Correctie
from tests.builders import leerlingen, make_xlsx, titel
from tests.e2e.conftest import DESKTOP, MOBIEL, _controleer, _page, inloggen
from tests.e2e.test_correctie_browser import FOUT_BSN, GOED_BSN, bsn_veld
from tests.test_herstel import bsn_met_voorloopnul

pytestmark = pytest.mark.browser

FMT = format_voor("VO", "overstapper")
BSN_NUL = bsn_met_voorloopnul()


def bestand(tmp_path):
    rijen = leerlingen(FMT, 5, seed=21)
    rijen[0][titel(FMT, "bsn")] = int(BSN_NUL)               # row 2: Excel dropped the leading zero
    rijen[1][titel(FMT, "bsn")] = FOUT_BSN                   # row 3: fails the 11-proef
    rijen[2][titel(FMT, "geboortedatum")] = "2010-03-15"     # rows 4, 5: dates written as text
    rijen[3][titel(FMT, "geboortedatum")] = "15 maart 2011"
    pad = tmp_path / "leerlingen.xlsx"
    pad.write_bytes(make_xlsx(FMT, rijen))
    return pad


@pytest.mark.parametrize("javascript,viewport", [(True, DESKTOP), (False, MOBIEL)], ids=["js-desktop", "zonder-js-mobiel"])
def test_one_click_fixes_are_applied_and_logged_for_the_helpdesk(browser, live_server, app, tmp_path,
                                                                 javascript, viewport):
    context, page = _page(browser, live_server, javascript=javascript, viewport=viewport)
    inloggen(page, "vo")
    page.goto("/uploaden/opsturen?schoolsoort=VO&soort=overstapper")
    select = page.get_by_label("Instantie")
    if select.locator("option").count() > 1:
        select.select_option(index=1)
    page.get_by_label("Leerlingbestand").set_input_files(bestand(tmp_path))
    page.get_by_role("button", name="Opsturen").click()
    page.get_by_role("link", name="Fouten hier verbeteren").click()
    aanbod = page.locator(".correctie__herstel")
    expect(aanbod).to_contain_text("1 BSN zonder voorloopnul")
    expect(aanbod).to_contain_text("2 datums in een andere schrijfwijze")
    expect(aanbod).to_contain_text("2010-03-15 → 15-03-2010")
    url = page.url

    page.get_by_role("button", name="Herstellen (2 datums in een andere schrijfwijze)").click()
    expect(page.locator("#hersteld" if javascript else "#meldingen")).to_contain_text(
        "Hersteld: 2 datums in een andere schrijfwijze.")
    expect(aanbod).not_to_contain_text("datums")
    page.get_by_role("button", name="Herstellen (1 BSN zonder voorloopnul)").click()
    expect(page.get_by_text("Hersteld: 1 BSN zonder voorloopnul.")).to_be_visible()
    expect(page.locator(".correctie__herstel")).to_have_count(0)        # nothing left to offer
    if javascript:
        assert page.url == url                                           # swapped in place
    expect(page.locator("#aantal-fouten")).to_have_text("1")            # the real error is for the user

    bsn_veld(page).fill(GOED_BSN)
    if javascript:
        bsn_veld(page).press("Tab")
        expect(page.locator("#rij-3")).to_contain_text("In orde")
    else:
        page.get_by_role("button", name="Opslaan en opnieuw controleren").click()
    expect(page.locator("#aantal-fouten")).to_have_text("Geen fouten meer.")
    page.get_by_role("button", name="Opsturen", exact=True).click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    aanlevering = Aanlevering.get()
    assert BSN_NUL in aanlevering.leerlingen_json and "2010-03-15" in aanlevering.leerlingen_json
    assert sorted((c.rij, c.soort) for c in Correctie.select()) == [(2, "herstel"), (3, "hand"), (4, "herstel"),
                                                                    (5, "herstel")]
    _controleer(page)
    context.close()

    context, page = _page(browser, live_server, javascript=javascript, viewport=viewport)
    inloggen(page, "helpdesk")
    page.goto(f"/helpdesk/{aanlevering.id}")
    expect(page.get_by_role("heading", name="Wijzigingen in de browser (4)")).to_be_visible()
    log = page.locator("#correcties")
    expect(log.locator("tr", has_text="15-03-2010")).to_contain_text("met één klik hersteld")
    expect(log.locator("tr", has_text="met één klik hersteld")).to_have_count(3)
    expect(log.locator("tr", has_text="met de hand")).to_have_count(1)
    assert BSN_NUL not in page.content()
    _controleer(page)
    context.close()
