"""Correcting a list in the browser (issue 13.1, 13.3), end to end in a real browser, with and
without JavaScript, at desktop and at 390 px: upload a list with two errors, correct a cell (the
row turns good, the count goes down), remove a row, send the corrected list without choosing a
file again, and find the edit log on the helpdesk's page."""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from portal.lijsten.formats import format_voor
from portal.models import Aanlevering, Correctie
from tests.builders import leerlingen, make_xlsx, titel
from tests.e2e.conftest import DESKTOP, MOBIEL, _controleer, _page, inloggen
from tests.e2e.test_axe import axe, axe_bron  # noqa: F401 (axe_bron is a fixture)

pytestmark = pytest.mark.browser

FMT = format_voor("VO", "overstapper")
FOUT_BSN, GOED_BSN = "111222334", "111222333"


def bestand_met_fouten(tmp_path):
    rijen = leerlingen(FMT, 5, seed=21)
    rijen[1][titel(FMT, "bsn")] = FOUT_BSN                # row 3: fails the 11-proef
    rijen[3][titel(FMT, "geboortedatum")] = "31-02-2011"  # row 5: no such date
    pad = tmp_path / "leerlingen.xlsx"
    pad.write_bytes(make_xlsx(FMT, rijen))
    return pad


def opsturen_met_fouten(page, prefix, pad, naam=None):
    page.goto(f"{prefix}/opsturen?schoolsoort=VO&soort=overstapper")
    select = page.get_by_label("Instantie")
    if select.locator("option").count() > 1:
        select.select_option(index=1)
    if naam:
        page.get_by_label("Uw naam").fill(naam)
        page.get_by_label("Uw e-mailadres").fill("bea@voorbeeld.nl")
    page.get_by_label("Leerlingbestand").set_input_files(pad)
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_text("De leerlinglijst is nog niet opgestuurd")).to_be_visible()
    page.get_by_role("link", name="Fouten hier verbeteren").click()
    expect(page.get_by_role("heading", name="Fouten hier verbeteren")).to_be_visible()
    expect(page.locator("#aantal-fouten")).to_have_text("2")


def bsn_veld(page):
    return page.get_by_label(f"{titel(FMT, 'bsn')}, rij 3")


@pytest.mark.parametrize("viewport", [DESKTOP, MOBIEL], ids=["desktop", "mobiel"])
def test_correct_remove_and_send_with_javascript(browser, live_server, app, tmp_path, viewport, axe_bron):
    context, page = _page(browser, live_server, javascript=True, viewport=viewport)
    page.on("dialog", lambda dialog: dialog.accept())     # "Rij 5 uit de lijst verwijderen?"
    inloggen(page, "vo")
    opsturen_met_fouten(page, "/uploaden", bestand_met_fouten(tmp_path))
    assert axe(page, axe_bron) == []
    url = page.url
    veld = bsn_veld(page)
    expect(veld).to_have_value(FOUT_BSN)
    veld.fill(GOED_BSN)
    veld.press("Tab")                                      # change → htmx swaps the row and the summary
    expect(page.locator("#rij-3")).to_contain_text("In orde")
    expect(page.locator("#aantal-fouten")).to_have_text("1")
    assert page.url == url                                 # swapped in place, no new page
    assert axe(page, axe_bron) == []
    page.locator("#rij-5").get_by_role("button", name="Rij verwijderen").click()
    expect(page.locator("#rij-5")).to_contain_text("Verwijderd")
    expect(page.locator("#aantal-fouten")).to_have_text("Geen fouten meer.")
    # Removed by mistake: put it back (its error returns), then remove it after all.
    page.locator("#rij-5").get_by_role("button", name="Terugzetten").click()
    expect(page.get_by_text("Rij 5 staat weer in de lijst en heeft 1 fout.")).to_be_visible()
    expect(page.locator("#aantal-fouten")).to_have_text("1")
    assert page.url == url
    page.locator("#rij-5").get_by_role("button", name="Rij verwijderen").click()
    expect(page.locator("#aantal-fouten")).to_have_text("Geen fouten meer.")
    expect(page.locator("#hersteld")).to_be_empty()        # "Rij 5 staat weer in de lijst" is no longer true
    page.get_by_role("button", name="Opsturen", exact=True).click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    aanlevering = Aanlevering.get()
    assert aanlevering.aantal_leerlingen == 4 and GOED_BSN in aanlevering.leerlingen_json
    _controleer(page)
    context.close()

    context, page = _page(browser, live_server, javascript=True, viewport=viewport)
    inloggen(page, "helpdesk")
    page.goto(f"/helpdesk/{aanlevering.id}")
    log = page.locator("#correcties")
    expect(page.get_by_role("heading", name="Wijzigingen in de browser (4)")).to_be_visible()
    expect(log).to_contain_text("*****2334")
    expect(log).to_contain_text("*****2333")
    expect(log).to_contain_text("Rij verwijderd")
    expect(log).to_contain_text("Rij teruggezet")
    assert axe(page, axe_bron) == []
    assert FOUT_BSN not in page.content() and GOED_BSN not in page.content()
    _controleer(page)
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBIEL], ids=["desktop", "mobiel"])
def test_correct_remove_and_send_without_javascript(browser, live_server, app, tmp_path, viewport):
    context, page = _page(browser, live_server, javascript=False, viewport=viewport)
    opsturen_met_fouten(page, "/leerlinglijst", bestand_met_fouten(tmp_path), naam="Bea Bezoeker")
    bsn_veld(page).fill(GOED_BSN)
    page.get_by_role("button", name="Opslaan en opnieuw controleren").click()
    expect(page.locator("#aantal-fouten")).to_have_text("1")
    expect(page.locator("#rij-3")).to_have_count(0)        # good now: no longer among the failing rows
    page.locator("#rij-5").get_by_role("button", name="Rij verwijderen").click()
    expect(page.locator("#aantal-fouten")).to_have_text("Geen fouten meer.")
    # The removed row waits below the grid, to be put back.
    verwijderd = page.get_by_role("region", name="Verwijderde rijen (1)")
    expect(verwijderd).to_contain_text("Rij 5:")
    verwijderd.get_by_role("button", name="Terugzetten").click()
    expect(page.get_by_text("Rij 5 staat weer in de lijst en heeft 1 fout.")).to_be_visible()
    expect(page.locator("#aantal-fouten")).to_have_text("1")
    page.locator("#rij-5").get_by_role("button", name="Rij verwijderen").click()
    expect(page.locator("#aantal-fouten")).to_have_text("Geen fouten meer.")
    page.get_by_role("button", name="Opsturen", exact=True).click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    aanlevering = Aanlevering.get()
    assert aanlevering.kanaal == "publiek" and aanlevering.aantal_leerlingen == 4
    assert [(c.rij, c.door, c.soort) for c in Correctie.select().order_by(Correctie.id)] == [
        (3, "bezoeker", "hand"), (5, "bezoeker", "hand"), (5, "bezoeker", "hand"), (5, "bezoeker", "hand")]
    assert re.search(r"LL-[A-Z0-9]{8}", page.content())
    _controleer(page)
    context.close()


@pytest.mark.parametrize("javascript,viewport", [(True, MOBIEL), (False, DESKTOP)], ids=["js-mobiel", "zonder-js-desktop"])
def test_a_sent_back_list_is_corrected_from_its_status_page(browser, live_server, app, javascript, viewport):
    from tests.aanleveringen_builder import maak_aanlevering
    oud = maak_aanlevering(aantal=3, kanaal="publiek", gebruiker=None, status="afgekeurd",
                           reden="De klas van rij 3 klopt niet.")
    context, page = _page(browser, live_server, javascript=javascript, viewport=viewport)
    page.goto(f"/leerlinglijst/status/{oud.status_token}")
    page.get_by_role("link", name="Fouten hier verbeteren").click()
    expect(page.locator("#reden")).to_have_text("De klas van rij 3 klopt niet.")
    klas = page.get_by_label(f"{titel(FMT, 'klas')}, rij 3")
    klas.fill("4Z")
    expect(page.get_by_text("Geen fouten meer.")).to_be_visible()
    # Straight to Opsturen after typing: with JavaScript the cell's own check is still on its way,
    # without it nothing was saved yet. Either way the value goes with the list.
    page.get_by_role("button", name="Opsturen", exact=True).click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    nieuw = Aanlevering.select().where(Aanlevering.id != oud.id).get()
    assert '"klas": "4Z"' in nieuw.leerlingen_json.replace('":"', '": "')
    assert [(c.rij, c.nieuw) for c in Correctie.select()] == [(3, "4Z")]
    _controleer(page)
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBIEL], ids=["desktop", "mobiel"])
def test_the_grid_opens_at_its_first_failing_cell(browser, live_server, app, tmp_path, viewport):
    """The grid is wider than the screen; a failing cell far to the right (Geboortedatum) is shown
    when the grid opens, not the first columns only."""
    rijen = leerlingen(FMT, 3, seed=22)
    rijen[1][titel(FMT, "geboortedatum")] = "31-02-2011"
    pad = tmp_path / "leerlingen.xlsx"
    pad.write_bytes(make_xlsx(FMT, rijen))
    context, page = _page(browser, live_server, javascript=True, viewport=viewport)
    inloggen(page, "vo")
    page.goto("/uploaden/opsturen?schoolsoort=VO&soort=overstapper")
    page.get_by_label("Instantie").select_option(index=1)
    page.get_by_label("Leerlingbestand").set_input_files(pad)
    page.get_by_role("button", name="Opsturen").click()
    page.get_by_role("link", name="Fouten hier verbeteren").click()
    veld = page.get_by_label(f"{titel(FMT, 'geboortedatum')}, rij 3")
    expect(veld).to_have_value("31-02-2011")
    # The grid scrolls once app.js has run: after the page's scripts, so measure after its load
    # event (the cell exists, with its value, before the scripts have run).
    page.wait_for_load_state("load")
    try:
        page.wait_for_function("([el, breedte]) => { const r = el.getBoundingClientRect();"
                               " return r.left >= 0 && r.right <= breedte; }",
                               arg=[veld.element_handle(), viewport["width"]], timeout=5_000)
    except PlaywrightTimeoutError:
        pass                                # the assertion below says where the cell is
    vak = veld.bounding_box()
    assert 0 <= vak["x"] and vak["x"] + vak["width"] <= viewport["width"], vak
    _controleer(page)
    context.close()
