"""The submitter's side: Mijn aanleveringen (own instanties only), the token status page, Intrekken."""
import re

from portal.models import Aanlevering, Gebeurtenis, Leerling, MailBericht
from tests.aanleveringen_builder import maak_aanlevering
from tests.conftest import csrf_from


def _post(client, pad, data=None, **kwargs):
    token = csrf_from(client.get("/inloggen").get_data(as_text=True))
    return client.post(pad, data={"csrf_token": token, **(data or {})}, **kwargs)


def test_a_beheerder_sees_only_the_lists_of_their_own_instanties(login, client):
    eigen = maak_aanlevering("99AA00", aantal=2)
    tweede_school = maak_aanlevering("99AB00", aantal=3)  # also managed by vo@demo.nl
    ander = maak_aanlevering("99BA00", aantal=2, gebruiker="mbo@demo.nl")
    afgekeurd = maak_aanlevering(aantal=1, status="afgekeurd", reden="De klassen ontbreken.")
    login("vo")
    page = client.get("/aanleveringen/").get_data(as_text=True)
    assert eigen.kenmerk in page and tweede_school.kenmerk in page and ander.kenmerk not in page
    assert "Ingediend, wacht op controle" in page and "Teruggestuurd" in page and "De klassen ontbreken." in page
    assert page.index(afgekeurd.kenmerk) < page.index(eigen.kenmerk)  # newest first
    assert 'href="/aanleveringen/"' in page  # the menu entry
    assert client.get(f"/aanleveringen/{eigen.id}").status_code == 200
    assert client.get(f"/aanleveringen/{ander.id}").status_code == 404  # another school's list: 404, never 403
    assert client.get("/aanleveringen/999999").status_code == 404
    assert _post(client, f"/aanleveringen/{ander.id}/intrekken").status_code == 404
    assert Aanlevering.get_by_id(ander.id).status == "ingediend"


def test_mijn_aanleveringen_needs_a_login(client):
    response = client.get("/aanleveringen/")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_the_mbo_beheerder_sees_the_mbo_lists(login, client):
    vo = maak_aanlevering(aantal=1)
    mbo = maak_aanlevering("99BB01", aantal=1, gebruiker="mbo@demo.nl")
    login("mbo")
    page = client.get("/aanleveringen/").get_data(as_text=True)
    assert mbo.kenmerk in page and vo.kenmerk not in page


def test_withdraw_from_mijn_aanleveringen(login, client):
    a = maak_aanlevering(aantal=2)
    login("vo")
    page = client.get("/aanleveringen/").get_data(as_text=True)
    assert f'href="/aanleveringen/{a.id}/intrekken"' in page     # to the confirmation step (issue 11)
    response = _post(client, f"/aanleveringen/{a.id}/intrekken", {"bevestigd": "ja"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/aanleveringen/{a.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is ingetrokken" in page and ">Intrekken</button>" not in page
    a = Aanlevering.get_by_id(a.id)
    assert a.status == "ingetrokken" and a.behandeld
    assert Gebeurtenis.get(Gebeurtenis.actie == "ingetrokken").wie.startswith("Vera Oosterhout")
    # A withdrawn list cannot be loaded any more.
    from portal import verwerken
    try:
        verwerken.verwerk(a)
    except verwerken.NietMeerIngediend:
        pass
    assert Leerling.select().count() == 0


def test_withdraw_refused_once_the_helpdesk_has_loaded_it(login, client):
    from portal import verwerken
    a = maak_aanlevering(aantal=2)
    verwerken.verwerk(a)
    login("vo")
    assert ">Intrekken</button>" not in client.get(f"/aanleveringen/{a.id}").get_data(as_text=True)
    response = _post(client, f"/aanleveringen/{a.id}/intrekken", follow_redirects=True)
    assert "kan niet meer worden ingetrokken" in response.get_data(as_text=True)
    assert Aanlevering.get_by_id(a.id).status == "verwerkt" and Leerling.select().count() == 2


def test_public_status_page_needs_the_token(client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None, naam="Bezoeker Jansen")
    assert client.get(f"/leerlinglijst/status/{a.status_token}").status_code == 200
    assert client.get("/leerlinglijst/status/").status_code == 404
    assert client.get("/leerlinglijst/status/raden").status_code == 404
    assert client.get(f"/leerlinglijst/status/{a.status_token[:-1]}").status_code == 404
    assert client.get(f"/leerlinglijst/status/{a.id}").status_code == 404
    assert len(a.status_token) >= 32


def test_public_status_page_shows_status_reason_and_no_student_data(client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None, status="afgekeurd",
                         reden="Gebruik het format van dit schooljaar.",
                         waarschuwingen=[{"code": "registered_elsewhere", "row": 2, "column": "BSN", "value": None,
                                          "message": "Dit BSN is ook bekend bij een andere instantie."},
                                         {"code": "empty_rows_skipped", "row": None, "column": None, "value": None,
                                          "message": "3 lege rijen zijn overgeslagen."}])
    page = client.get(f"/leerlinglijst/status/{a.status_token}").get_data(as_text=True)
    assert "Teruggestuurd" in page and "Gebruik het format van dit schooljaar." in page
    assert a.kenmerk in page and "3 lege rijen zijn overgeslagen." in page
    assert "andere instantie" not in page  # registered_elsewhere is for the helpdesk only
    assert not re.search(r"(?<!\d)\d{9}(?!\d)", page)
    assert page.count("Intrekken") == 0
    assert "no-store" in client.get(f"/leerlinglijst/status/{a.status_token}").headers["Cache-Control"]


def test_withdraw_through_the_public_status_page(client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None, naam="Bezoeker Jansen")
    page = client.get(f"/leerlinglijst/status/{a.status_token}").get_data(as_text=True)
    assert "Ingediend, wacht op controle" in page and ">Intrekken</button>" in page
    token = csrf_from(page)
    assert client.post("/leerlinglijst/status/verkeerd/intrekken", data={"csrf_token": token}).status_code == 404
    response = client.post(f"/leerlinglijst/status/{a.status_token}/intrekken",
                           data={"csrf_token": token, "bevestigd": "ja"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ingetrokken" in page and "is ingetrokken" in page
    assert Aanlevering.get_by_id(a.id).status == "ingetrokken"
    assert "Bezoeker Jansen" in Gebeurtenis.get(Gebeurtenis.actie == "ingetrokken").wie
    # Without the CSRF token nothing happens.
    b = maak_aanlevering(aantal=1, kanaal="publiek", gebruiker=None)
    assert client.post(f"/leerlinglijst/status/{b.status_token}/intrekken").status_code == 400
    assert Aanlevering.get_by_id(b.id).status == "ingediend"


def test_the_status_link_of_the_confirmation_mail(app):
    a = maak_aanlevering(aantal=1, kanaal="publiek", gebruiker=None)
    with app.test_request_context():
        from flask import url_for
        link = url_for("aanleveringen.status", token=a.status_token, _external=True)
    assert link.endswith(f"/leerlinglijst/status/{a.status_token}")


def _opnieuw_link(page):
    link = re.search(r'<a class="knop" href="([^"]+)">Opnieuw opsturen</a>', page)
    assert link, "geen knop Opnieuw opsturen"
    return link.group(1).replace("&amp;", "&")


def test_a_list_sent_back_is_sent_again_from_the_portal_status_page(login, client):
    a = maak_aanlevering(aantal=2, status="afgekeurd", reden="Klas ontbreekt.", naam="Vera Oosterhout",
                         email="vera@school.nl", toelichting="Eerste lijst")
    login("vo")
    page = client.get(f"/aanleveringen/{a.id}").get_data(as_text=True)
    stap4 = client.get(_opnieuw_link(page))
    html = stap4.get_data(as_text=True)
    assert stap4.status_code == 200 and "Stap 4: Opsturen" in html and a.kenmerk in html
    assert re.search(r'<option selected value="%d"|<option value="%d" selected' % (a.instantie_id, a.instantie_id), html)
    assert 'value="Vera Oosterhout"' in html and 'value="vera@school.nl"' in html and "Eerste lijst</textarea>" in html
    # Another school's kenmerk fills in nothing.
    client.post("/uitloggen", data={"csrf_token": csrf_from(html)})
    login("mbo")
    vreemd = client.get(f"/uploaden/opsturen?schoolsoort=VO&soort=overstapper&opnieuw={a.kenmerk}").get_data(as_text=True)
    assert "Vera Oosterhout" not in vreemd and a.kenmerk not in vreemd


def test_a_list_sent_back_is_sent_again_through_the_public_status_link(client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None, status="afgekeurd", reden="Oud format.",
                         naam="Bea Bezoeker", email="bea@voorbeeld.nl")
    page = client.get(f"/leerlinglijst/status/{a.status_token}").get_data(as_text=True)
    link = _opnieuw_link(page)
    assert link.startswith("/leerlinglijst/opsturen?")
    html = client.get(link).get_data(as_text=True)
    assert 'value="Bea Bezoeker"' in html and 'value="bea@voorbeeld.nl"' in html
    assert f"Verbeterde versie van lijst {a.kenmerk}." in html
    # A list that waits for the helpdesk offers no resend.
    b = maak_aanlevering(aantal=1, kanaal="publiek", gebruiker=None)
    assert "Opnieuw opsturen" not in client.get(f"/leerlinglijst/status/{b.status_token}").get_data(as_text=True)


def test_the_sent_back_mail_links_to_step_four(app, login, client):
    a = maak_aanlevering(aantal=2, kanaal="publiek", gebruiker=None, naam="Bea Bezoeker", email="bea@voorbeeld.nl")
    login("helpdesk")
    token = csrf_from(client.get(f"/helpdesk/{a.id}").get_data(as_text=True))
    assert client.post(f"/helpdesk/{a.id}/afkeuren", data={"csrf_token": token, "reden": "Klas ontbreekt."}).status_code == 303
    bericht = MailBericht.get(MailBericht.aan == "bea@voorbeeld.nl")
    basis = app.config["PUBLIC_URL"].rstrip("/")
    link = re.search(re.escape(basis) + r"(/leerlinglijst/opsturen\?\S+)", bericht.tekst).group(1)
    assert f"opnieuw={a.status_token}" in link and link in bericht.html.replace("&amp;", "&")
    bezoeker = app.test_client()
    assert 'value="Bea Bezoeker"' in bezoeker.get(link).get_data(as_text=True)
