"""Column mapping (issue 13, point 4): an export with a school administration system's titles is
mapped to the format, checked through the mapping, and the mapping is proposed again next time."""
import io
import json
import re

from openpyxl import load_workbook

from portal.lijsten import koppeling as kp
from portal.lijsten.formats import FORMATS, format_voor
from portal.lijsten.reader import read_sheet
from portal.lijsten.validate import check_bytes, check_sheet, titel_sleutel
from portal.models import Aanlevering, Controle, Instantie, Kolomkoppeling
from tests.builders import VANDAAG, leerlingen, make_xlsx
from tests.conftest import DEMO, csrf_token, do_login

FMT = format_voor("VO", "overstapper")
VO_OVER = "?schoolsoort=VO&soort=overstapper"
HX = {"HX-Request": "true"}

# An export as Magister writes it: its own titles (data of the test, not the format's), in its own
# order, with a column the format does not have.
MAGISTER = [("leerlingnummer", "Stamnummer"), ("achternaam", "Achternaam"), ("tussenvoegsel", "Tussenvoegsels"),
            ("voornaam", "Roepnaam"), ("voorletters", "Voorletters"), ("geslacht", "Geslacht"),
            ("geboortedatum", "Geb. datum"), ("bsn", "BSN"), ("postcode", "Postcode"), ("woonplaats", "Woonplaats"),
            ("telefoonnummer", "Mobiel"), ("email", "E-mail"), ("klas", "Stamklas"), ("leerjaar", "Leerjaar"),
            ("onderwijsniveau", "Niveau"), ("profiel_sector", "Profiel"), (None, "Lesgroepen")]


def magister_export(aantal=5, seed=3, fmt=FMT, wijzig=None):
    rijen = leerlingen(fmt, aantal, seed=seed)
    for i, veld, waarde in wijzig or ():
        rijen[i][fmt.kolom_voor_veld(veld).titel] = waarde
    lijsten = [[(r[fmt.kolom_voor_veld(veld).titel] if veld else "4a-ne") for veld, _ in MAGISTER] for r in rijen]
    return make_xlsx(fmt, lijsten, titels=[t for _, t in MAGISTER])


def titels():
    return list(enumerate(t for _, t in MAGISTER))


# -- the core: proposal, mapping, check --------------------------------------------------------
def test_magister_titles_are_proposed_as_the_formats_columns():
    voorstel = kp.voorstel(titels(), FMT)
    assert [(v.titel, v.veld) for v in voorstel] == [(t, veld) for veld, t in MAGISTER]
    bronnen = {v.titel: v.bron for v in voorstel}
    assert bronnen["Achternaam"] == "gelijk" and bronnen["Roepnaam"] == "synoniem" and bronnen["Lesgroepen"] is None


def test_a_title_only_similar_is_proposed_by_difflib_and_each_column_once():
    voorstel = kp.voorstel(list(enumerate(["Leerlingnumer", "Geboortedatumm", "Achternaam", "Familienaam"])), FMT)
    assert [(v.veld, v.bron) for v in voorstel] == [
        ("leerlingnummer", "lijkt"), ("geboortedatum", "lijkt"), ("achternaam", "gelijk"), (None, None)]


def test_a_remembered_mapping_comes_first_ignored_columns_included():
    onthouden = {titel_sleutel("Mobiel"): "", titel_sleutel("Lesgroepen"): "klas", titel_sleutel("Stamklas"): ""}
    voorstel = {v.titel: (v.veld, v.bron) for v in kp.voorstel(titels(), FMT, onthouden)}
    assert voorstel["Mobiel"] == (None, "onthouden")
    assert voorstel["Lesgroepen"] == ("klas", "onthouden")
    assert voorstel["Stamklas"] == (None, "onthouden")
    assert voorstel["Roepnaam"] == ("voornaam", "synoniem")


def test_synonyms_are_fields_of_the_formats_and_never_mean_two_columns_of_one_format():
    alle_velden = {v for f in FORMATS.values() for v in f.velden}
    assert set(kp.SYNONIEMEN) <= alle_velden
    for fmt in FORMATS.values():
        gezien = {}
        for veld in fmt.velden:
            for s in kp.SYNONIEMEN.get(veld, ()):
                assert gezien.setdefault(titel_sleutel(s), veld) == veld, (fmt.naam, s)


def test_export_read_through_the_mapping_checks_clean_with_the_same_students():
    data = magister_export(6)
    assert {b.code for b in check_bytes(data, FMT, vandaag=VANDAAG).fouten} & kp.KOPCODES
    koppeling = {v.positie: v.veld or "" for v in kp.voorstel(titels(), FMT)}
    resultaat = check_sheet(kp.pas_toe(read_sheet(data), FMT, koppeling), FMT, vandaag=VANDAAG)
    assert resultaat.ok, [(b.rij, b.kolom, b.code) for b in resultaat.fouten]
    verwacht = leerlingen(FMT, 6, seed=3)
    assert [r["voornaam"] for r in resultaat.leerlingen] == [r["Voornaam"] for r in verwacht]
    assert [r["geboortedatum"] for r in resultaat.leerlingen] == [r["Geboortedatum"] for r in verwacht]


def test_a_finding_through_the_mapping_names_the_row_and_letter_of_the_users_file():
    data = magister_export(4, wijzig=[(2, "geslacht", "Q")])
    koppeling = {v.positie: v.veld or "" for v in kp.voorstel(titels(), FMT)}
    resultaat = kp.check_met_koppeling(data, FMT, koppeling, vandaag=VANDAAG)
    assert [(b.rij, b.kolom, b.letter) for b in resultaat.fouten] == [(4, "Geslacht", "F")]


def test_an_ignored_column_is_not_checked_and_a_missing_required_one_is_named():
    data = magister_export(3)
    koppeling = {v.positie: v.veld or "" for v in kp.voorstel(titels(), FMT)}
    koppeling[4] = ""          # Voorletters ignored
    assert [k.titel for k in kp.ontbrekend(FMT, koppeling)] == [FMT.kolom_voor_veld("voorletters").titel]
    resultaat = kp.check_met_koppeling(data, FMT, koppeling, vandaag=VANDAAG)
    assert [(b.code, b.kolom) for b in resultaat.fouten] == [("header_missing", FMT.kolom_voor_veld("voorletters").titel)]


def test_a_field_chosen_twice_is_named_with_its_columns():
    assert kp.dubbel({0: "voornaam", 3: "voornaam", 4: "achternaam", 5: ""}) == {"voornaam": [0, 3]}


def test_mapping_is_needed_for_foreign_titles_not_for_another_format_or_titles_lower_down():
    assert kp.nodig(["header_unknown", "invalid_bsn"])
    assert not kp.nodig(["invalid_bsn"])
    assert not kp.nodig(["wrong_format", "header_unknown"])
    assert not kp.nodig(["header_not_in_first_row"])


def test_result_lines_say_which_columns_were_read_as_what():
    koppeling = {v.positie: v.veld or "" for v in kp.voorstel(titels(), FMT)}
    regels = kp.gelezen_als(kp.naar_json(titels(), koppeling), FMT)
    assert ("Roepnaam", FMT.kolom_voor_veld("voornaam").titel) in regels
    assert ("Lesgroepen", None) in regels
    assert not any(t == "Achternaam" for t, _ in regels)         # the same title: nothing to say


# -- the step in the wizard ---------------------------------------------------------------------
def post_file(client, url, data, token, bestandsnaam="magister.xlsx"):
    form = {"csrf_token": token, "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
            "naam": "Test Beheerder", "email": "beheerder@voorbeeld.nl", "toelichting": "",
            "bestand": (io.BytesIO(data), bestandsnaam)}
    return client.post(url, data=form, content_type="multipart/form-data")


def gekozen_in(html):
    """{select name: selected value} of the mapping form."""
    uit = {}
    for naam, opties in re.findall(r'<select id="[^"]+" name="(kolom-\d+)"[^>]*>(.*?)</select>', html, re.S):
        gekozen = re.search(r'<option value="([^"]*)" selected', opties)
        uit[naam] = gekozen.group(1) if gekozen else None
    return uit


def upload_export(client, basis, data=None):
    url = f"{basis}/opsturen{VO_OVER}"
    response = post_file(client, url, data or magister_export(), csrf_token(client, url))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def bevestig(client, koppelen_url, keuzes, **extra):
    html = client.get(koppelen_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(koppelen_url, data={"csrf_token": token, **keuzes, **extra})


def test_portal_export_goes_to_the_mapping_step_and_is_sent_once_confirmed(login, client):
    login("vo")
    locatie = upload_export(client, "/uploaden")
    assert "/koppelen" in locatie
    page = client.get(locatie)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kolommen koppelen" in html
    keuzes = gekozen_in(html)
    assert keuzes["kolom-3"] == "voornaam" and keuzes["kolom-0"] == "leerlingnummer" and keuzes["kolom-16"] == ""
    assert "Alle verplichte kolommen van het format zijn gekoppeld" in html
    response = bevestig(client, locatie, keuzes)
    assert response.status_code == 303 and "/klaar/" in response.headers["Location"]
    aanlevering = Aanlevering.get()
    assert aanlevering.aantal_leerlingen == 5
    assert json.loads(aanlevering.koppeling_json)[3] == [3, "Roepnaam", "voornaam"]
    klaar = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kolom 'Roepnaam' gelezen als 'Voornaam'" in klaar
    assert "Kolom 'Lesgroepen' genegeerd" in klaar
    assert Controle.select().count() == 0
    onthouden = Kolomkoppeling.get()
    assert onthouden.instantie.brin == "99AA" and onthouden.format == FMT.naam


def test_the_next_file_with_the_same_titles_gets_the_confirmed_mapping_filled_in(login, client, app):
    login("vo")
    eerste = upload_export(client, "/uploaden")
    keuzes = gekozen_in(client.get(eerste).get_data(as_text=True))
    keuzes["kolom-11"] = ""                 # the user does not send the e-mail column
    assert bevestig(client, eerste, keuzes).status_code == 303
    # Another week, another browser of the same school: the same titles, other students.
    ander = app.test_client()
    assert do_login(ander, DEMO["vo"]).status_code == 303
    volgende = upload_export(ander, "/uploaden", magister_export(4, seed=9))
    html = ander.get(volgende).get_data(as_text=True)
    assert "eerder bevestigde" in html
    assert gekozen_in(html) == keuzes


def test_public_site_remembers_the_mapping_in_this_browser_only(client, app):
    eerste = upload_export(client, "/leerlinglijst")
    keuzes = gekozen_in(client.get(eerste).get_data(as_text=True))
    keuzes["kolom-10"] = ""
    assert bevestig(client, eerste, keuzes).status_code == 303
    assert Kolomkoppeling.select().count() == 0          # a visitor does not change a school's proposal
    html = client.get(upload_export(client, "/leerlinglijst", magister_export(3, seed=5))).get_data(as_text=True)
    assert "eerder bevestigde" in html and gekozen_in(html) == keuzes
    ander = app.test_client()
    html = ander.get(upload_export(ander, "/leerlinglijst", magister_export(3, seed=5))).get_data(as_text=True)
    assert "eerder bevestigde" not in html and gekozen_in(html)["kolom-10"] == "telefoonnummer"


def test_a_column_chosen_twice_is_refused_with_422_and_nothing_is_sent(login, client):
    login("vo")
    locatie = upload_export(client, "/uploaden")
    keuzes = gekozen_in(client.get(locatie).get_data(as_text=True))
    keuzes["kolom-16"] = "voornaam"
    response = bevestig(client, locatie, keuzes)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "U koos Voornaam voor meer dan één kolom (D en Q)" in html
    assert gekozen_in(html)["kolom-16"] == "voornaam"        # the user's choices stay
    assert Aanlevering.select().count() == 0 and Kolomkoppeling.select().count() == 0


def test_a_mapped_file_with_errors_shows_them_at_the_users_letters_and_marks_them(login, client):
    login("vo")
    locatie = upload_export(client, "/uploaden", magister_export(4, wijzig=[(1, "geslacht", "Q")]))
    response = bevestig(client, locatie, gekozen_in(client.get(locatie).get_data(as_text=True)))
    assert response.status_code == 303 and "/controle/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<td>F3</td>" in html and "gelezen als" in html and "Koppeling aanpassen" in html
    token = response.headers["Location"].split("/controle/")[1].split("?")[0]
    gemarkeerd = client.get(f"/uploaden/controle/{token}/gemarkeerd.xlsx")
    blad = load_workbook(io.BytesIO(gemarkeerd.data))["Leerlingen"]
    assert blad["F3"].comment is not None and blad["D3"].comment is None
    # 'Koppeling aanpassen' opens the step with the mapping the check went through.
    assert gekozen_in(client.get(f"/uploaden/controle/{token}/koppelen").get_data(as_text=True))["kolom-3"] == "voornaam"


def test_a_changed_choice_swaps_in_the_state_only(login, client):
    login("vo")
    locatie = upload_export(client, "/uploaden")
    keuzes = gekozen_in(client.get(locatie).get_data(as_text=True))
    keuzes["kolom-6"] = ""                  # Geb. datum not used
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(locatie).get_data(as_text=True)).group(1)
    response = client.post(locatie, data={**keuzes, "_tonen": "1"}, headers={**HX, "X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "<select" not in body
    assert body.lstrip().startswith('<div id="koppeling-stand"')
    assert "Deze verplichte kolom ontbreekt nog:</strong>\n      Geboortedatum." in body
    assert Aanlevering.select().count() == 0


def test_another_browser_cannot_open_the_mapping_step(login, client, app):
    login("vo")
    locatie = upload_export(client, "/uploaden")
    vreemde = app.test_client()
    assert vreemde.get(locatie.replace("/uploaden", "/leerlinglijst")).status_code == 410


def test_the_upload_field_names_the_new_file_types(client):
    html = client.get(f"/leerlinglijst/opsturen{VO_OVER}").get_data(as_text=True)
    assert 'accept=".xlsx,.xls,.ods,.csv' in html and ".xls-, .ods- of .csv-bestand" in html


def test_step_10_adds_the_mapping_table_and_columns_to_a_version_6_database(app):
    from portal import migrations
    from portal.extensions import db
    from portal.models import SchemaVersie
    database = db.database
    database.drop_tables([Kolomkoppeling])
    for tabel in ("controle", "aanlevering"):
        database.execute_sql(f"ALTER TABLE {tabel} DROP COLUMN koppeling_json")
    SchemaVersie.update(versie=6).execute()
    assert migrations.upgrade(database) == (6, migrations.LAATSTE)
    assert database.table_exists("kolomkoppeling")
    for tabel in ("controle", "aanlevering"):
        assert "koppeling_json" in {c.name for c in database.get_columns(tabel)}
    assert migrations.upgrade(database) == (migrations.LAATSTE, migrations.LAATSTE)


def test_help_explains_mapping_and_the_file_types(client):
    html = client.get("/leerlinglijst/hulp/aanleveren").get_data(as_text=True)
    assert "Kolommen koppelen" in html and "Magister" in html and "Niet gebruiken" in html
    assert ".xls" in html and ".ods" in html
