"""The helpdesk in a real browser: a list sent in the browser is opened and loaded by the helpdesk, its
students appear in the school's overview; a rejected list's reason reaches the submitter."""
import json
import re

import pytest
from playwright.sync_api import expect

from portal.lijsten.formats import format_voor
from portal.models import Aanlevering, Leerling, MailBericht
from tests.aanleveringen_builder import maak_aanlevering
from tests.e2e.conftest import inloggen
from tests.e2e.test_wizard_browser import doorloop

pytestmark = pytest.mark.browser


def uitloggen(page):
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url("**/inloggen**")


def test_a_list_sent_in_the_browser_is_loaded_by_the_helpdesk(app, browser_page, tmp_path):
    page = browser_page
    inloggen(page, "vo")
    aanlevering = doorloop(page, tmp_path, "/uploaden/", format_voor("VO", "overstapper"))
    achternamen = sorted({l["achternaam"] for l in json.loads(aanlevering.leerlingen_json)})
    page.goto("/aanleveringen/")
    expect(page.locator("#aanleveringen")).to_contain_text(aanlevering.kenmerk)
    expect(page.locator("#aanleveringen")).to_contain_text("Ingediend, wacht op controle")
    uitloggen(page)

    inloggen(page, "helpdesk")
    page.get_by_role("link", name="Helpdesk").first.click()
    expect(page.get_by_role("heading", name="Aangeleverde leerlinglijsten")).to_be_visible()
    # The filters swap only the results (htmx): choosing MBO empties the table, VO brings it back.
    # (A choice made before htmx has read the page would be a plain choice with nothing behind it:
    # the page's scripts run first, as they have when a person gets to choose.)
    page.wait_for_load_state("load")
    page.get_by_label("Schoolsoort").select_option("MBO")
    expect(page.locator("#resultaten")).to_contain_text("Er zijn geen aanleveringen")
    assert "schoolsoort=MBO" in page.url
    page.get_by_label("Schoolsoort").select_option("VO")
    page.get_by_role("link", name=aanlevering.kenmerk).click()
    expect(page.get_by_role("heading", name=re.compile(f"Lijst {aanlevering.kenmerk}"))).to_be_visible()
    expect(page.locator(".vergelijking")).to_contain_text("6 nieuw")
    assert not re.search(r"(?<!\d)\d{9}(?!\d)", page.locator("main").inner_text()), "BSN hoort gemaskeerd te zijn"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("button", name="Verwerken").click()
    # Issue 11, point 14: a confirmation step that says what will happen; nothing is loaded yet.
    expect(page.get_by_role("heading", name=f"Lijst {aanlevering.kenmerk} verwerken?")).to_be_visible()
    expect(page.locator("#bevestigen")).to_contain_text("6 leerlingen worden toegevoegd")
    assert Aanlevering.get_by_id(aanlevering.id).status == "ingediend"
    page.get_by_role("button", name="Ja, 6 leerlingen verwerken").click()
    expect(page.locator("#meldingen")).to_contain_text("is verwerkt: 6 leerlingen toegevoegd, 0 bijgewerkt")
    expect(page.locator("#resultaat")).to_contain_text("6 leerlingen toegevoegd")
    expect(page.locator("#logboek")).to_contain_text("Hanna de Helpdesk")
    assert Aanlevering.get_by_id(aanlevering.id).status == "verwerkt"
    assert Leerling.select().where(Leerling.aanlevering == aanlevering.id).count() == 6
    assert MailBericht.select().where(MailBericht.onderwerp.contains("is verwerkt")).count() == 1
    uitloggen(page)

    inloggen(page, "vo")
    page.goto("/leerlingen/")
    for achternaam in achternamen:
        expect(page.locator("main")).to_contain_text(achternaam)
    page.goto("/aanleveringen/")
    expect(page.locator("#aanleveringen")).to_contain_text("Verwerkt")


def test_a_rejected_list_reaches_the_submitter_with_its_reason(app, page_zonder_js):
    page = page_zonder_js  # the review works without JavaScript too
    aanlevering = maak_aanlevering(aantal=3, kanaal="publiek", gebruiker=None, email="bea@voorbeeld.nl")
    inloggen(page, "helpdesk")
    page.goto(f"/helpdesk/{aanlevering.id}")
    page.get_by_role("button", name="Afkeuren en terugsturen").click()
    expect(page.locator("#fout-reden")).to_contain_text("Vul de reden in")
    page.get_by_label("Reden van terugsturen").fill("De kolom Klas is bij alle leerlingen leeg.")
    page.get_by_role("button", name="Afkeuren en terugsturen").click()
    expect(page.locator("#meldingen")).to_contain_text("is teruggestuurd naar de indiener")
    mail = MailBericht.get(MailBericht.aan == "bea@voorbeeld.nl")
    assert "De kolom Klas is bij alle leerlingen leeg." in mail.tekst
    link = re.search(r"http://\S+/leerlinglijst/status/\S+", mail.tekst).group(0)
    uitloggen(page)
    page.goto(link[link.index("/leerlinglijst/status/"):])  # the live server, not the mail's host
    expect(page.locator("#status")).to_contain_text("Teruggestuurd")
    expect(page.locator("#reden")).to_contain_text("De kolom Klas is bij alle leerlingen leeg.")
    assert Leerling.select().count() == 0


# --- Issue 11, points 11, 13 and 14 at desktop and phone size, with and without JavaScript ---------
MATEN = [1280, 390]


def _pagina(request, javascript, breedte):
    page = request.getfixturevalue("browser_page" if javascript else "page_zonder_js")
    page.set_viewport_size({"width": breedte, "height": 900})
    return page


def _past(page):
    # Measured once the page has settled: a layout taken while the stylesheet of a new page is still
    # on its way (a busy machine) has the table at full width; right after an htmx swap the layout
    # may not be final yet either.
    page.wait_for_load_state("load")
    breed = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    for _ in range(20):
        if breed[0] <= breed[1]:
            break
        page.wait_for_timeout(100)
        breed = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert breed[0] <= breed[1], f"de pagina schuift opzij: {breed}"


@pytest.mark.parametrize("breedte", MATEN)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "zonder-js"])
def test_verwerken_asks_first_and_says_what_it_did(request, app, live_server, javascript, breedte):
    rijen = json.loads(maak_aanlevering(aantal=20).leerlingen_json)
    Aanlevering.delete().execute()
    rijen[0]["telefoonnummer"] = "+31614037655"
    aanlevering = maak_aanlevering(rijen=rijen)
    page = _pagina(request, javascript, breedte)
    inloggen(page, "helpdesk")
    page.goto(f"/helpdesk/{aanlevering.id}")
    expect(page.locator("main")).to_contain_text("06-14037655")           # not +31614037655
    assert "+31614037655" not in page.locator("main").inner_text()
    page.get_by_role("button", name="Verwerken").click()
    expect(page.get_by_role("heading", name=f"Lijst {aanlevering.kenmerk} verwerken?")).to_be_visible()
    expect(page.locator("#bevestigen")).to_contain_text("20 leerlingen worden toegevoegd")
    _past(page)
    page.get_by_role("link", name="Annuleren").click()                     # changing one's mind loads nothing
    expect(page.get_by_role("heading", name=re.compile(f"Lijst {aanlevering.kenmerk}"))).to_be_visible()
    assert Aanlevering.get_by_id(aanlevering.id).status == "ingediend" and Leerling.select().count() == 0
    page.get_by_role("button", name="Verwerken").click()
    page.get_by_role("button", name="Ja, 20 leerlingen verwerken").click()
    expect(page.locator("#meldingen")).to_contain_text(
        f"Lijst {aanlevering.kenmerk} is verwerkt: 20 leerlingen toegevoegd, 0 bijgewerkt, 0 ongewijzigd.")
    expect(page.locator("#resultaat")).to_contain_text("20 leerlingen toegevoegd")
    expect(page.get_by_role("heading", name="Vergelijking met het systeem")).to_have_count(0)
    _past(page)
    assert Leerling.select().count() == 20


@pytest.mark.parametrize("breedte", MATEN)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "zonder-js"])
def test_intrekken_asks_first(request, app, live_server, javascript, breedte):
    aanlevering = maak_aanlevering(aantal=4)
    page = _pagina(request, javascript, breedte)
    inloggen(page, "vo")
    page.goto("/aanleveringen/")
    page.get_by_role("link", name=f"Intrekken lijst {aanlevering.kenmerk}").click()
    expect(page.get_by_role("heading", name=f"Lijst {aanlevering.kenmerk} intrekken?")).to_be_visible()
    expect(page.locator("#bevestigen")).to_contain_text("niet ongedaan")
    _past(page)
    assert Aanlevering.get_by_id(aanlevering.id).status == "ingediend"
    page.get_by_role("button", name=f"Ja, lijst {aanlevering.kenmerk} intrekken").click()
    expect(page.locator("#meldingen")).to_contain_text(f"Lijst {aanlevering.kenmerk} is ingetrokken")
    assert Aanlevering.get_by_id(aanlevering.id).status == "ingetrokken"
    # The status page's own Intrekken button (a POST) leads to the same question first.
    tweede = maak_aanlevering(aantal=2, seed=5)
    page.goto(f"/aanleveringen/{tweede.id}")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_role("heading", name=f"Lijst {tweede.kenmerk} intrekken?")).to_be_visible()
    page.get_by_role("link", name="Annuleren").click()
    assert Aanlevering.get_by_id(tweede.id).status == "ingediend"


@pytest.mark.parametrize("breedte", MATEN)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "zonder-js"])
def test_footer_names_the_helpdesk_and_meer_informatie(request, app, live_server, javascript, breedte):
    """Points 11 and 13: the helpdesk's e-mail and phone and the seed's MEER INFORMATIE block with
    "klik hier", on the public site and in the portal; the names of portal and public site."""
    app.config["HELPDESK_TELEFOON"] = "030-7654321"
    page = _pagina(request, javascript, breedte)
    page.goto("/leerlinglijst/")
    voet = page.locator("footer")
    expect(voet.get_by_role("heading", name="Meer informatie")).to_be_visible()
    assert voet.locator("#voet-meer-informatie").inner_text().strip() == "MEER INFORMATIE"   # as the seed shows it
    expect(voet).to_contain_text("Voor meer informatie en onderwerpen: klik hier")
    expect(voet.get_by_role("link", name="helpdesk-team@voorbeeld.nl")).to_have_attribute(
        "href", "mailto:helpdesk-team@voorbeeld.nl")
    expect(voet.get_by_role("link", name="030-7654321")).to_have_attribute("href", "tel:0307654321")
    expect(page.locator(".kop__naam")).to_have_text("leerlinglijst.nl")
    assert page.title().endswith("– leerlinglijst.nl")
    _past(page)
    voet.get_by_role("link", name="klik hier").click()
    expect(page.get_by_role("heading", name="Meer informatie", level=1)).to_be_visible()
    page.get_by_role("link", name="Hoe kan ik leerlingen toevoegen aan InterGrip?").first.click()
    expect(page.get_by_role("heading", name="Hoe kan ik leerlingen toevoegen aan InterGrip?")).to_be_visible()
    inloggen(page, "vo")
    expect(page.locator(".kop__naam")).to_have_text("InterGrip Portaal")
    assert page.title().endswith("– InterGrip Portaal")
    expect(page.locator("footer")).to_contain_text("030-7654321")
    _past(page)
