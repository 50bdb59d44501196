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
    expect(page.locator("#meldingen")).to_contain_text("is verwerkt: 6 nieuw")
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
