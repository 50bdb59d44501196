"""One-click fixes on the correction grid (issue 13, point 2) and the marked-up workbook of a list
being corrected (point 3): offered per kind with a count and a preview, applied to all cells of
that kind at once (htmx in place, or a plain form and 303), logged as one-click fixes, gone once
applied; the workbook "met de fouten gemarkeerd" shows the rows as corrected, not the old file."""
import io
import json
import re

import pytest
from openpyxl import load_workbook

from portal.models import Aanlevering, Correctie, Correctielijst, Correctierij
from portal.lijsten.reader import kolomletter
from tests.builders import leerlingen, make_xlsx, titel
from tests.conftest import csrf_from, do_login
from tests.test_correctie import FMT, FOUT_BSN, GOED_BSN, HX, kolom, upload
from tests.test_herstel import bsn_met_voorloopnul

BSN_NUL = bsn_met_voorloopnul()                 # valid with its leading zero; stored as a number below


def lijst():
    """Row 2: a BSN stored as an 8-digit number; rows 4 and 5: dates written as text (ISO, month
    name); row 3: a BSN failing the 11-proef (the error that opens the grid)."""
    rijen = leerlingen(FMT, 4, seed=31)
    rijen[0][titel(FMT, "bsn")] = int(BSN_NUL)
    rijen[1][titel(FMT, "bsn")] = FOUT_BSN
    rijen[2][titel(FMT, "geboortedatum")] = "2010-03-15"
    rijen[3][titel(FMT, "geboortedatum")] = "3 maart 2011"
    return make_xlsx(FMT, rijen)


@pytest.fixture
def grid(login, client):
    login("vo")
    token = re.search(r"/controle/([^/?]+)", upload(client, lijst())).group(1)
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    return client, token, html


def aanbod(html):
    """The offers' section of the page or fragment ('' when nothing is offered)."""
    if 'id="herstel-kop"' not in html:
        return ""
    return html[html.index('id="herstel-kop"'):html.index('id="correctie-samenvatting"')]


def cel(rij, veld):
    r = Correctierij.get(Correctierij.rij == rij)
    return json.loads(r.cellen_json)[kolom(veld)]


def test_the_grid_offers_each_kind_with_its_count_and_a_masked_preview(grid):
    _, token, html = grid
    aanbod_ = aanbod(html)
    assert "1 BSN zonder voorloopnul" in aanbod_ and "2 datums in een andere schrijfwijze" in aanbod_
    assert "rij 4, Geboortedatum: 2010-03-15 → 15-03-2010" in aanbod_
    assert "rij 5, Geboortedatum: 3 maart 2011 → 03-03-2011" in aanbod_
    assert BSN_NUL not in aanbod_ and "*****" + BSN_NUL[-4:] in aanbod_       # BSN masked in the preview
    assert aanbod_.count('name="herstel"') == 2 and f'/uploaden/controle/{token}/verbeteren/herstellen' in aanbod_
    assert 'hx-target="#correctie"' in aanbod_


def test_herstellen_with_htmx_fixes_all_of_a_kind_logs_them_and_swaps_the_grid(grid):
    client, token, html = grid
    waarschuwingen = Correctielijst.get().aantal_waarschuwingen
    r = client.post(f"/uploaden/controle/{token}/verbeteren/herstellen", data={"herstel": "datum_als_tekst"},
                    headers={**HX, "X-CSRFToken": csrf_from(html)})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and 'id="correctie"' in body
    assert "Hersteld: 2 datums in een andere schrijfwijze." in body
    assert "datums" not in aanbod(body)                                 # the offer is gone
    assert "1 BSN zonder voorloopnul" in aanbod(body)                   # the other kind stays
    assert (cel(4, "geboortedatum"), cel(5, "geboortedatum")) == ("15-03-2010", "03-03-2011")
    assert sorted((c.rij, c.kolom, c.oud, c.nieuw, c.soort) for c in Correctie.select()) == [
        (4, "Geboortedatum", "2010-03-15", "15-03-2010", "herstel"),
        (5, "Geboortedatum", "3 maart 2011", "03-03-2011", "herstel")]
    assert Correctie.get(Correctie.rij == 4).door.endswith("(vo@demo.nl)")
    assert Correctielijst.get().aantal_fouten == 1                 # the real error is still there
    assert Correctielijst.get().aantal_waarschuwingen <= waarschuwingen


def test_herstellen_without_javascript_redirects_back_and_clears_the_warning(grid):
    client, token, html = grid
    assert "bsn_leading_zero_restored" in Correctierij.get(Correctierij.rij == 2).bevindingen_json
    r = client.post(f"/uploaden/controle/{token}/verbeteren/herstellen",
                    data={"herstel": "bsn_voorloopnul", "csrf_token": csrf_from(html)})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/uploaden/controle/{token}/verbeteren?herstellen=zoeken#correctie-kop")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Hersteld: 1 BSN zonder voorloopnul." in page and "BSN" not in aanbod(page)
    assert cel(2, "bsn") == BSN_NUL
    rij2 = Correctierij.get(Correctierij.rij == 2)
    assert "bsn_leading_zero_restored" not in rij2.bevindingen_json and rij2.s_bsn   # re-checked, keys kept
    assert [(c.rij, c.soort) for c in Correctie.select()] == [(2, "herstel")]
    # Nothing is guessed: a kind that is not offered (any more) changes nothing.
    r = client.post(f"/uploaden/controle/{token}/verbeteren/herstellen",
                    data={"herstel": "bsn_voorloopnul", "csrf_token": csrf_from(html)})
    assert r.status_code == 303 and Correctie.select().count() == 1
    assert "niets meer van deze soort" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_a_large_list_is_searched_for_fixes_only_when_asked(grid, monkeypatch):
    from portal import correctie
    client, token, _ = grid
    monkeypatch.setattr(correctie, "HERSTEL_ZOEKEN_TOT", 3)           # the list has 4 rows
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    assert aanbod(html) == "" and "Zoeken naar wat met één klik te herstellen is" in html
    link = re.search(r'href="([^"]*herstellen=zoeken[^"]*)"', html).group(1).replace("&amp;", "&")
    html = client.get(link).get_data(as_text=True)
    assert "1 BSN zonder voorloopnul" in aanbod(html) and "2 datums in een andere schrijfwijze" in aanbod(html)
    # After Herstellen (htmx asks with herstellen=zoeken), the remaining kinds are still shown.
    body = client.post(f"/uploaden/controle/{token}/verbeteren/herstellen?herstellen=zoeken",
                       data={"herstel": "datum_als_tekst"}, headers={**HX, "X-CSRFToken": csrf_from(html)}
                       ).get_data(as_text=True)
    assert "1 BSN zonder voorloopnul" in aanbod(body) and "datums" not in aanbod(body)


def test_the_helpdesk_log_shows_one_click_fixes(grid, app):
    client, token, html = grid
    for code in ("bsn_voorloopnul", "datum_als_tekst"):
        client.post(f"/uploaden/controle/{token}/verbeteren/herstellen", data={"herstel": code},
                    headers={**HX, "X-CSRFToken": csrf_from(html)})
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    r = client.post(f"/uploaden/controle/{token}/verbeteren/opsturen", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303
    aanlevering = Aanlevering.get()
    assert BSN_NUL in aanlevering.leerlingen_json
    client.post("/uitloggen", data={"csrf_token": csrf_from(html)})
    helpdesk = app.test_client()
    do_login(helpdesk, "helpdesk@demo.nl")
    page = helpdesk.get(f"/helpdesk/{aanlevering.id}").get_data(as_text=True)
    assert "Wijzigingen in de browser (4)" in page
    assert page.count("met één klik hersteld") == 3 and page.count("met de hand") == 1


def test_the_marked_up_workbook_uses_the_corrected_rows(grid):
    client, token, html = grid
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": "111222334"},
                headers={**HX, "X-CSRFToken": csrf_from(html)})          # still wrong, but another number
    client.post(f"/uploaden/controle/{token}/verbeteren/herstellen", data={"herstel": "datum_als_tekst"},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    r = client.get(f"/uploaden/controle/{token}/gemarkeerd.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data))["Leerlingen"]
    bsn, datum = kolomletter(kolom("bsn")), kolomletter(kolom("geboortedatum"))
    assert ws[f"{bsn}1"].value == titel(FMT, "bsn")
    assert str(ws[f"{bsn}3"].value) == "111222334" and ws[f"{bsn}3"].comment is not None   # the corrected cell, marked
    assert ws[f"{datum}4"].value == "15-03-2010"                                          # the one-click fix
    # Correct the last error: the workbook has nothing red any more.
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    ws = load_workbook(io.BytesIO(client.get(f"/uploaden/controle/{token}/gemarkeerd.xlsx").data))["Leerlingen"]
    assert str(ws[f"{bsn}3"].value) == GOED_BSN and ws[f"{bsn}3"].comment is None


def test_without_a_correction_list_the_workbook_is_the_uploaded_file(login, client):
    login("vo")
    token = re.search(r"/controle/([^/?]+)", upload(client, lijst())).group(1)
    ws = load_workbook(io.BytesIO(client.get(f"/uploaden/controle/{token}/gemarkeerd.xlsx").data))["Leerlingen"]
    assert ws[f"{kolomletter(kolom('geboortedatum'))}4"].value == "2010-03-15"
    assert Correctielijst.select().count() == 0
