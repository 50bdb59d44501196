"""Correcting a list in the browser (issue 13.1 and 13.3): the grid of failing rows, each edit
checked with the core's rules (also across rows), row removal, Opsturen without a new file, and
the edit log kept with the Aanlevering and shown to the helpdesk."""
import io
import json
import random
import re
from html import unescape

import pytest

from portal import correctie
from portal.lijsten.errors import CATALOG
from portal.lijsten.formats import format_voor
from portal.models import (Aanlevering, Controle, Correctie, Correctielijst, Correctierij, Gebeurtenis,
                           Instantie, MailBericht)
from tests.builders import geldig_bsn, geldig_onderwijsnummer, leerlingen, make_xlsx, titel
from tests.conftest import csrf_from, csrf_token

FMT = format_voor("VO", "overstapper")
VO_OVER = "?schoolsoort=VO&soort=overstapper"
HX = {"HX-Request": "true"}
FOUT_BSN = "123456788"          # fails the 11-proef
GOED_BSN = "111222333"          # passes it


def kolom(veld):
    return FMT.titels.index(titel(FMT, veld))


def lijst_met_fouten():
    """Row 3: a BSN failing the 11-proef; row 4: 31 February; row 5 fine; rows 2-5 otherwise valid."""
    rijen = leerlingen(FMT, 4, seed=7)
    rijen[1][titel(FMT, "bsn")] = FOUT_BSN
    rijen[2][titel(FMT, "geboortedatum")] = "31-02-2011"
    return make_xlsx(FMT, rijen), rijen


def upload(client, data, prefix="/uploaden"):
    token = csrf_token(client, f"{prefix}/opsturen{VO_OVER}")
    form = {"csrf_token": token, "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
            "naam": "Test Beheerder", "email": "beheerder@voorbeeld.nl", "toelichting": "",
            "bestand": (io.BytesIO(data), "leerlingen.xlsx")}
    response = client.post(f"{prefix}/opsturen{VO_OVER}", data=form, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def velden(html):
    """The grid's fields as a browser would send them (values unescaped)."""
    return {naam: unescape(waarde) for naam, waarde in
            re.findall(r'<input id="(c-\d+-\d+)" name="c-\d+-\d+" value="([^"]*)"', html)}


@pytest.fixture
def portal_controle(login, client):
    login("vo")
    data, rijen = lijst_met_fouten()
    location = upload(client, data)
    token = re.search(r"/controle/([^/?]+)", location).group(1)
    return client, token, data, rijen


# -- the offer and the grid -----------------------------------------------------------------------
def test_result_page_offers_correcting_here_and_the_grid_shows_the_failing_cells(portal_controle):
    client, token, _, rijen = portal_controle
    html = client.get(f"/uploaden/controle/{token}{VO_OVER}").get_data(as_text=True)
    assert "Fouten hier verbeteren" in html and f"/uploaden/controle/{token}/verbeteren" in html
    page = client.get(f"/uploaden/controle/{token}/verbeteren")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cellen = velden(html)
    # Exactly the failing cells are fields, with their value; the BSN in full only there.
    assert cellen == {f"c-3-{kolom('bsn')}": FOUT_BSN, f"c-4-{kolom('geboortedatum')}": "31-02-2011"}
    assert 'id="rij-5"' not in html                      # a good row is not in the grid
    assert "11-proef" in html or "BSN" in html             # the message beside the field
    andere_bsn = rijen[2][titel(FMT, "bsn")]
    assert andere_bsn not in html and "*****" + andere_bsn[-4:] in html   # other BSNs masked
    assert re.search(r'Nog <strong id="aantal-fouten">2</strong> fouten', html)


def test_an_edit_swaps_the_row_good_and_counts_down(portal_controle):
    client, token, _, _ = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    veld = f"c-3-{kolom('bsn')}"
    r = client.post(f"/uploaden/controle/{token}/verbeteren/3", data={veld: GOED_BSN},
                    headers={**HX, "X-CSRFToken": csrf_from(html)})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<tr id="rij-3"') and "In orde" in body and 'aria-invalid' not in body.split("</tr>")[0]
    assert 'id="correctie-samenvatting"' in body and 'hx-swap-oob="true"' in body
    assert re.search(r'Nog <strong id="aantal-fouten">1</strong> fout\b', body)
    log = Correctie.get(Correctie.rij == 3)
    assert (log.kolom, log.oud, log.nieuw, log.soort) == (titel(FMT, "bsn"), FOUT_BSN, GOED_BSN, "hand")
    assert log.door.endswith("(vo@demo.nl)")
    assert log.gebruiker is not None and log.controle is not None and log.aanlevering is None


def test_a_wrong_edit_keeps_the_field_with_the_new_message(portal_controle):
    client, token, _, _ = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    veld = f"c-4-{kolom('geboortedatum')}"
    body = client.post(f"/uploaden/controle/{token}/verbeteren/4", data={veld: "30-02-2011"},
                       headers={**HX, "X-CSRFToken": csrf_from(html)}).get_data(as_text=True)
    assert velden(body) == {veld: "30-02-2011"} and "aria-invalid" in body
    assert re.search(r'Nog <strong id="aantal-fouten">2</strong>', body)


def test_an_edit_that_makes_a_duplicate_is_caught_across_rows(portal_controle):
    client, token, _, rijen = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    bsn_van_5 = rijen[3][titel(FMT, "bsn")]
    body = client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": bsn_van_5},
                       headers={**HX, "X-CSRFToken": csrf_from(html)}).get_data(as_text=True)
    # Row 5 comes later: the duplicate is reported there, and swapped in out of band.
    assert '<template><tr id="rij-5"' in body and 'hx-swap-oob="true"' in body
    rij5 = Correctierij.get(Correctierij.rij == 5)
    assert [b["code"] for b in json.loads(rij5.bevindingen_json)] == ["duplicate_bsn"]
    # Undo it: row 5 is good again.
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    assert Correctierij.get(Correctierij.rij == 5).fouten == 0


def test_without_javascript_the_page_form_saves_and_rechecks(portal_controle):
    client, token, _, _ = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    assert "Opslaan en opnieuw controleren" in html
    form = {"csrf_token": csrf_from(html), **velden(html), f"c-3-{kolom('bsn')}": GOED_BSN}
    r = client.post(f"/uploaden/controle/{token}/verbeteren?pagina=1", data=form)
    assert r.status_code == 303 and "/verbeteren" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert set(velden(html)) == {f"c-4-{kolom('geboortedatum')}"}
    assert Correctie.select().count() == 1                 # the unchanged field is not logged


def test_remove_a_row_then_send_without_a_new_file(portal_controle, app):
    client, token, data, rijen = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    hx = {**HX, "X-CSRFToken": csrf_from(html)}
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN}, headers=hx)
    # Sending while an error is left is refused and says why.
    r = client.post(f"/uploaden/controle/{token}/verbeteren/opsturen", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 422 and "nog fouten" in r.get_data(as_text=True)
    body = client.post(f"/uploaden/controle/{token}/verbeteren/4/verwijderen", headers=hx).get_data(as_text=True)
    assert "Verwijderd" in body and "Geen fouten meer" in body and ">Opsturen</button>" in body
    mails = MailBericht.select().count()
    r = client.post(f"/uploaden/controle/{token}/verbeteren/opsturen", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303 and "/uploaden/klaar/" in r.headers["Location"]
    aanlevering = Aanlevering.get()
    assert aanlevering.bestand == data                      # the original file, as uploaded
    leerlingen = json.loads(aanlevering.leerlingen_json)
    assert [(l["rij"], l["bsn"]) for l in leerlingen] == [
        (2, rijen[0][titel(FMT, "bsn")]), (3, GOED_BSN), (5, rijen[3][titel(FMT, "bsn")])]
    assert aanlevering.aantal_leerlingen == 3 and aanlevering.status == "ingediend"
    assert MailBericht.select().count() == mails + 2        # confirmation and helpdesk notice, as for a file
    log = list(Correctie.select().order_by(Correctie.id))
    assert [(c.rij, c.kolom) for c in log] == [(3, titel(FMT, "bsn")), (4, "")]
    assert all(c.aanlevering_id == aanlevering.id and c.controle_id is None for c in log)
    assert Controle.select().count() == 0 and Correctierij.select().count() == 0
    assert Correctielijst.get().aanlevering_id == aanlevering.id
    gebeurtenis = Gebeurtenis.get(Gebeurtenis.aanlevering == aanlevering)
    assert gebeurtenis.details == "3 leerlingen, 0 waarschuwingen, in de browser verbeterd (2 wijzigingen)"
    assert GOED_BSN not in gebeurtenis.details
    assert client.get(r.headers["Location"]).status_code == 200


def test_opsturen_saves_a_cell_typed_just_before_it(client, app):
    """Without JavaScript (or while a cell's own check is still on its way) the user types in a cell
    and presses Opsturen at once: the button sends the grid's form, so the value goes with the list."""
    oud, rijen = teruggestuurd(client, "/leerlinglijst")
    houder = app.test_client()
    link = f"/leerlinglijst/teruggestuurd/{oud.status_token}/verbeteren"
    html = houder.get(link).get_data(as_text=True)
    assert re.search(r'<button type="submit" form="correctie-form"[^>]*formaction="[^"]*/verbeteren/opsturen"', html)
    klas = kolom("klas")
    r = houder.post(f"{link}/opsturen", data={"csrf_token": csrf_from(html), **velden(html), f"c-3-{klas}": "4Z"})
    assert r.status_code == 303 and "/leerlinglijst/klaar/" in r.headers["Location"]
    nieuw = Aanlevering.select().where(Aanlevering.id != oud.id).get()
    assert [l["klas"] for l in json.loads(nieuw.leerlingen_json)] == [
        rijen[0][titel(FMT, "klas")], "4Z", rijen[2][titel(FMT, "klas")]]
    assert [(c.rij, c.nieuw) for c in Correctie.select()] == [(3, "4Z")]   # only the changed cell is logged


def test_opsturen_refuses_when_the_cell_typed_just_before_is_wrong(client, app):
    oud, _ = teruggestuurd(client, "/leerlinglijst")
    houder = app.test_client()
    link = f"/leerlinglijst/teruggestuurd/{oud.status_token}/verbeteren"
    html = houder.get(link).get_data(as_text=True)
    r = houder.post(f"{link}/opsturen", data={"csrf_token": csrf_from(html), **velden(html),
                                              f"c-3-{kolom('bsn')}": "123456789"})
    assert r.status_code == 422 and "nog fouten" in r.get_data(as_text=True)
    assert Aanlevering.select().count() == 1


def test_the_filter_offers_the_kinds_of_error_the_rows_have(portal_controle):
    """Not all 64 kinds of the catalog (MBO columns in a VO list, file errors) and no internal codes:
    the kinds the rows have now, by what to do about them."""
    client, token, _, _ = portal_controle
    grid = f"/uploaden/controle/{token}/verbeteren"
    html = client.get(grid).get_data(as_text=True)
    opties = re.search(r'<select id="filter-code"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', opties) == ["", "bsn_checksum", "date_invalid"]
    assert "(bsn_checksum)" not in opties and CATALOG["bsn_checksum"].oplossing[:40] in unescape(opties)
    client.post(f"{grid}/3", data={f"c-3-{kolom('bsn')}": GOED_BSN}, headers={**HX, "X-CSRFToken": csrf_from(html)})
    opties = re.search(r'<select id="filter-code"[^>]*>(.*?)</select>', client.get(grid).get_data(as_text=True), re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', opties) == ["", "date_invalid"]


def test_the_result_page_says_how_far_the_correction_in_the_browser_has_come(portal_controle):
    client, token, _, _ = portal_controle
    uitslag = f"/uploaden/controle/{token}{VO_OVER}"
    assert "U bent hier al begonnen" not in client.get(uitslag).get_data(as_text=True)
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    tekst = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", client.get(uitslag).get_data(as_text=True)))
    assert "U heeft de lijst al in de browser verbeterd: daar staat nog 1 fout." in tekst
    assert "U bent hier al begonnen: 1 wijziging in de browser, nog 1 fout." in tekst
    assert "Verder verbeteren" in tekst


def test_a_removed_row_is_put_back(portal_controle):
    """Rij verwijderen by mistake: the row is listed under "Verwijderde rijen" and Terugzetten brings
    it back, checked again (its error is there again), with and without JavaScript; both are logged."""
    client, token, _, rijen = portal_controle
    grid = f"/uploaden/controle/{token}/verbeteren"
    html = client.get(grid).get_data(as_text=True)
    hx = {**HX, "X-CSRFToken": csrf_from(html)}
    body = client.post(f"{grid}/4/verwijderen", headers=hx).get_data(as_text=True)
    assert "Verwijderd" in body and f"{grid}/4/terugzetten" in body        # undo at once in the row
    html = client.get(grid).get_data(as_text=True)
    assert "Verwijderde rijen (1)" in html
    naam = rijen[2][titel(FMT, "voornaam")]
    assert re.search(rf"Rij 4: {rijen[2][titel(FMT, 'leerlingnummer')]} – {naam}", unescape(html))
    # Without JavaScript: a plain form, a 303 back to the grid with a message.
    r = client.post(f"{grid}/4/terugzetten", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Rij 4 staat weer in de lijst en heeft 1 fout." in html and "Verwijderde rijen" not in html
    assert f"c-4-{kolom('geboortedatum')}" in velden(html)                 # its failing cell is a field again
    assert re.search(r'Nog <strong id="aantal-fouten">2</strong>', html)
    # With htmx: the grid comes back in place.
    client.post(f"{grid}/4/verwijderen", headers=hx)
    body = client.post(f"{grid}/4/terugzetten", headers=hx).get_data(as_text=True)
    assert "<html" not in body and 'id="correctie"' in body and "Rij 4 staat weer in de lijst" in body
    assert [(c.rij, c.kolom, c.nieuw) for c in Correctie.select().order_by(Correctie.id)] == [
        (4, "", ""), (4, "", "teruggezet"), (4, "", ""), (4, "", "teruggezet")]
    assert client.post(f"{grid}/99/terugzetten", headers=hx).status_code == 404


def test_back_to_the_check_after_sending_leads_to_the_sent_list(portal_controle):
    """Back (or a bookmark) to the check after sending must not say "Controle verlopen … Er is niets
    opgestuurd": the user would send the list a second time."""
    client, token, _, _ = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    hx = {**HX, "X-CSRFToken": csrf_from(html)}
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN}, headers=hx)
    client.post(f"/uploaden/controle/{token}/verbeteren/4/verwijderen", headers=hx)
    klaar = client.post(f"/uploaden/controle/{token}/verbeteren/opsturen",
                        data={"csrf_token": csrf_from(html)}).headers["Location"]
    kenmerk = Aanlevering.get().kenmerk
    for pad in (f"/uploaden/controle/{token}", f"/uploaden/controle/{token}/verbeteren"):
        r = client.get(pad)
        assert r.status_code == 303 and f"/uploaden/klaar/{kenmerk}" in r.headers["Location"], pad
    assert "Leerlinglijst succesvol opgestuurd" in client.get(klaar).get_data(as_text=True)
    # Another browser holding the address learns nothing: the check has expired there.
    from tests.conftest import do_login
    ander = client.application.test_client()
    do_login(ander, "vo@demo.nl")
    r = ander.get(f"/uploaden/controle/{token}")
    assert r.status_code == 410 and kenmerk not in r.get_data(as_text=True)


def test_the_same_edit_from_two_requests_at_once_is_saved_and_logged_once(portal_controle):
    """A cell's own check and Opsturen may carry the same new value at the same moment (each read the
    row before the other wrote it): the row gets it once and the log names it once."""
    client, token, _, _ = portal_controle
    client.get(f"/uploaden/controle/{token}/verbeteren")              # makes the working copy
    lijst = correctie.lijst_van(Controle.get(Controle.token == token))
    eerst, later = (Correctierij.get((Correctierij.lijst == lijst.record.id) & (Correctierij.rij == 3)) for _ in range(2))
    j = kolom("bsn")
    assert correctie.wijzig(lijst, eerst, {j: GOED_BSN})
    assert correctie.wijzig(lijst, later, {j: GOED_BSN}) == []         # read before the first wrote
    assert [(c.rij, c.nieuw) for c in Correctie.select()] == [(3, GOED_BSN)]
    assert json.loads(Correctierij.get_by_id(later.id).cellen_json)[j] == GOED_BSN
    # A different value from the stale copy is applied on top of what the row holds now.
    assert correctie.wijzig(lijst, later, {j: FOUT_BSN})
    assert [(c.oud, c.nieuw) for c in Correctie.select().order_by(Correctie.id)][-1] == (GOED_BSN, FOUT_BSN)


def test_opsturen_counts_the_errors_as_they_are_after_a_cell_check_saved_meanwhile(portal_controle, monkeypatch):
    """Opsturen read the list (1 error left) just before the cell's own check, in another request,
    saved the fix: it must send, not answer 'Er staan nog fouten'."""
    client, token, _, _ = portal_controle
    grid = f"/uploaden/controle/{token}/verbeteren"
    html = client.get(grid).get_data(as_text=True)
    client.post(f"{grid}/4/verwijderen", headers={**HX, "X-CSRFToken": csrf_from(html)})   # 1 error left: row 3
    echte = correctie._bewaar

    def tegelijk(bron, form):
        echte(bron, form)
        lijst = correctie.lijst_van(Controle.get(Controle.token == token))     # the other request's copy
        rij = Correctierij.get((Correctierij.lijst == lijst.record.id) & (Correctierij.rij == 3))
        correctie.wijzig(lijst, rij, {kolom("bsn"): GOED_BSN})
    monkeypatch.setattr(correctie, "_bewaar", tegelijk)
    r = client.post(f"{grid}/opsturen", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303 and "/uploaden/klaar/" in r.headers["Location"]


def test_the_helpdesk_sees_the_edit_log_with_bsns_masked(portal_controle, app):
    client, token, _, _ = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    hx = {**HX, "X-CSRFToken": csrf_from(html)}
    client.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN}, headers=hx)
    client.post(f"/uploaden/controle/{token}/verbeteren/4", data={f"c-4-{kolom('geboortedatum')}": "28-02-2011"},
                headers=hx)
    client.post(f"/uploaden/controle/{token}/verbeteren/opsturen", data={"csrf_token": csrf_from(html)})
    aanlevering = Aanlevering.get()
    client.post("/uitloggen", data={"csrf_token": csrf_from(html)})
    helpdesk = app.test_client()
    from tests.conftest import do_login
    do_login(helpdesk, "helpdesk@demo.nl")
    html = helpdesk.get(f"/helpdesk/{aanlevering.id}").get_data(as_text=True)
    assert "Wijzigingen in de browser (2)" in html
    assert "31-02-2011" in html and "28-02-2011" in html and "met de hand" in html
    assert GOED_BSN not in html and FOUT_BSN not in html
    assert "*****6788" in html and "*****2333" in html


def test_only_the_session_that_made_the_check_may_correct_it(portal_controle, app):
    client, token, _, _ = portal_controle
    ander = app.test_client()
    from tests.conftest import do_login
    do_login(ander, "vo@demo.nl")
    assert ander.get(f"/uploaden/controle/{token}/verbeteren").status_code == 410
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    r = ander.post(f"/uploaden/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                   headers={**HX, "X-CSRFToken": csrf_from(ander.get("/uploaden/").get_data(as_text=True))})
    assert r.status_code == 410 and Correctie.select().count() == 0
    assert 'id="aantal-fouten">2<' in html


def test_a_visitor_corrects_on_the_public_site_as_bezoeker(client):
    data, _ = lijst_met_fouten()
    location = upload(client, data, prefix="/leerlinglijst")
    token = re.search(r"/controle/([^/?]+)", location).group(1)
    html = client.get(f"/leerlinglijst/controle/{token}/verbeteren").get_data(as_text=True)
    client.post(f"/leerlinglijst/controle/{token}/verbeteren/3", data={f"c-3-{kolom('bsn')}": GOED_BSN},
                headers={**HX, "X-CSRFToken": csrf_from(html)})
    log = Correctie.get()
    assert log.door == "bezoeker" and log.gebruiker is None


def test_bsns_never_appear_in_urls_of_the_grid(portal_controle):
    client, token, _, rijen = portal_controle
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    for url in re.findall(r'(?:href|hx-post|action)="([^"]+)"', html):
        assert FOUT_BSN not in url and not re.search(r"\d{9}", url)


def test_paging_and_filter_by_code_and_column(login, client):
    login("vo")
    rijen = leerlingen(FMT, 130, seed=11)
    for i in range(0, 120):
        rijen[i][titel(FMT, "postcode")] = "123 AB"
    rijen[125][titel(FMT, "bsn")] = FOUT_BSN
    token = re.search(r"/controle/([^/?]+)", upload(client, make_xlsx(FMT, rijen))).group(1)
    html = client.get(f"/uploaden/controle/{token}/verbeteren").get_data(as_text=True)
    assert "pagina 1 van 3" in html and len(re.findall(r'<tr id="rij-', html)) == 50
    html = client.get(f"/uploaden/controle/{token}/verbeteren?kolom={titel(FMT, 'bsn')}").get_data(as_text=True)
    assert re.findall(r'<tr id="rij-(\d+)', html) == ["127"]
    fout = json.loads(Correctierij.get(Correctierij.rij == 127).bevindingen_json)[0]["code"]
    html = client.get(f"/uploaden/controle/{token}/verbeteren?code={fout}").get_data(as_text=True)
    assert re.findall(r'<tr id="rij-(\d+)', html) == ["127"]
    html = client.get(f"/uploaden/controle/{token}/verbeteren?pagina=3").get_data(as_text=True)
    assert len(re.findall(r'<tr id="rij-', html)) == 21


def test_not_offered_when_the_columns_are_wrong(login, client):
    login("vo")
    rijen = leerlingen(FMT, 3, seed=2)
    data = make_xlsx(FMT, rijen, titels=[t for t in FMT.titels if t != titel(FMT, "achternaam")])
    token = re.search(r"/controle/([^/?]+)", upload(client, data)).group(1)
    html = client.get(f"/uploaden/controle/{token}{VO_OVER}").get_data(as_text=True)
    assert "Fouten hier verbeteren" not in html
    assert client.get(f"/uploaden/controle/{token}/verbeteren").status_code == 404


# -- the incremental check equals a check of the whole list ----------------------------------------
def _volledig(lijst):
    rijen = list(Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                             & (Correctierij.verwijderd == False)))  # noqa: E712
    per_rij = lijst.check(rijen)[0]
    return {r.rij: sorted((b["code"], b["kolom"]) for b in per_rij.get(r.rij, [])) for r in rijen}


def _opgeslagen(lijst):
    return {r.rij: sorted((b["code"], b["kolom"]) for b in json.loads(r.bevindingen_json))
            for r in Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                                 & (Correctierij.verwijderd == False))}  # noqa: E712


def test_random_edits_give_the_findings_of_a_full_check(app):
    """After every edit or removal, each row's stored findings equal those a check of the whole
    corrected list gives (the rules across rows included), and the counts add up."""
    rng = random.Random(5)
    rijen = leerlingen(FMT, 40, seed=9)
    bsns = [geldig_bsn(rng) for _ in range(5)]
    onrs = [geldig_onderwijsnummer(rng) for _ in range(2)]
    for i, r in enumerate(rijen):
        if i % 7 == 0:
            r[titel(FMT, "bsn")] = rng.choice(bsns)                       # duplicate BSNs
        if i % 11 == 0:
            r[titel(FMT, "leerlingnummer")] = "000001"                      # duplicate leerlingnummers
        if i % 5 == 0:
            r[titel(FMT, "onderwijsnummer")] = onrs[i % 2]                   # BSN and onderwijsnummer both
        if i % 9 == 0:
            r[titel(FMT, "bsn")] = None                                     # onderwijsnummer only
            r[titel(FMT, "onderwijsnummer")] = onrs[0]
        if i % 6 == 0:                                                      # possibly the same person
            r.update({titel(FMT, "voornaam"): "Saar", titel(FMT, "achternaam"): "Jansen",
                      titel(FMT, "tussenvoegsel"): None, titel(FMT, "geboortedatum"): rijen[0][titel(FMT, "geboortedatum")]})
    data = make_xlsx(FMT, rijen)
    waarden = {"bsn": bsns + [FOUT_BSN, ""], "leerlingnummer": ["000001", "000002", "x", ""],
               "voornaam": ["Saar", "saar", "J4n", ""], "achternaam": ["Jansen", "JANSEN", ""],
               "tussenvoegsel": ["", "de"],
               "geboortedatum": [correctie.tekst(correctie._naar_json(rijen[0][titel(FMT, "geboortedatum")])),
                                 "31-02-2011", ""], "onderwijsnummer": ["", "123456782", *onrs],
               "postcode": ["1234 AB", "123"]}
    with app.test_request_context("/leerlinglijst/"):
        lijst = correctie.Lijst(correctie.maak_lijst(data, FMT), FMT)
        assert _opgeslagen(lijst) == _volledig(lijst)
        begin = {code for bs in _opgeslagen(lijst).values() for code, _ in bs}
        assert {"possible_duplicate_person", "duplicate_onderwijsnummer", "duplicate_bsn",
                "duplicate_leerlingnummer", "bsn_and_onderwijsnummer"} <= begin, begin
        for stap in range(150):
            nummer = rng.randint(2, 41)
            rij = Correctierij.get((Correctierij.lijst == lijst.record.id) & (Correctierij.rij == nummer))
            if rij.verwijderd:
                continue
            if stap % 13 == 12:
                correctie.verwijder_rij(lijst, rij)
            else:
                veld = rng.choice(list(waarden))
                correctie.wijzig(lijst, rij, {kolom(veld): rng.choice(waarden[veld])})
            assert _opgeslagen(lijst) == _volledig(lijst), f"stap {stap}"
            record = Correctielijst.get_by_id(lijst.record.id)
            alle = [b for lijst_b in _opgeslagen(lijst).values() for b in lijst_b]
            fouten = sum(1 for code, _ in alle if code in correctie.CATALOG and correctie.CATALOG[code].niveau == "E")
            assert record.aantal_fouten - sum(1 for b in json.loads(record.bestand_json) if b["niveau"] == "E") == fouten


def test_the_first_full_check_matches_the_file_check(app):
    data, _ = lijst_met_fouten()
    from portal.lijsten.validate import check_bytes
    resultaat = check_bytes(data, FMT)
    with app.test_request_context("/leerlinglijst/"):
        lijst = correctie.Lijst(correctie.maak_lijst(data, FMT), FMT)
    opgeslagen = sorted((rij, b[0]) for rij, bs in _opgeslagen(lijst).items() for b in bs)
    assert opgeslagen == sorted((b.rij, b.code) for b in resultaat.fouten + resultaat.waarschuwingen if b.rij)
    assert lijst.record.aantal_fouten == len(resultaat.fouten)


def test_cells_keep_their_type_through_storage():
    import datetime as dt
    from portal.lijsten.reader import Foutwaarde
    for v in (None, "tekst", 12, 3.5, dt.date(2011, 2, 28), dt.datetime(2011, 2, 28, 13, 5), Foutwaarde("#N/A")):
        terug = correctie._uit_json(json.loads(json.dumps(correctie._naar_json(v))))
        assert terug == v or (isinstance(v, Foutwaarde) and terug.tekst == v.tekst)
    assert correctie.tekst({"d": "2011-02-28"}) == "28-02-2011" and correctie.tekst(5.0) == "5"


def test_schema_step_9_adds_the_tables_to_an_existing_database(app):
    from portal import migrations
    from portal.extensions import db
    from portal.models import SchemaVersie
    db.database.drop_tables([Correctie, Correctierij, Correctielijst])
    SchemaVersie.update(versie=6).execute()
    assert migrations.upgrade(db.database) == (6, migrations.LAATSTE)
    assert {"correctie", "correctierij", "correctielijst"} <= set(db.database.get_tables())



# -- a list the helpdesk sent back ----------------------------------------------------------------
def teruggestuurd(client, prefix):
    """A clean list sent through `prefix`, then sent back by the helpdesk with a reason."""
    rijen = leerlingen(FMT, 3, seed=4)
    location = upload(client, make_xlsx(FMT, rijen), prefix=prefix)
    assert "/klaar/" in location
    aanlevering = Aanlevering.get()
    Aanlevering.update(status="afgekeurd", reden="Klas van rij 3 klopt niet.").where(
        Aanlevering.id == aanlevering.id).execute()
    return Aanlevering.get_by_id(aanlevering.id), rijen


def test_a_sent_back_list_is_corrected_from_its_status_link_and_sent_again(client, app):
    oud, rijen = teruggestuurd(client, "/leerlinglijst")
    houder = app.test_client()                              # anyone holding the status link
    status = houder.get(f"/leerlinglijst/status/{oud.status_token}").get_data(as_text=True)
    link = f"/leerlinglijst/teruggestuurd/{oud.status_token}/verbeteren"
    assert "Fouten hier verbeteren" in status and link in status
    html = houder.get(link).get_data(as_text=True)
    assert "Klas van rij 3 klopt niet." in html
    klas = kolom("klas")
    assert velden(html)[f"c-3-{klas}"] == rijen[1][titel(FMT, "klas")]    # every cell a field
    assert re.findall(r'<tr id="rij-(\d+)', html) == ["2", "3", "4"]
    body = houder.post(f"{link}/3", data={f"c-3-{klas}": "4Z"},
                       headers={**HX, "X-CSRFToken": csrf_from(html)}).get_data(as_text=True)
    assert body.lstrip().startswith('<tr id="rij-3"') and 'value="4Z"' in body
    r = houder.post(f"{link}/opsturen", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303 and "/leerlinglijst/klaar/" in r.headers["Location"]
    nieuw = Aanlevering.select().where(Aanlevering.id != oud.id).get()
    assert nieuw.status == "ingediend" and nieuw.bestand == oud.bestand
    assert [l["klas"] for l in json.loads(nieuw.leerlingen_json)][1] == "4Z"
    assert nieuw.toelichting == f"Verbeterde versie van lijst {oud.kenmerk}."
    # The same original file, but no "al eerder opgestuurd" about the very list it replaces.
    assert "duplicate_submission" not in nieuw.waarschuwingen_json
    assert [(c.rij, c.kolom, c.nieuw, c.door) for c in Correctie.select()] == [(3, titel(FMT, "klas"), "4Z", "bezoeker")]
    assert Correctie.get().aanlevering_id == nieuw.id
    # Sent: the link now says so instead of offering the grid again.
    assert houder.get(link).status_code == 410
    assert link not in houder.get(f"/leerlinglijst/status/{oud.status_token}").get_data(as_text=True)


def test_a_sent_back_portal_list_is_for_its_school_only(login, client, app):
    login("vo")
    oud, _ = teruggestuurd(client, "/uploaden")
    link = f"/uploaden/teruggestuurd/{oud.kenmerk}/verbeteren"
    assert link in client.get(f"/aanleveringen/{oud.id}").get_data(as_text=True)
    assert client.get(link).status_code == 200
    from tests.conftest import do_login
    for email in ("mbo@demo.nl", "helpdesk@demo.nl"):
        ander = app.test_client()
        do_login(ander, email)
        assert ander.get(link).status_code == 404
    # Another session of the same school may (its list, not this browser's check).
    collega = app.test_client()
    do_login(collega, "vo@demo.nl")
    assert collega.get(link).status_code == 200
    # Not offered for a list that waits for the helpdesk.
    Aanlevering.update(status="ingediend").where(Aanlevering.id == oud.id).execute()
    assert "teruggestuurd/" not in client.get(f"/aanleveringen/{oud.id}").get_data(as_text=True)
    assert client.get(link).status_code == 410
