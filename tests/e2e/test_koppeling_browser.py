"""Column mapping in a real browser (issue 13, point 4), with and without JavaScript: an export with
Magister-style titles is mapped, sent, and the next file with the same titles gets the confirmed
mapping proposed, filled in."""
import pytest
from playwright.sync_api import expect

from portal.models import Aanlevering
from tests.e2e.conftest import inloggen
from tests.e2e.test_axe import axe, axe_bron  # noqa: F401 - axe_bron is a fixture
from tests.test_koppeling import magister_export

pytestmark = pytest.mark.browser

STAP4 = "/opsturen?schoolsoort=VO&soort=overstapper"


def upload(page, tmp_path, basis, naam, data):
    pad = tmp_path / naam
    pad.write_bytes(data)
    page.goto(basis + STAP4)
    if basis == "/leerlinglijst":
        page.get_by_label("Instantie").select_option(label="Lyceum De Proeftuin, Amersfoort (99AB00)")
        page.get_by_label("Uw naam").fill("Bea Bezoeker")
        page.get_by_label("Uw e-mailadres").fill("bea@voorbeeld.nl")
    elif page.get_by_label("Instantie").locator("option").count() > 1:
        page.get_by_label("Instantie").select_option(index=1)      # the school's first instantie
    page.get_by_label("Leerlingbestand").set_input_files(pad)
    page.get_by_role("button", name="Opsturen").click()
    expect(page.get_by_role("heading", name="Kolommen koppelen")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["met-js", "zonder-js"])
@pytest.mark.parametrize("basis", ["/uploaden", "/leerlinglijst"], ids=["portal", "publiek"])
def test_map_a_magister_export_then_the_next_file_gets_it_filled_in(request, javascript, basis, tmp_path):
    page = request.getfixturevalue("browser_page" if javascript else "page_zonder_js")
    if basis == "/uploaden":
        inloggen(page, "vo")
    upload(page, tmp_path, basis, "magister.xlsx", magister_export(5))
    # The proposal: Magister's titles read as the format's columns; the extra column not used.
    expect(page.get_by_label("Roepnaam")).to_have_value("voornaam")
    expect(page.get_by_label("Stamnummer")).to_have_value("leerlingnummer")
    expect(page.get_by_label("Geb. datum")).to_have_value("geboortedatum")
    expect(page.get_by_label("Lesgroepen")).to_have_value("")
    expect(page.get_by_text("Alle verplichte kolommen van het format zijn gekoppeld.")).to_be_visible()

    # The user decides not to send the phone numbers (the choice this test expects to see again).
    page.get_by_label("Mobiel").select_option(label="Niet gebruiken")
    if javascript:
        # Unmapping a required column is said at once, in place; mapping it again clears it.
        page.get_by_label("Geb. datum").select_option(label="Niet gebruiken")
        expect(page.get_by_text("Deze verplichte kolom ontbreekt nog:")).to_be_visible()
        expect(page.get_by_role("heading", name="Kolommen koppelen")).to_be_visible()
        page.get_by_label("Geb. datum").select_option(value="geboortedatum")
        expect(page.get_by_text("Alle verplichte kolommen van het format zijn gekoppeld.")).to_be_visible()
    page.get_by_role("button", name="Koppeling bevestigen en controleren").click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    expect(page.get_by_text("Kolom 'Roepnaam' gelezen als 'Voornaam'")).to_be_visible()
    expect(page.get_by_text("Kolom 'Mobiel' genegeerd")).to_be_visible()
    assert Aanlevering.get().aantal_leerlingen == 5

    # Next week's export: the same titles, other students. The confirmed mapping is proposed.
    upload(page, tmp_path, basis, "magister-week2.xlsx", magister_export(3, seed=11))
    expect(page.get_by_text("Dit voorstel is de koppeling die u eerder bevestigde")).to_be_visible()
    expect(page.get_by_label("Mobiel")).to_have_value("")
    expect(page.get_by_label("Roepnaam")).to_have_value("voornaam")
    page.get_by_role("button", name="Koppeling bevestigen en controleren").click()
    expect(page.get_by_text("Leerlinglijst succesvol opgestuurd")).to_be_visible()
    assert Aanlevering.select().count() == 2


def test_the_mapping_step_and_its_result_pass_axe(browser_page, axe_bron, tmp_path):
    page = browser_page
    upload(page, tmp_path, "/leerlinglijst", "magister.xlsx", magister_export(3))
    page.get_by_label("Geb. datum").select_option(label="Niet gebruiken")      # the warning shown too
    expect(page.get_by_text("Deze verplichte kolom ontbreekt nog:")).to_be_visible()
    assert axe(page, axe_bron) == []
    page.get_by_label("Geb. datum").select_option(value="geboortedatum")
    page.get_by_role("button", name="Koppeling bevestigen en controleren").click()
    expect(page.get_by_text("Kolom 'Roepnaam' gelezen als 'Voornaam'")).to_be_visible()
    assert axe(page, axe_bron) == []
