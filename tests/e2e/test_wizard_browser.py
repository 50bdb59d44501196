"""Both sites end to end in a real browser: download the template, fill it in, upload it with
errors, read them, download the marked-up file, upload the corrected file, see the success page
and find the mail."""
import io
import random
import re
import threading

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from portal import mail
from portal.lijsten.formats import format_voor
from portal.models import Aanlevering, MailBericht
from tests.builders import leerlingen, make_xlsx, titel
from tests.e2e.conftest import inloggen, wacht_op_htmx

pytestmark = pytest.mark.browser


def vul_template_in(pad, fmt, rijen):
    """Fill the downloaded template the way a school would: the titles stay, rows go below."""
    werkboek = load_workbook(pad)
    blad = werkboek["Leerlingen"]
    titels = [c.value for c in blad[1]]
    for nummer, rij in enumerate(rijen, start=2):
        for kolom, t in enumerate(titels, start=1):
            blad.cell(row=nummer, column=kolom, value=rij.get(t))
    uit = pad.parent / "ingevuld.xlsx"
    werkboek.save(uit)
    return uit


def doorloop(page, tmp_path, start, fmt, kies_schoolsoort=None, naam=None, email=None):
    page.goto(start)
    if kies_schoolsoort:
        page.get_by_label(kies_schoolsoort).check()
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Potentiële overstapper").check()
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", name="Stap 3: Format")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    sjabloon = tmp_path / "sjabloon.xlsx"
    download.value.save_as(sjabloon)
    expect(page.get_by_text("Heeft u het bestand aangevuld? Klik dan op Opsturen")).to_be_visible()
    page.get_by_role("link", name="Opsturen").click()
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()
    expect(page.get_by_text("Alle velden met * zijn verplicht")).to_be_visible()

    rijen = leerlingen(fmt, 6, seed=random.randint(1, 10_000))
    goed = [dict(r) for r in rijen]
    rijen[2][titel(fmt, "bsn")] = "111222334"  # fails the 11-proef
    rijen[4][titel(fmt, "geslacht")] = "X2"
    fout_bestand = vul_template_in(sjabloon, fmt, rijen)

    select = page.get_by_label("Instantie")
    if select.locator("option").count() > 1:
        select.select_option(index=1)
    if naam:
        page.get_by_label("Uw naam").fill(naam)
        page.get_by_label("Uw e-mailadres").fill(email)
    page.get_by_label("Leerlingbestand").set_input_files(fout_bestand)
    page.get_by_role("button", name="Opsturen").click()

    expect(page.get_by_role("heading", name="Stap 5: Verwerken")).to_be_visible()
    expect(page.get_by_text("De leerlinglijst is nog niet opgestuurd")).to_be_visible()
    expect(page.locator("table").last).to_contain_text("elfproef")
    tabel = page.locator("table").last.inner_text()
    assert "111222334" in tabel and "elfproef" in tabel
    assert "Geslacht" in tabel
    with page.expect_download() as download:
        page.get_by_role("link", name="Download uw bestand met de fouten gemarkeerd").click()
    gemarkeerd = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert "Bevindingen" in gemarkeerd.sheetnames

    page.get_by_label("Leerlingbestand").set_input_files(vul_template_in(sjabloon, fmt, goed))
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    expect(page.get_by_role("link", name="Nog een lijst opsturen")).to_be_visible()
    return Aanlevering.get()


def test_beheerder_delivers_a_list_with_javascript(app, browser_page, tmp_path, smtp_server):
    page = browser_page
    inloggen(page, "vo")
    aanlevering = doorloop(page, tmp_path, "/uploaden/", format_voor("VO", "overstapper"))
    assert aanlevering.kenmerk in page.content()
    assert aanlevering.aantal_leerlingen == 6 and aanlevering.kanaal == "portal"
    # With htmx the steps were swapped in place: the address bar still followed along.
    assert "/uploaden/klaar/" in page.url
    # The mail arrives through a real SMTP server on loopback.
    smtp_server.start()
    app.config.update(MAIL_SERVER="127.0.0.1")
    state = app.extensions["mail"]
    state.server, state.port, state.suppress = "127.0.0.1", smtp_server.port, False
    with app.app_context():
        mail.send_pending()
    onderwerpen = [m["Subject"] for m in smtp_server.berichten if m["To"] == "vo@demo.nl"]
    assert onderwerpen == [f"Bevestiging: leerlinglijst ontvangen ({aanlevering.kenmerk})"]


def test_visitor_delivers_a_list_without_javascript(page_zonder_js, tmp_path):
    aanlevering = doorloop(page_zonder_js, tmp_path, "/leerlinglijst/", format_voor("MBO", "overstapper"),
                           kies_schoolsoort="MBO – middelbaar beroepsonderwijs",
                           naam="Bea Bezoeker", email="bea@voorbeeld.nl")
    assert aanlevering.kanaal == "publiek" and aanlevering.schoolsoort == "MBO"
    assert MailBericht.get(MailBericht.aan == "bea@voorbeeld.nl").onderwerp.endswith(f"({aanlevering.kenmerk})")


def test_visitor_with_javascript_gets_inline_messages(browser_page):
    page = browser_page
    page.goto("/leerlinglijst/opsturen?schoolsoort=VO&soort=niet-overstapper")
    # Tabbing past the empty name already says it is needed.
    page.get_by_label("Uw naam").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#fout-naam")).to_have_text("Vul uw naam in.")
    veld = page.get_by_label("Uw e-mailadres")
    veld.fill("niet-goed@")
    veld.blur()
    expect(page.locator("#fout-email")).to_contain_text("Vul een geldig e-mailadres in")
    expect(page.get_by_label("Uw e-mailadres")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Uw e-mailadres").fill("goed@voorbeeld.nl")
    page.get_by_label("Uw e-mailadres").blur()
    expect(page.locator("#fout-email")).to_have_text("")
    expect(page.get_by_label("Uw e-mailadres")).not_to_have_attribute("aria-invalid", "true")


def tab_naar(page, selector, maximaal=60):
    """Press Tab until the element matching `selector` has the focus, as a keyboard user would."""
    for _ in range(maximaal):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is met Tab niet bereikbaar")


def test_the_public_wizard_with_the_keyboard_alone(browser_page, tmp_path):
    page = browser_page
    fmt = format_voor("VO", "niet-overstapper")
    page.goto("/leerlinglijst/")
    tab_naar(page, "#schoolsoort-VO")
    page.keyboard.press("Space")
    tab_naar(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Stap 2: Soort leerlingen")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Stap 2: Soort leerlingen – "))   # the tab and history follow the swap
    # After the swap the focus is on the new step's heading, so the next Tab continues from there.
    expect(page.locator("#stap-kop")).to_be_focused()
    tab_naar(page, "#soort-overstapper")  # Tab enters the radio group; the arrow keys choose in it
    page.keyboard.press("ArrowDown")
    expect(page.locator("#soort-niet-overstapper")).to_be_checked()
    tab_naar(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Stap 3: Format")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Stap 3: Format – "))   # the tab and history follow the swap
    tab_naar(page, "a.knop[href*='/opsturen']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Stap 4: Opsturen – "))   # the tab and history follow the swap
    tab_naar(page, "#instantie")
    page.keyboard.press("ArrowDown")
    tab_naar(page, "#naam")
    page.keyboard.type("Kees Toetsenbord")
    tab_naar(page, "#email")
    page.keyboard.type("kees@voorbeeld.nl")
    tab_naar(page, "#bestand")
    # Choosing a file opens the system dialog; the browser test hands the file over at that point.
    bestand = tmp_path / "lijst.xlsx"
    bestand.write_bytes(make_xlsx(fmt, leerlingen(fmt, 3, seed=99)))
    page.locator("#bestand").set_input_files(bestand)
    tab_naar(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Stap 5: Verwerken – "))
    assert Aanlevering.get().naam == "Kees Toetsenbord"


# -- step 4 as users meet it (#11) ------------------------------------------------------------------
STAP4 = "/leerlinglijst/opsturen?schoolsoort=VO&soort=niet-overstapper"


def goed_bestand(tmp_path, aantal=3, seed=41):
    fmt = format_voor("VO", "niet-overstapper")
    pad = tmp_path / "lijst.xlsx"
    pad.write_bytes(make_xlsx(fmt, leerlingen(fmt, aantal, seed=seed)))
    return pad


PLEK = "e => { const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }"


def klik_langzaam(page, locator, vasthouden_ms=500):
    """A real mouse click as a person gives it: press, hold half a second, release. Pressing moves
    the focus away from the field, so its inline check runs while the button is held."""
    locator.scroll_into_view_if_needed()
    vak = locator.bounding_box()
    page.mouse.move(vak["x"] + vak["width"] / 2, vak["y"] + vak["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(vasthouden_ms)
    page.mouse.up()


def test_opsturen_after_typing_in_each_field_is_never_lost(scherm_page, tmp_path):
    """#11.1 at 1280 and 390 px: after each field, a press on Opsturen; the check of the field
    just left must not move the button away between press and release."""
    page = scherm_page
    page.goto(STAP4)
    page.get_by_label("Instantie").select_option(label="Lyceum De Proeftuin, Amersfoort (99AB00)")
    page.get_by_label("Leerlingbestand").set_input_files(goed_bestand(tmp_path))
    knop = page.get_by_role("button", name="Opsturen")
    for label, waarde in (("Uw naam", "Nina Nieuw"), ("Uw e-mailadres", "nina@voorbeeld.nl"),
                          ("Toelichting", "Een aanvulling op de lijst van vorige week.")):
        page.get_by_label(label).click()
        page.keyboard.type(waarde)
        voor = knop.evaluate(PLEK)
        # Leave the field the way a user does (Tab), wait for its check: the button stays put.
        with page.expect_response(lambda r: "/opsturen/veld" in r.url):
            page.keyboard.press("Tab")
        page.wait_for_timeout(100)
        assert knop.evaluate(PLEK) == voor, label
    expect(page.locator(".veldfout:not(:empty)")).to_have_count(0)
    # Now the user types once more in the Toelichting and goes straight for the button.
    page.get_by_label("Toelichting").click()
    page.keyboard.type(" Graag verwerken.")
    klik_langzaam(page, knop)
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    aanlevering = Aanlevering.get()
    assert aanlevering.naam == "Nina Nieuw" and aanlevering.toelichting.endswith("Graag verwerken.")
    assert "/leerlinglijst/klaar/" in page.url


def test_a_field_check_leaves_the_address_bar_alone(browser_page):
    """#11.2: after a field check, Reload and Back show steps, never 405."""
    page = browser_page
    page.goto("/leerlinglijst/format?schoolsoort=VO&soort=niet-overstapper")
    page.get_by_role("link", name="Opsturen").click()
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()
    stap4 = page.url
    page.get_by_label("Uw naam").fill("Nina Nieuw")
    with page.expect_response(lambda r: "/opsturen/veld" in r.url):
        page.get_by_label("Uw naam").blur()
    zoek = page.locator("#zoek-instantie")
    if zoek.count():
        with page.expect_response(lambda r: "/instanties" in r.url):
            zoek.fill("proef")
    assert page.url == stap4
    page.reload()
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()
    page.get_by_label("Uw e-mailadres").fill("nina@")
    with page.expect_response(lambda r: "/opsturen/veld" in r.url):
        page.get_by_label("Uw e-mailadres").blur()
    page.go_back()
    expect(page.get_by_role("heading", name="Stap 3: Format")).to_be_visible()
    assert "Niet toegestaan" not in page.content()
    # Someone who has the check's address anyway (a bookmark): the step.
    page.goto("/leerlinglijst/opsturen/veld?schoolsoort=VO&soort=niet-overstapper")
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()


def test_the_error_summary_follows_the_fields(browser_page):
    """#11.9: the red summary is brought up to date when a field is corrected."""
    page = browser_page
    page.goto(STAP4)
    page.get_by_role("button", name="Opsturen").click()
    samenvatting = page.locator("#foutsamenvatting")
    expect(samenvatting).to_contain_text("Uw naam: Vul uw naam in.")
    expect(samenvatting).to_contain_text("Instantie: Kies uw instantie uit de lijst.")
    wacht_op_htmx(page)
    page.get_by_label("Instantie").select_option(label="Lyceum De Proeftuin, Amersfoort (99AB00)")
    expect(samenvatting).to_contain_text("Instantie: in orde")
    wacht_op_htmx(page)
    page.get_by_label("Uw naam").fill("Nina Nieuw")
    page.get_by_label("Uw naam").blur()
    expect(samenvatting).to_contain_text("Uw naam: in orde")
    expect(samenvatting).not_to_contain_text("Vul uw naam in")
    expect(samenvatting).to_contain_text("Uw e-mailadres: Vul uw e-mailadres in.")
    expect(page.locator("#rij-instantie")).not_to_have_class("veld veld--rij veld--fout")


def test_the_upload_bar_says_checking_after_100_percent(browser_page):
    page = browser_page
    page.goto(STAP4)
    label = page.locator("label[for=voortgang-bestand]")
    expect(label).to_have_text("Bestand wordt verstuurd…")
    stuur = """([loaded, total]) => document.querySelector('#bestand').dispatchEvent(new CustomEvent('htmx:xhr:progress',
               {bubbles: true, detail: {lengthComputable: true, loaded: loaded, total: total}}))"""
    page.evaluate(stuur, [40, 100])
    assert page.locator("#voortgang-bestand").evaluate("b => b.value") == 40
    page.evaluate(stuur, [100, 100])
    expect(label).to_have_text("Bestand wordt gecontroleerd…")
    # htmx then reports the answer's download from 0 again: the bar does not restart.
    page.evaluate(stuur, [3, 100])
    expect(label).to_have_text("Bestand wordt gecontroleerd…")
    assert page.locator("#voortgang-bestand").evaluate("b => b.hasAttribute('value')") is False


def lijst_met_een_fout(tmp_path):
    fmt = format_voor("VO", "niet-overstapper")
    rijen = leerlingen(fmt, 3, seed=43)
    rijen[1][titel(fmt, "bsn")] = "111222334"
    pad = tmp_path / "fout.xlsx"
    pad.write_bytes(make_xlsx(fmt, rijen))
    return pad


@pytest.mark.parametrize("javascript", [True, False], ids=["met-js", "zonder-js"])
def test_expired_check_another_list_and_sending_back_again(request, javascript, tmp_path, app):
    """#11.5, #11.6, #11.7 with and without JavaScript: an old check link explains itself; the
    next list keeps the answers; a list sent back opens step 4 filled in."""
    page = request.getfixturevalue("browser_page" if javascript else "page_zonder_js")
    page.goto(STAP4)
    page.get_by_label("Instantie").select_option(label="Lyceum De Proeftuin, Amersfoort (99AB00)")
    page.get_by_label("Uw naam").fill("Nina Nieuw")
    page.get_by_label("Uw e-mailadres").fill("nina@voorbeeld.nl")
    page.get_by_label("Leerlingbestand").set_input_files(lijst_met_een_fout(tmp_path))
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_text("De leerlinglijst is nog niet opgestuurd")).to_be_visible()
    controle = page.url
    # Fix and send: then the old check link is expired.
    page.get_by_label("Leerlingbestand").set_input_files(goed_bestand(tmp_path))
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    page.get_by_role("link", name="Nog een lijst opsturen").click()
    expect(page.get_by_role("heading", name="Stap 2: Soort leerlingen")).to_be_visible()
    page.get_by_label("Potentiële overstapper").check()
    page.get_by_role("button", name="Volgende").click()
    page.get_by_role("link", name="Opsturen").click()
    expect(page.get_by_label("Uw naam")).to_have_value("Nina Nieuw")
    expect(page.get_by_label("Uw e-mailadres")).to_have_value("nina@voorbeeld.nl")
    expect(page.get_by_label("Instantie")).to_have_value(str(Aanlevering.get().instantie_id))

    page.goto(controle)
    expect(page.get_by_text("Deze controle is verlopen; we bewaren een controle maximaal 3 uur")).to_have_count(1)
    page.get_by_role("link", name="Bestand opnieuw opsturen").click()
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()

    aanlevering = Aanlevering.get()
    Aanlevering.update(status="afgekeurd", reden="De klas ontbreekt.").where(Aanlevering.id == aanlevering.id).execute()
    page.goto(f"/leerlinglijst/status/{aanlevering.status_token}")
    page.get_by_role("link", name="Opnieuw opsturen").click()
    expect(page.get_by_role("heading", name="Stap 4: Opsturen")).to_be_visible()
    expect(page.get_by_text(f"U stuurt een verbeterde versie van lijst {aanlevering.kenmerk}")).to_be_visible()
    expect(page.get_by_label("Uw naam")).to_have_value("Nina Nieuw")
    page.get_by_label("Leerlingbestand").set_input_files(goed_bestand(tmp_path, seed=44))
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    assert Aanlevering.select().count() == 2


@pytest.mark.parametrize("javascript", [True, False], ids=["met-js", "zonder-js"])
def test_a_large_list_shows_progress_and_ends_on_its_result(request, javascript, app, tmp_path):
    """Above CONTROLE_INLINE_BYTES the check runs as a job: the waiting page says so and follows
    it (htmx polls a fragment; without JavaScript the page reloads itself) until the result."""
    from portal import controles
    page = request.getfixturevalue("browser_page" if javascript else "page_zonder_js")
    app.config["CONTROLE_INLINE_BYTES"] = 20_000
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 1000, seed=11)
    if javascript:
        rijen[500][titel(fmt, "bsn")] = "111222334"  # fails the 11-proef: ends on the result page
    bestand = tmp_path / "groot.xlsx"
    bestand.write_bytes(make_xlsx(fmt, rijen))
    page.goto("/leerlinglijst/opsturen?schoolsoort=VO&soort=overstapper")
    page.get_by_label("Instantie").select_option(index=1)
    page.get_by_label("Uw naam").fill("Gerda Groot")
    page.get_by_label("Uw e-mailadres").fill("gerda@voorbeeld.nl")
    page.get_by_label("Leerlingbestand").set_input_files(bestand)
    page.get_by_role("button", name="Opsturen").click()

    # No worker runs yet: the list waits, and the page shows that it is being followed.
    expect(page.get_by_text("Uw lijst wordt gecontroleerd")).to_be_visible()
    expect(page.locator("progress")).to_be_visible()
    expect(page.get_by_text("Uw lijst staat klaar om gecontroleerd te worden")).to_be_visible()
    assert "/leerlinglijst/controle/" in page.url
    page.wait_for_timeout(2500)  # a few polls (or reloads) while nothing has changed
    expect(page.get_by_text("Uw lijst wordt gecontroleerd")).to_be_visible()

    stop = threading.Event()
    worker = controles.start_worker(app, interval=0.2, stop=stop)
    try:
        if javascript:
            expect(page.get_by_text("De leerlinglijst is nog niet opgestuurd")).to_be_visible(timeout=30_000)
            expect(page.locator("table").last).to_contain_text("elfproef")
        else:
            expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible(timeout=30_000)
            expect(page.get_by_role("link", name="Nog een lijst opsturen")).to_be_visible()
            assert Aanlevering.get().aantal_leerlingen == 1000
    finally:
        stop.set()
        worker.join(5)
