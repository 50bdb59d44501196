"""The upload wizard in the portal and on the public site: steps, fragments, results, mail."""
import csv
import io
import json
import random
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from portal import controles, mail
from portal.lijsten.formats import format_voor
from portal.lijsten.reader import kolomletter
from portal.models import Aanlevering, Controle, Instantie, Leerling, MailBericht
from tests.builders import leerling, leerlingen, make_csv, make_xlsx, titel
from tests.conftest import csrf_from, csrf_token

VO_OVER = "?schoolsoort=VO&soort=overstapper"
HX = {"HX-Request": "true"}


def post_file(client, url, data, token, bestandsnaam="leerlingen.xlsx", **velden):
    form = {"csrf_token": token, "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
            "naam": "Test Beheerder", "email": "beheerder@voorbeeld.nl", "toelichting": "", **velden}
    if data is not None:
        form["bestand"] = (io.BytesIO(data), bestandsnaam)
    return client.post(url, data=form, content_type="multipart/form-data")


def goede_lijst(aantal=5, seed=3, **overrides):
    fmt = format_voor("VO", "overstapper")
    return make_xlsx(fmt, leerlingen(fmt, aantal, seed=seed, **overrides))


def lijst_met_fouten():
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 4, seed=7)
    rijen[1][titel(fmt, "bsn")] = "123456788"          # rij 3: elfproef
    rijen[2][titel(fmt, "geboortedatum")] = "31-02-2011"  # rij 4: no such date
    return make_xlsx(fmt, rijen)


# -- steps as pages and as fragments ------------------------------------------------------------
@pytest.mark.parametrize("path", ["/uploaden/", "/uploaden/soort" + VO_OVER, "/uploaden/format" + VO_OVER,
                                  "/uploaden/opsturen" + VO_OVER])
def test_each_step_is_a_page_and_a_fragment(login, client, path):
    login("vo")
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and 'id="wizard"' in html
    fragment = client.get(path, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<section id="wizard"')
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.headers["Cache-Control"] == "no-store"


def test_step_names_and_choices_are_visible(login, client):
    login("vo")
    html = client.get("/uploaden/soort?schoolsoort=VO").get_data(as_text=True)
    for naam in ("Schoolsoort", "Soort leerlingen", "Format", "Opsturen", "Verwerken"):
        assert naam in html
    assert "Potentiële overstapper" in html and "Niet-overstapper" in html
    assert '<label for="soort-overstapper">' in html


def test_beheerder_schoolsoort_is_prefilled_from_the_role(login, client):
    login("mbo")
    html = client.get("/uploaden/").get_data(as_text=True)
    assert re.search(r'id="schoolsoort-MBO"[^>]*checked', html)
    assert re.search(r'id="schoolsoort-VO"[^>]*disabled', html)
    # An MBO beheerder cannot choose VO through the address bar either.
    html = client.get("/uploaden/format?schoolsoort=VO&soort=overstapper").get_data(as_text=True)
    assert "MBO-overstapper" in html and "VO-overstapper" not in html


def test_plain_post_moves_to_the_next_step_with_303(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/")
    response = client.post("/uploaden/", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/uploaden/soort?schoolsoort=VO"
    response = client.post("/uploaden/soort?schoolsoort=VO", data={"csrf_token": token, "soort": "niet-overstapper"})
    assert response.headers["Location"] == "/uploaden/format?schoolsoort=VO&soort=niet-overstapper"


def test_missing_choice_is_422_and_swapped(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/")
    response = client.post("/uploaden/soort?schoolsoort=VO", data={"csrf_token": token}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Kies Potentiële overstapper of Niet-overstapper." in body and "<html" not in body


def test_step_three_downloads_the_template_of_the_choices(login, client):
    login("vo")
    html = client.get("/uploaden/format?schoolsoort=VO&soort=niet-overstapper").get_data(as_text=True)
    link = re.search(r'href="([^"]+\.xlsx)"[^>]*>Download<', html).group(1)
    response = client.get(link)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    werkboek = load_workbook(io.BytesIO(response.data))
    titels = [c.value for c in werkboek["Leerlingen"][1]]
    assert titels == [k.titel for k in format_voor("VO", "niet-overstapper").kolommen]


def test_step_four_shows_the_fields_and_prefills_the_account(login, client):
    login("vo")
    html = client.get("/uploaden/opsturen" + VO_OVER).get_data(as_text=True)
    for label in ("Instantie", "Uw naam", "Uw e-mailadres", "Toelichting", "Leerlingbestand"):
        assert re.search(rf'<label for="[a-z]+">{label}', html), label
    assert "Alle velden met * zijn verplicht" in html
    assert 'value="Vera Oosterhout (demo)"' in html and 'value="vo@demo.nl"' in html
    assert "Voorbeeldcollege" in html and "ROC Voorbeeldstad" not in html  # only the user's own VO schools
    assert "2026-2027" in html or "schooljaar" in html


def test_missing_fields_are_422_with_every_message(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, None, token, naam="", email="geen-adres")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Vul uw naam in." in html
    assert "Vul een geldig e-mailadres in" in html
    assert "Kies een bestand om te uploaden." in html
    assert Aanlevering.select().count() == 0


def rij_van(html, veld):
    return re.search(r'<div class="veld[^"]*" id="rij-%s">.*?</div>' % veld, html, re.S).group(0)


def test_inline_validation_returns_that_fields_row_exactly_as_the_page_has_it(login, client):
    """The check's answer may differ from the page's row only by the error: same hint, same
    attributes, and an error line that is there (empty) before, so nothing below it moves."""
    login("vo")
    page = client.get("/uploaden/opsturen" + VO_OVER).get_data(as_text=True)
    token = csrf_from(page)
    for veld, goed in (("naam", "Vera Oosterhout (demo)"), ("email", "vo@demo.nl"), ("toelichting", "")):
        response = client.post("/uploaden/opsturen/veld" + VO_OVER, data={"_veld": veld, veld: goed},
                               headers={**HX, "X-CSRFToken": token})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "<html" not in body and body.strip().startswith(f'<div class="veld veld--rij" id="rij-{veld}">')
        assert body.strip() == rij_van(page, veld), veld
        assert f'<p class="veldfout" id="fout-{veld}"></p>' in body
    assert '<p class="hint" id="hint-email">U ontvangt hierop een bevestiging' in page
    fout = client.post("/uploaden/opsturen/veld" + VO_OVER, data={"_veld": "email", "email": "fout@"},
                       headers={**HX, "X-CSRFToken": token}).get_data(as_text=True)
    assert 'class="veld veld--rij veld--fout" id="rij-email"' in fout and 'aria-invalid="true"' in fout
    assert '<p class="veldfout" id="fout-email">Vul een geldig e-mailadres in' in fout
    assert '<p class="hint" id="hint-email">U ontvangt hierop een bevestiging' in fout
    # The file is never validated inline.
    assert client.post("/uploaden/opsturen/veld" + VO_OVER, data={"_veld": "bestand"},
                       headers={**HX, "X-CSRFToken": token}).status_code == 404


def test_a_field_check_never_changes_the_url_and_a_get_goes_back_to_the_step(login, client):
    login("vo")
    page = client.get("/uploaden/opsturen" + VO_OVER).get_data(as_text=True)
    form = re.search(r"<form [^>]*hx-post[^>]*>", page).group(0)
    # The step form's own hx-* attributes (push-url, disabled-elt, indicator) are not inherited.
    assert 'hx-disinherit="*"' in form and 'hx-push-url="true"' in form
    for veld in ("instantie", "naam", "email", "toelichting"):
        invoer = re.search(r'<(?:input|select|textarea)[^>]*id="%s"[^>]*>' % veld, page).group(0)
        assert 'hx-push-url="false"' in invoer and 'hx-post="/uploaden/opsturen/veld' in invoer, veld
    # Reload or Back onto the check's URL: the step, not "Niet toegestaan".
    response = client.get("/uploaden/opsturen/veld" + VO_OVER)
    assert response.status_code == 303 and response.headers["Location"] == "/uploaden/opsturen" + VO_OVER
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_error_summary_follows_the_corrected_fields(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    page = post_file(client, "/uploaden/opsturen" + VO_OVER, None, token, naam="", email="fout@").get_data(as_text=True)
    samenvatting = re.search(r'<div id="foutsamenvatting">.*?</ul>', page, re.S).group(0)
    assert "Uw naam: Vul uw naam in." in samenvatting and "Uw e-mailadres: Vul een geldig" in samenvatting
    assert "Leerlingbestand: Kies het bestand opnieuw" in samenvatting
    marker = dict(re.findall(r'name="(_samenvatting)" value="([^"]+)"', page))
    assert marker == {"_samenvatting": "naam,email,bestand"}
    velden = {"csrf_token": token, "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
              "naam": "Vera Beheerder", "email": "fout@", "toelichting": "", **marker}
    body = client.post("/uploaden/opsturen/veld" + VO_OVER, data={**velden, "_veld": "naam"}, headers=HX).get_data(as_text=True)
    oob = re.search(r'<div id="foutsamenvatting" hx-swap-oob="true">.*', body, re.S).group(0)
    assert "Vul uw naam in" not in oob and "Uw naam: in orde" in oob and "Uw e-mailadres: Vul een geldig" in oob
    body = client.post("/uploaden/opsturen/veld" + VO_OVER, data={**velden, "email": "vera@voorbeeld.nl", "_veld": "email"},
                       headers=HX).get_data(as_text=True)
    oob = re.search(r'<div id="foutsamenvatting" hx-swap-oob="true">.*', body, re.S).group(0)
    assert "Uw naam: in orde" in oob and "Uw e-mailadres: in orde" in oob and "Vul een geldig" not in oob
    # Without a summary on the page, a field check sends none.
    assert "foutsamenvatting" not in client.post("/uploaden/opsturen/veld" + VO_OVER, headers=HX,
                                                 data={"_veld": "naam", "naam": "x", "csrf_token": token}).get_data(as_text=True)


def test_the_seeds_texts_on_step_three_and_four(login, client):
    login("vo")
    stap3 = client.get("/uploaden/format" + VO_OVER).get_data(as_text=True)
    assert "Heeft u het bestand aangevuld? Klik dan op Opsturen" in stap3
    assert re.search(r'<a class="knop" href="/uploaden/opsturen\?[^"]*"[^>]*>Opsturen</a>', stap3)
    stap4 = client.get("/uploaden/opsturen" + VO_OVER).get_data(as_text=True)
    assert ("Vul de onderstaande informatie in en selecteer het bestand. Vervolgens zal worden gecontroleerd "
            "of de gegevens correct zijn aangeleverd en kunnen worden verwerkt.") in stap4


def test_a_logged_in_school_is_never_rate_limited_and_the_public_site_is(app, login, client):
    """25 lists in an hour is a normal September afternoon for a school (#10.7); the public site
    keeps its own limit per visitor, not shared with the portal."""
    app.config["PUBLIC_UPLOAD_LIMIT"] = "20 per hour"
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    statuses = [post_file(client, "/uploaden/opsturen" + VO_OVER, goede_lijst(2, seed=100 + i), token).status_code
                for i in range(25)]
    assert statuses == [303] * 25
    assert Aanlevering.select().where(Aanlevering.kanaal == "portal").count() == 25
    bezoeker = app.test_client()
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(bezoeker, url)
    publiek = [post_file(bezoeker, url, None, token).status_code for _ in range(21)]
    assert publiek == [422] * 20 + [429]


# -- step 5 ------------------------------------------------------------------------------------
def test_a_file_with_errors_lists_every_error_with_its_cell(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst_met_fouten(), token)
    assert response.status_code == 303 and "/uploaden/controle/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De leerlinglijst is nog niet opgestuurd" in html
    assert "2 fouten" in html
    fmt = format_voor("VO", "overstapper")
    bsn_letter = kolomletter([k.veld for k in fmt.kolommen].index("bsn"))
    assert f"<td>{bsn_letter}3</td>" in html and "elfproef" in html
    assert "31-02-2011" in html
    assert Aanlevering.select().count() == 0
    # The corrected upload keeps the earlier answers.
    assert 'type="hidden" name="naam" value="Test Beheerder"' in html
    assert 'type="hidden" name="email" value="beheerder@voorbeeld.nl"' in html


def test_a_corrected_upload_succeeds_and_removes_the_earlier_attempt(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst_met_fouten(), token).headers["Location"]
    assert Controle.select().count() == 1
    html = client.get(location).get_data(as_text=True)
    velden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', html))
    response = client.post("/uploaden/opsturen" + VO_OVER, content_type="multipart/form-data", data={
        **velden, "bestand": (io.BytesIO(goede_lijst(4)), "verbeterd.xlsx")})
    assert "/uploaden/klaar/" in response.headers["Location"]
    assert Aanlevering.get().bestandsnaam == "verbeterd.xlsx" and Aanlevering.get().naam == "Test Beheerder"
    assert Controle.select().count() == 0
    verlopen = client.get(location)
    assert verlopen.status_code == 410 and "Deze controle is verlopen" in verlopen.get_data(as_text=True)


def test_the_marked_up_workbook_can_be_downloaded(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst_met_fouten(), token).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    link = re.search(r'href="([^"]+gemarkeerd\.xlsx)"', html).group(1)
    response = client.get(link)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    werkboek = load_workbook(io.BytesIO(response.data))
    assert "Bevindingen" in werkboek.sheetnames
    assert any("elfproef" in str(c.value) for rij in werkboek["Bevindingen"].iter_rows() for c in rij)


@pytest.mark.parametrize("quoting, encoding", [(csv.QUOTE_MINIMAL, "utf-8-sig"), (csv.QUOTE_ALL, "cp1252")])
def test_a_csv_export_is_checked_and_stored_like_a_workbook(login, client, quoting, encoding):
    """As Excel writes it (quoted where needed, UTF-8 with BOM) and as some administrations do
    (every field quoted, Windows-1252): the same list is stored with the same clean rows."""
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 6, seed=5)
    rijen[0][titel(fmt, "achternaam")] = "Çelik"
    rijen[1][titel(fmt, "mentor")] = 'J. "Joop" de Vries; coördinator'      # a quote and a separator
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    data = make_csv(fmt, rijen, encoding=encoding, quoting=quoting)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, data, token, bestandsnaam="leerlingen.csv")
    assert response.status_code == 303 and "/uploaden/klaar/" in response.headers["Location"], response.headers
    opgeslagen = json.loads(Aanlevering.get().leerlingen_json)
    assert [r["rij"] for r in opgeslagen] == [2, 3, 4, 5, 6, 7]
    assert opgeslagen[0]["achternaam"] == "Çelik" and opgeslagen[1]["mentor"] == 'J. "Joop" de Vries; coördinator'
    assert [r["bsn"] for r in opgeslagen] == [r[titel(fmt, "bsn")] or None for r in rijen]


def test_a_csv_with_errors_gives_its_cells_and_a_marked_up_workbook(login, client):
    login("vo")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 4, seed=7)
    rijen[1][titel(fmt, "bsn")] = "123456788"
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, make_csv(fmt, rijen), token,
                         bestandsnaam="leerlingen.csv").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    bsn_letter = kolomletter([k.veld for k in fmt.kolommen].index("bsn"))
    assert re.search(r"\b1 fout\b", html) and f"<td>{bsn_letter}3</td>" in html and "elfproef" in html
    werkboek = load_workbook(io.BytesIO(client.get(re.search(r'href="([^"]+gemarkeerd\.xlsx)"', html).group(1)).data))
    assert werkboek["Leerlingen"][f"{bsn_letter}3"].comment is not None
    assert Aanlevering.select().count() == 0


def test_all_findings_are_listed_in_sheet_order_row_by_row_then_column(login, client):
    """The stored findings are grouped per code; the table of all findings puts them back in the
    sheet's order: by row, and within a row from left to right."""
    login("vo")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 4, seed=5)
    rijen[0][titel(fmt, "geslacht")] = "Q"                     # row 2: Geslacht
    rijen[1][titel(fmt, "geslacht")] = "Q"                     # row 3: Geslacht and BSN
    rijen[1][titel(fmt, "bsn")] = "123456788"
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, make_csv(fmt, rijen), token,
                         bestandsnaam="leerlingen.csv").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    tabel = html[html.index('id="bevindingen-kop"'):]
    letter = {veld: kolomletter([k.veld for k in fmt.kolommen].index(veld)) for veld in ("bsn", "geslacht")}
    cellen = re.findall(r"<td>([A-Z]+[0-9]+)</td>", tabel)
    assert cellen == [f"{letter['geslacht']}2", f"{letter['bsn']}3", f"{letter['geslacht']}3"]


def test_many_findings_are_grouped_with_exact_counts_and_paged(login, client):
    login("vo")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 230, seed=11)
    for rij in rijen:
        rij[titel(fmt, "geslacht")] = "Q"
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, make_xlsx(fmt, rijen), token).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "230 fouten" in html
    samenvatting = html[html.index('id="samenvatting"'):html.index('id="bevindingen-kop"')]
    assert samenvatting.count('class="bevindingengroep"') == 1 and '<strong class="aantal">230 ×</strong>' in samenvatting
    assert "De eerste 5 van 230" in samenvatting and samenvatting.count('<li><span class="cel">') == 5
    # The stored findings are bounded per code; the count stays exact.
    opgeslagen = json.loads(Controle.get().fouten_json)
    assert len(opgeslagen) == 100 and {b["totaal"] for b in opgeslagen} == {230}
    assert [b["row"] for b in opgeslagen] == list(range(2, 102))   # the first hundred, in sheet order
    # "Alle bevindingen" is paged: 50 per page, the stored hundred over two pages.
    assert html.count('class="rij--fout"') == 50 and "Pagina 1 van 2" in html
    assert "Alle 230 staan in het gemarkeerde bestand" in html
    volgende = re.search(r'href="([^"]+)#bevindingen-kop">Volgende pagina', html).group(1).replace("&amp;", "&")
    assert client.get(volgende).get_data(as_text=True).count('class="rij--fout"') == 50


def test_an_error_in_every_row_of_50000_keeps_the_result_page_small(app, login, client):
    """#10.3/#11.4: 50,000 rows, each with a wrong BSN: the totals are exact, the page under 1 MB."""
    login("vo")
    fmt = format_voor("VO", "overstapper")
    basis = leerlingen(fmt, 1, seed=5)[0]
    rijen = [{**basis, titel(fmt, "leerlingnummer"): str(100000 + i), titel(fmt, "bsn"): "123456788"} for i in range(50_000)]
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, make_csv(fmt, rijen), token, bestandsnaam="groot.csv")
    assert response.status_code == 303
    # A list this large is checked as a job: a waiting page first, the result once a worker ran it.
    wachten = client.get(response.headers["Location"])
    assert wachten.status_code == 200 and "Uw lijst wordt gecontroleerd" in wachten.get_data(as_text=True)
    with app.app_context():
        assert controles.verwerk_wachtende() == 1
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert len(page.data) < 1_000_000, len(page.data)
    assert "50.000 fouten" in html and '<strong class="aantal">50.000 ×</strong>' in html
    controle = Controle.get()
    assert len(controle.fouten_json) + len(controle.waarschuwingen_json) < 200_000


def test_another_session_or_an_expired_check_gets_a_clear_page(app, login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst_met_fouten(), token).headers["Location"]
    ander = app.test_client()
    from tests.conftest import do_login
    do_login(ander, "vo@demo.nl")
    gemarkeerd = location.split("?")[0] + "/gemarkeerd.xlsx"
    for response in (ander.get(location), ander.get(gemarkeerd)):
        html = response.get_data(as_text=True)
        assert response.status_code == 410
        assert html.count("Deze controle is verlopen") == 1 and "maximaal 3 uur" in html
        assert "Pagina niet gevonden" not in html
    # Older than three hours in the browser that made it: the same page, with the way back to step 4.
    controle = Controle.get()
    Controle.update(aangemaakt=controle.aangemaakt - timedelta(hours=4)).where(Controle.id == controle.id).execute()
    html = client.get(location).get_data(as_text=True)
    assert "Deze controle is verlopen" in html
    assert 'href="/uploaden/opsturen?schoolsoort=VO&amp;soort=overstapper">Bestand opnieuw opsturen' in html


def test_another_list_keeps_the_answers_and_offers_the_other_soort(client):
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    klaar = client.get(post_file(client, url, goede_lijst(2), token, naam="Bea Bezoeker",
                                 email="bea@voorbeeld.nl").headers["Location"]).get_data(as_text=True)
    assert re.search(r'href="/leerlinglijst/soort\?schoolsoort=VO"[^>]*>Nog een lijst opsturen', klaar)
    ander = re.search(r'href="([^"]+)"[^>]*>Ook de niet-overstappers opsturen', klaar).group(1).replace("&amp;", "&")
    assert ander == "/leerlinglijst/format?schoolsoort=VO&soort=niet-overstapper"
    stap4 = client.get("/leerlinglijst/opsturen?schoolsoort=VO&soort=niet-overstapper").get_data(as_text=True)
    assert 'value="Bea Bezoeker"' in stap4 and 'value="bea@voorbeeld.nl"' in stap4
    gekozen = Instantie.get(Instantie.brin == "99AA").id
    assert re.search(r'<option selected value="%d"|<option value="%d" selected' % (gekozen, gekozen), stap4)


def test_a_good_file_is_stored_confirmed_and_mailed(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, goede_lijst(5), token, toelichting="Eerste lijst")
    assert response.status_code == 303 and "/uploaden/klaar/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Leerlinglijst succesvol opgestuurd" in html and "Nog een lijst opsturen" in html
    aanlevering = Aanlevering.get()
    assert aanlevering.kenmerk in html
    assert (aanlevering.status, aanlevering.kanaal, aanlevering.schoolsoort, aanlevering.soort) == ("ingediend", "portal", "VO", "overstapper")
    assert aanlevering.aantal_leerlingen == 5 and aanlevering.toelichting == "Eerste lijst"
    assert aanlevering.gebruiker.email == "vo@demo.nl" and aanlevering.instantie.brin == "99AA"
    assert len(aanlevering.sha256) == 64 and aanlevering.bestand
    assert re.fullmatch(r"\d{4}-\d{4}", aanlevering.schooljaar)
    rijen = json.loads(aanlevering.leerlingen_json)
    assert len(rijen) == 5 and rijen[0]["rij"] == 2 and re.fullmatch(r"\d{4}-\d\d-\d\d", rijen[0]["geboortedatum"])
    assert Leerling.select().count() == 0  # students appear only after the helpdesk loads the list
    mails = {m.aan: m for m in MailBericht.select()}
    assert set(mails) == {"beheerder@voorbeeld.nl", "helpdesk-team@voorbeeld.nl"}
    bevestiging = mails["beheerder@voorbeeld.nl"]
    assert aanlevering.kenmerk in bevestiging.onderwerp and "helpdesk controleert" in bevestiging.tekst
    for rij in rijen:  # no student data in any mail
        for m in mails.values():
            assert rij["bsn"] not in m.tekst + m.html and rij["achternaam"] not in m.tekst + m.html


def test_the_same_file_again_gives_the_duplicate_warning(login, client):
    login("vo")
    lijst = goede_lijst(3)
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    eerste = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst, token)
    kenmerk = eerste.headers["Location"].split("/klaar/")[1].split("?")[0]
    tweede = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst, token)
    html = client.get(tweede.headers["Location"]).get_data(as_text=True)
    assert "Dit bestand is al eerder opgestuurd" in html and kenmerk in html
    assert "duplicate_submission" in Aanlevering.select().order_by(Aanlevering.id.desc()).get().waarschuwingen_json


def test_someone_else_cannot_see_the_success_page_of_another_school(app, login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, goede_lijst(2), token).headers["Location"]
    ander = app.test_client()
    from tests.conftest import do_login
    do_login(ander, "mbo@demo.nl")
    assert ander.get(location.replace("schoolsoort=VO", "schoolsoort=MBO")).status_code == 404


# -- the public site ----------------------------------------------------------------------------
def test_public_site_is_the_same_wizard_without_login(client):
    html = client.get("/leerlinglijst/").get_data(as_text=True)
    assert "Stap 1: Schoolsoort" in html
    assert 'id="schoolsoort-VO"' in html and not re.search(r'id="schoolsoort-\w+"[^>]*disabled', html)
    token = csrf_from(html)
    response = client.post("/leerlinglijst/", data={"csrf_token": token, "schoolsoort": "MBO"})
    assert response.headers["Location"] == "/leerlinglijst/soort?schoolsoort=MBO"
    html = client.get("/leerlinglijst/opsturen?schoolsoort=MBO&soort=overstapper").get_data(as_text=True)
    assert "ROC Voorbeeldstad" in html and "Voorbeeldcollege" not in html  # active MBO instanties only
    assert 'value="Vera' not in html  # nothing prefilled for visitors


def test_public_instantie_search_filters_the_options(client):
    response = client.get("/leerlinglijst/instanties?schoolsoort=VO&soort=overstapper&zoek=proef", headers=HX)
    body = response.get_data(as_text=True)
    assert "Lyceum De Proeftuin" in body and "Voorbeeldcollege" not in body and "<html" not in body


def test_public_upload_end_to_end_and_status_only_for_this_browser(app, client):
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    response = post_file(client, url, goede_lijst(4), token, naam="Bezoeker", email="bezoeker@voorbeeld.nl")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Leerlinglijst succesvol opgestuurd" in html
    aanlevering = Aanlevering.get()
    assert aanlevering.kanaal == "publiek" and aanlevering.gebruiker is None
    assert app.test_client().get(response.headers["Location"]).status_code == 404


def test_public_honeypot_stores_nothing(client):
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    response = post_file(client, url, goede_lijst(2), token, website="http://spam.example")
    assert response.status_code == 303
    assert Aanlevering.select().count() == 0 and MailBericht.select().count() == 0


def test_public_uploads_are_rate_limited(app, client):
    app.config["PUBLIC_UPLOAD_LIMIT"] = "2 per hour"
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    statuses = [post_file(client, url, None, token).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_confirmation_mails_are_capped_per_recipient(app, client):
    app.config["MAIL_PER_RECIPIENT_PER_DAY"] = 2
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    for seed in range(3):
        post_file(client, url, goede_lijst(2, seed=seed + 20), token, email="doelwit@voorbeeld.nl")
    assert Aanlevering.select().count() == 3
    assert MailBericht.select().where(MailBericht.aan == "doelwit@voorbeeld.nl").count() == 2


def test_a_visitor_does_not_learn_which_students_a_school_has(app, client):
    fmt = format_voor("VO", "overstapper")
    rij = leerling(fmt, random.Random(5))
    instantie = Instantie.get(Instantie.brin == "99AA")
    Leerling.create(instantie=instantie, type="overstapper", schooljaar="2026-2027",
                    leerlingnummer=rij[titel(fmt, "leerlingnummer")], voorletters="A.", voornaam="Al",
                    achternaam="Bekend", geslacht="M", geboortedatum="2010-01-01")
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_token(client, url)
    location = post_file(client, url, make_xlsx(fmt, [rij]), token).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "al bekend" not in html
    aanlevering = Aanlevering.get()
    assert "already_registered" not in aanlevering.waarschuwingen_json
    # Not on the status page or in the mail either; the helpdesk sees it in its comparison.
    bevestiging = MailBericht.get(MailBericht.aan == "beheerder@voorbeeld.nl")
    assert "Waarschuwingen:   0" in bevestiging.tekst
    status = app.test_client().get(f"/leerlinglijst/status/{aanlevering.status_token}").get_data(as_text=True)
    assert "al bekend" not in status
    from portal.vergelijking import vergelijk
    assert [r["leerlingnummer"] for r, _ in vergelijk(aanlevering).gewijzigd] == [rij[titel(fmt, "leerlingnummer")]]


def test_a_visitor_does_not_learn_about_earlier_submissions(app, login, client):
    login("vo")
    lijst = goede_lijst(3)
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    post_file(client, "/uploaden/opsturen" + VO_OVER, lijst, token)
    bezoeker = app.test_client()
    url = "/leerlinglijst/opsturen" + VO_OVER
    location = post_file(bezoeker, url, lijst, csrf_token(bezoeker, url)).headers["Location"]
    assert "eerder opgestuurd" not in bezoeker.get(location).get_data(as_text=True)
    # The helpdesk does see that the same file came in twice.
    assert "duplicate_submission" in Aanlevering.select().order_by(Aanlevering.id.desc()).get().waarschuwingen_json


@pytest.mark.parametrize("keuze", ["", "0", "99999999999999999999", "abc"])
def test_no_instantie_chosen_is_a_message_not_an_error(client, keuze):
    url = "/leerlinglijst/opsturen" + VO_OVER
    response = post_file(client, url, goede_lijst(2), csrf_token(client, url), instantie=keuze)
    assert response.status_code == 422
    assert "Kies uw instantie uit de lijst." in response.get_data(as_text=True)
    assert Aanlevering.select().count() == 0


def test_a_long_name_on_the_public_site_is_stored(client):
    url = "/leerlinglijst/opsturen" + VO_OVER
    response = post_file(client, url, goede_lijst(2), csrf_token(client, url), naam="Bezoeker " + "x" * 190,
                         email="een.heel.lang.adres.van.een.schoolmedewerker@voorbeeldschool-met-lange-naam.nl")
    assert response.status_code == 303
    assert Aanlevering.select().count() == 1


def test_changing_an_answer_from_the_result_page_keeps_the_others(login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    location = post_file(client, "/uploaden/opsturen" + VO_OVER, lijst_met_fouten(), token,
                         toelichting="Tweede poging").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Iets anders wijzigen', html).group(1).replace("&amp;", "&")
    stap4 = client.get(link).get_data(as_text=True)
    assert 'value="Test Beheerder"' in stap4 and 'value="beheerder@voorbeeld.nl"' in stap4
    assert "Tweede poging</textarea>" in stap4


# -- mail -----------------------------------------------------------------------------------------
def test_mail_waits_while_smtp_is_down_and_arrives_once(app, login, client, smtp_server):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    state = app.extensions["mail"]  # Flask-Mail read its settings at start-up, and suppresses mail under TESTING
    state.server, state.port, state.suppress = "127.0.0.1", smtp_server.port, False
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    post_file(client, "/uploaden/opsturen" + VO_OVER, goede_lijst(2), token)
    with app.app_context():
        assert mail.send_pending() == (0, 2)  # server down: kept, retried later
    bericht = MailBericht.get(MailBericht.aan == "beheerder@voorbeeld.nl")
    assert bericht.verzonden is None and bericht.pogingen == 1 and bericht.volgende_poging > bericht.aangemaakt
    smtp_server.start()
    MailBericht.update(volgende_poging=MailBericht.aangemaakt).execute()  # the back-off has passed
    with app.app_context():
        assert mail.send_pending() == (2, 0)
        assert mail.send_pending() == (0, 0)
    ontvangen = [m for m in smtp_server.berichten if m["To"] == "beheerder@voorbeeld.nl"]
    assert len(ontvangen) == 1
    assert "Bevestiging: leerlinglijst ontvangen" in ontvangen[0]["Subject"]
    assert ontvangen[0].get_body(("plain",)).get_content().startswith("Beste Test Beheerder")
    assert ontvangen[0].get_body(("html",)) is not None


def test_without_mail_server_mail_is_kept_as_eml_files(app, login, client):
    login("vo")
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    post_file(client, "/uploaden/opsturen" + VO_OVER, goede_lijst(2), token)
    with app.app_context():
        assert mail.send_pending() == (2, 0)
    import pathlib
    bestanden = list((pathlib.Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(bestanden) == 2
    assert any(b"Bevestiging" in b.read_bytes() for b in bestanden)


def test_thousands_of_warnings_stay_one_line_for_the_submitter_and_the_helpdesk(app, login, client):
    """#11.4: 3,000 students with the same name and birth date (2,999 'lijkt dezelfde leerling'):
    the list goes through; success page and helpdesk page show one group with the exact count."""
    login("vo")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 3000, seed=12, voornaam="Sam", tussenvoegsel=None, achternaam="Jansen")
    datum = rijen[0][titel(fmt, "geboortedatum")]
    for rij in rijen:
        rij[titel(fmt, "geboortedatum")] = datum
    token = csrf_token(client, "/uploaden/opsturen" + VO_OVER)
    response = post_file(client, "/uploaden/opsturen" + VO_OVER, make_xlsx(fmt, rijen), token)
    assert "/uploaden/klaar/" in response.headers["Location"]
    klaar = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Waarschuwingen</dt><dd>2.999</dd>" in klaar and '<strong class="aantal">2.999 ×</strong>' in klaar
    aanlevering = Aanlevering.get()
    assert aanlevering.aantal_waarschuwingen == 2999 and len(json.loads(aanlevering.waarschuwingen_json)) == 100
    helpdesk = app.test_client()
    from tests.conftest import do_login
    do_login(helpdesk, "helpdesk@demo.nl")
    pagina = helpdesk.get(f"/helpdesk/{aanlevering.id}")
    html = pagina.get_data(as_text=True)
    assert '<strong class="aantal">2.999 ×</strong>' in html and '<small class="code">possible_duplicate_person</small>' in html
    assert html.count('class="bevindingengroep"') == 1 and len(pagina.data) < 300_000


@pytest.mark.parametrize("path", ["/uploaden/", "/uploaden/opsturen" + VO_OVER, "/uploaden/opsturen/veld" + VO_OVER,
                                  "/uploaden/controle/abc", "/uploaden/klaar/LL-1", "/uploaden/format/VO-overstapper.xlsx"])
def test_the_portal_registration_of_the_wizard_needs_a_login(client, path):
    """The same views serve the public site openly; the portal's registration (its Kanaal) does not."""
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/inloggen?next=")
    htmx = client.get(path, headers=HX)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/inloggen?next=")
    assert client.get(path.replace("/uploaden/", "/leerlinglijst/")).status_code in (200, 303, 404, 410)
