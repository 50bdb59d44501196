"""The Leerlingen area in a real browser: a student entered with the keyboard alone (JS on), the
same without JavaScript, search as you type, and the export download."""
import random
import re

import pytest
from playwright.sync_api import expect

from portal.lijsten.formats import format_voor
from portal.lijsten.validate import check_bytes
from portal.models import Instantie, Leerling
from tests import builders
from tests.e2e.conftest import inloggen

pytestmark = pytest.mark.browser


def waarden(fmt, **overrides):
    rij = builders.leerling(fmt, random.Random(21), **overrides)
    return {k.veld: builders._csv_waarde(rij[k.titel]) for k in fmt.kolommen}


def actief_id(page):
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_tot(page, voorwaarde, maximaal=40):
    for _ in range(maximaal):
        page.keyboard.press("Tab")
        if page.evaluate(voorwaarde):
            return
    raise AssertionError(f"niet bereikt met Tab: {voorwaarde}")


def test_enter_a_student_with_the_keyboard_alone(browser_page, live_server):
    page = browser_page
    inloggen(page, "vo")
    page.goto("/leerlingen/")
    tab_tot(page, "document.activeElement.textContent.trim() === '+ Nieuwe leerling'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/leerlingen/nieuw")

    tab_tot(page, "document.activeElement.id === 'type-overstapper'")
    page.keyboard.press("Space")                              # choose Potentiële overstapper
    expect(page.locator("#formulierstatus")).to_contain_text("instantie")
    tab_tot(page, "document.activeElement.id === 'keuze-instantie'")
    page.keyboard.press("ArrowDown")                          # the first instantie
    expect(page.locator("#leerlingformulier legend", has_text="Persoonsgegevens")).to_be_visible()
    expect(page.locator("#formulierstatus")).to_contain_text("staat hieronder")
    assert "type=overstapper" in page.url                    # the choice is in the address

    instantie = Instantie.get(Instantie.id == int(page.locator("#keuze-instantie").input_value()))
    fmt = format_voor(instantie.schoolsoort, "overstapper")
    data = waarden(fmt, leerlingnummer="TOETS-42", achternaam="Toetsenbord", onderwijsniveau="HAVO",
                   leerjaar=5, vervolgwens="HBO", geslacht="V", tussenvoegsel=None)
    tab_tot(page, "document.activeElement.id === 'leerlingnummer'")
    for kolom in fmt.kolommen:
        assert actief_id(page) == kolom.veld, f"Tab-volgorde: verwacht {kolom.veld}"
        waarde = data[kolom.veld]
        if waarde:
            page.keyboard.type(waarde)                       # a select takes typed text as type-ahead
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Opslaan"
    # The select took the typed letter as its choice.
    expect(page.locator("#rij-geslacht select")).to_have_value("V")
    page.keyboard.press("Enter")

    page.wait_for_url("**/leerlingen/")
    expect(page.locator("#meldingen")).to_contain_text("is opgeslagen")
    expect(page.get_by_role("link", name=re.compile("^Toetsenbord, "))).to_be_visible()
    leerling = Leerling.get(Leerling.leerlingnummer == "TOETS-42")
    assert (leerling.achternaam, leerling.onderwijsniveau, leerling.leerjaar) == ("Toetsenbord", "HAVO", 5)


def test_inline_check_shows_the_message_when_a_field_loses_focus(browser_page, live_server):
    page = browser_page
    inloggen(page, "mbo")
    instantie = Instantie.get(Instantie.brin == "99BA")
    page.goto(f"/leerlingen/nieuw?type=overstapper&instantie={instantie.id}")
    page.locator("#bsn").fill("123456789")
    page.keyboard.press("Tab")
    fout = page.locator("#fout-bsn")
    expect(fout).to_contain_text("voldoet niet aan de elfproef")
    expect(page.locator("#bsn")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#onderwijsnummer")).to_be_focused()    # focus stays where the user went
    page.locator("#bsn").fill("")
    page.locator("#voorletters").focus()
    expect(page.locator("#fout-bsn")).to_have_text("Vul het BSN in, of het onderwijsnummer als de leerling geen BSN heeft.")
    expect(page.locator("#label-onderwijsnummer")).to_have_text("Onderwijsnummer (verplicht indien BSN niet beschikbaar is)")
    expect(page.locator("#label-bsn")).to_contain_text("BSN*")


def test_enter_and_delete_a_student_without_javascript(page_zonder_js, live_server):
    page = page_zonder_js
    inloggen(page, "vo")
    page.goto("/leerlingen/")
    page.get_by_role("link", name="+ Nieuwe leerling").click()
    page.get_by_label("Niet-overstapper").check()
    page.get_by_label("Instantie").select_option(index=1)
    page.get_by_role("button", name="Verder").click()
    # Issue 11, point 10: the seed's heading and sections, and no Excel wording in a web form.
    expect(page.get_by_role("heading", name="Leerling toevoegen", level=1)).to_be_visible()
    for sectie in ("Leerling", "Persoonsgegevens"):
        expect(page.locator("#leerlingformulier legend", has_text=re.compile(f"^{sectie}$"))).to_be_visible()
    formulier = page.locator("#leerlingformulier").inner_text()
    for woord in ("Excel", "opgemaakt als Tekst", "Kies uit", "in de lijst"):
        assert woord not in formulier, woord
    fmt = format_voor("VO", "niet-overstapper")
    data = waarden(fmt, leerlingnummer="ZONDER-JS", achternaam="Zonderscript", onderwijsniveau="VWO", leerjaar=3)
    for kolom in fmt.kolommen:
        veld = page.locator(f"#{kolom.veld}")
        if data[kolom.veld]:
            if veld.evaluate("e => e.tagName") == "SELECT":
                veld.select_option(data[kolom.veld])
            else:
                veld.fill(data[kolom.veld])
    page.locator("#geboortedatum").fill("31-02-2010")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("geen geldige datum")
    page.locator("#geboortedatum").fill(data["geboortedatum"])
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#meldingen")).to_contain_text("is opgeslagen")

    page.get_by_role("link", name=re.compile("Verwijderen.*Zonderscript")).click()
    expect(page.get_by_role("heading", name="Leerling verwijderen")).to_be_visible()
    assert Leerling.get_or_none(Leerling.leerlingnummer == "ZONDER-JS") is not None
    page.get_by_role("button", name="Verwijderen").click()
    expect(page.locator("#meldingen")).to_contain_text("is verwijderd")
    assert Leerling.get_or_none(Leerling.leerlingnummer == "ZONDER-JS") is None


def test_search_as_you_type_and_export(browser_page, live_server, tmp_path):
    page = browser_page
    fmt = format_voor("VO", "overstapper")
    inst = Instantie.get(Instantie.brin == "99AA")
    for i, achternaam in enumerate(["Appelboom", "Perenboom", "Kersenboom"]):
        w = waarden(fmt, leerlingnummer=f"Z{i}", achternaam=achternaam, bsn=builders.geldig_bsn(random.Random(i)))
        from portal.leerlingformulier import model_waarden
        from portal.lijsten.validate import check_record
        schoon, _ = check_record(fmt, w)
        Leerling.create(instantie=inst, type="overstapper", schooljaar="2026-2027", **model_waarden(fmt, schoon))
    inloggen(page, "vo")
    page.goto("/leerlingen/")
    page.get_by_label("Zoek op naam of leerlingnummer").press_sequentially("peren", delay=30)
    expect(page.locator("#resultaten tbody tr")).to_have_count(1)
    expect(page.locator("#zoekstatus")).to_have_text("1 leerling gevonden")
    assert "q=peren" in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporteren naar Excel").click()
    pad = tmp_path / "export.xlsx"
    download.value.save_as(pad)
    resultaat = check_bytes(pad.read_bytes(), fmt)
    assert resultaat.ok and [r["achternaam"] for r in resultaat.leerlingen] == ["Perenboom"]


# --- Issue 11, point 16: the overview fits the screen ------------------------------------------------
def _meet(page):
    return page.evaluate("""() => {
        const wrap = document.querySelector('.tabel-wrap');
        const acties = [...document.querySelectorAll('.leerling-acties a')].map(a => a.getBoundingClientRect());
        return {pagina: document.documentElement.scrollWidth, venster: window.innerWidth,
                wrap: wrap.getBoundingClientRect().right, wrapScroll: wrap.scrollWidth - wrap.clientWidth,
                actiesRechts: Math.max(...acties.map(r => r.right)), actiesLinks: Math.min(...acties.map(r => r.left)),
                aantal: acties.length};
    }""")


@pytest.mark.parametrize("breedte", [390, 1024, 1280])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "zonder-js"])
def test_overview_fits_the_screen(request, app, live_server, breedte, javascript):
    """At 390 px the page never scrolls sideways and Wijzigen/Verwijderen are on screen; at 1280 px
    "Verwijderen" is not clipped. With and without JavaScript."""
    from tests.test_leerlingen import maak_leerlingen
    inst = Instantie.get(Instantie.brin == "99AA")
    maak_leerlingen(inst, 12, seed=3, achternaam="Vanderschuerenbroekhuizen-Oosterwijk")
    page = request.getfixturevalue("browser_page" if javascript else "page_zonder_js")
    page.set_viewport_size({"width": breedte, "height": 900})
    inloggen(page, "vo")
    page.goto("/leerlingen/")
    expect(page.get_by_role("link", name=re.compile("^Verwijderen")).first).to_be_visible()
    maat = _meet(page)
    assert maat["aantal"] == 24
    assert maat["pagina"] <= maat["venster"], f"de pagina schuift opzij: {maat}"
    assert maat["actiesRechts"] <= min(maat["wrap"], maat["venster"]) + 0.5, f"Wijzigen/Verwijderen afgesneden: {maat}"
    assert maat["actiesLinks"] >= 0
    assert maat["wrapScroll"] <= 0, f"de tabel schuift opzij: {maat}"
    if breedte < 1088:
        # Every student reads as a card: the column names are shown beside each value.
        labels = page.evaluate("""() => [...document.querySelectorAll('table.leerlingen tbody tr:first-child td')]
            .map(td => getComputedStyle(td, '::before').content)""")
        assert '"Leerlingnummer"' in labels and '"Geboortedatum"' in labels, labels
