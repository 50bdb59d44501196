"""Hardening (issue #10): links from PUBLIC_URL, trusted hosts and proxies, sessions that end, login
back-off, rate-limit keys, a slow SMTP server, control characters, secrets in logs, the export's
audit record and HSTS. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
import asyncio
import io
import logging
import re
import statistics
import threading
import time

import pytest

from app import create_app
from portal import mail, migrations
from portal.extensions import db
from portal.models import Aanlevering, Gebeurtenis, Gebruiker, Instantie, MailBericht
from tests.aanleveringen_builder import maak_aanlevering
from tests.builders import leerlingen, make_xlsx
from tests.conftest import DEMO, WACHTWOORD, csrf_from, csrf_token, do_login, free_port, seed

PUBLIC_URL = "https://portaal.regio.example"
VO_OVER = "?schoolsoort=VO&soort=overstapper"
COOKIE = "leerlinglijst_sessie"


@pytest.fixture
def maak_app(app_config, tmp_path):
    """An app with extra settings (a fresh instance folder each), schema and demo data in place."""
    teller = iter(range(100))

    def _maak(**extra):
        application = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / f"i{next(teller)}"), **extra})
        with application.app_context():
            migrations.upgrade(db.database)
            seed(application)
        return application
    yield _maak
    if not db.database.is_closed():
        db.database.close()


def _vergeten(client, email, **kwargs):
    token = csrf_from(client.get("/wachtwoord-vergeten", **kwargs).get_data(as_text=True))
    return client.post("/wachtwoord-vergeten", data={"csrf_token": token, "email": email}, **kwargs)


def _publiek_opsturen(client, base_url, **velden):
    url = "/leerlinglijst/opsturen" + VO_OVER
    token = csrf_from(client.get(url, base_url=base_url).get_data(as_text=True))
    from portal.lijsten.formats import format_voor
    fmt = format_voor("VO", "overstapper")
    form = {"csrf_token": token, "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
            "naam": "Bezoeker", "email": "bezoeker@voorbeeld.nl", "toelichting": "",
            "bestand": (io.BytesIO(make_xlsx(fmt, leerlingen(fmt, 2, seed=11))), velden.pop("bestandsnaam", "lijst.xlsx")),
            **velden}
    return client.post(url, data=form, content_type="multipart/form-data", base_url=base_url)


# -- 1. links from PUBLIC_URL, unknown hosts refused -----------------------------------------------------
def test_mail_links_come_from_public_url_never_from_the_host_header(maak_app):
    app = maak_app(PUBLIC_URL=PUBLIC_URL, DEVELOPMENT=True)  # development: any Host is served
    client = app.test_client()
    kwaad = "http://evil.example"
    assert _vergeten(client, DEMO["helpdesk"], base_url=kwaad).status_code == 303
    assert _publiek_opsturen(client, kwaad).status_code == 303
    teksten = [b.tekst + b.html for b in MailBericht.select()]
    assert len(teksten) == 3  # the reset link, the confirmation with its status link, the helpdesk's notice
    assert not any("evil.example" in t for t in teksten)
    reset = MailBericht.get(MailBericht.aan == DEMO["helpdesk"]).tekst
    assert re.search(re.escape(PUBLIC_URL) + r"/wachtwoord-herstellen/\S+", reset)
    bevestiging = MailBericht.get(MailBericht.aan == "bezoeker@voorbeeld.nl").tekst
    assert PUBLIC_URL + "/leerlinglijst/status/" in bevestiging
    assert PUBLIC_URL + "/helpdesk/" in MailBericht.get(MailBericht.aan == "helpdesk-team@voorbeeld.nl").tekst


def test_outside_development_an_unknown_host_is_refused(maak_app):
    app = maak_app(PUBLIC_URL=PUBLIC_URL, EXTRA_HOSTS=["intern.regio.example"])
    assert app.config["TRUSTED_HOSTS"] == ["portaal.regio.example", "intern.regio.example"]
    client = app.test_client()
    response = client.post("/wachtwoord-vergeten", base_url="http://evil.example",
                           data={"email": DEMO["helpdesk"]})
    assert response.status_code == 400 and "alleen bereikbaar via" in response.get_data(as_text=True)
    assert MailBericht.select().count() == 0
    assert client.get("/inloggen", base_url=PUBLIC_URL).status_code == 200
    assert client.get("/inloggen", base_url="http://intern.regio.example").status_code == 200


def test_without_public_url_links_point_at_loopback(maak_app):
    app = maak_app(PORT="5123")
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5123"
    _vergeten(app.test_client(), DEMO["mbo"])
    assert "http://127.0.0.1:5123/wachtwoord-herstellen/" in MailBericht.get().tekst


# -- 5. sessions end --------------------------------------------------------------------------------------
def _kopie(app, client):
    """A second browser with a copy of this client's session cookie."""
    ander = app.test_client()
    ander.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return ander


def test_logout_ends_a_copied_cookie(app, login, client):
    login("vo")
    kopie = _kopie(app, client)
    assert kopie.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/uitloggen", data={"csrf_token": token}).status_code == 303
    assert kopie.get("/").status_code == 302
    assert kopie.get("/leerlingen/").headers["Location"].startswith("/inloggen")


def test_password_reset_ends_every_other_session(app, login, client):
    login("mbo")
    assert client.get("/").status_code == 200
    herstel = app.test_client()
    _vergeten(herstel, DEMO["mbo"])
    link = re.search(r"http://127.0.0.1:5000(/wachtwoord-herstellen/\S+)", MailBericht.get().tekst).group(1)
    token = csrf_from(herstel.get(link).get_data(as_text=True))
    assert herstel.post(link, data={"csrf_token": token, "wachtwoord": "nieuw-wachtwoord-123",
                                    "herhaling": "nieuw-wachtwoord-123"}).status_code == 303
    assert client.get("/").status_code == 302
    assert do_login(herstel, DEMO["mbo"], "nieuw-wachtwoord-123").status_code == 303


@pytest.mark.parametrize("rol, uren, blijft", [("vo", 11.5, True), ("vo", 12.5, False),
                                               ("helpdesk", 7.5, True), ("helpdesk", 8.5, False)])
def test_sessions_have_an_absolute_lifetime(app, login, client, rol, uren, blijft):
    login(rol)
    with client.session_transaction() as sessie:  # as if the login was that long ago, active all the while
        sessie["begonnen"] -= int(uren * 3600)
    assert client.get("/").status_code == (200 if blijft else 302)


def test_a_session_from_before_the_upgrade_is_logged_out(app, client):
    gebruiker = Gebruiker.met_email(DEMO["vo"])
    with client.session_transaction() as sessie:
        sessie["_user_id"], sessie["begonnen"] = str(gebruiker.id), int(time.time())
    assert client.get("/").status_code == 302


# -- 6. login guessing --------------------------------------------------------------------------------------
def _inloggen_van(client, adres, email, wachtwoord):
    omgeving = {"REMOTE_ADDR": adres}
    token = csrf_from(client.get("/inloggen", environ_base=omgeving).get_data(as_text=True))
    return client.post("/inloggen", data={"csrf_token": token, "email": email, "wachtwoord": wachtwoord},
                       environ_base=omgeving)


def test_wrong_passwords_from_many_addresses_lock_the_account_with_back_off(app, client):
    from portal.models import Afremming
    statussen = [_inloggen_van(client, f"127.0.1.{i}", DEMO["helpdesk"], "geraden").status_code for i in range(6)]
    assert statussen == [422] * 5 + [429]
    geweigerd = _inloggen_van(client, "127.0.2.1", DEMO["helpdesk"], WACHTWOORD)
    assert geweigerd.status_code == 429
    assert "te vaak een verkeerd wachtwoord" in geweigerd.get_data(as_text=True)
    assert Afremming.wachttijd(DEMO["helpdesk"]) > 0
    # The wait doubles with each further wrong password once it has passed.
    Afremming.update(wacht_tot=None).execute()
    assert _inloggen_van(client, "127.0.3.1", DEMO["helpdesk"], "geraden").status_code == 422
    assert 30 < Afremming.wachttijd(DEMO["helpdesk"]) <= 60
    Afremming.update(wacht_tot=None).execute()
    assert _inloggen_van(client, "127.0.3.2", DEMO["helpdesk"], WACHTWOORD).status_code == 303
    assert Afremming.select().count() == 0  # a good login clears the count


def test_an_unknown_address_is_locked_the_same_way(app, client):
    statussen = [_inloggen_van(client, f"127.0.4.{i}", "niemand@voorbeeld.nl", "geraden").status_code for i in range(6)]
    assert statussen == [422] * 5 + [429]


def test_known_and_unknown_addresses_take_the_same_time(app, client):
    def duur(email, adres):
        omgeving = {"REMOTE_ADDR": adres}
        token = csrf_from(client.get("/inloggen", environ_base=omgeving).get_data(as_text=True))
        begin = time.perf_counter()
        client.post("/inloggen", data={"csrf_token": token, "email": email, "wachtwoord": "geraden"},
                    environ_base=omgeving)
        return time.perf_counter() - begin
    bekend = statistics.median(duur(DEMO["vo"], f"127.0.5.{i}") for i in range(3))
    onbekend = statistics.median(duur(f"niemand{i}@voorbeeld.nl", f"127.0.6.{i}") for i in range(3))
    assert onbekend > 0.5 * bekend, (bekend, onbekend)


def test_reset_mails_are_capped_per_account(app, client):
    for i in range(5):
        assert _vergeten(client, DEMO["mbo"], environ_base={"REMOTE_ADDR": f"127.0.7.{i}"}).status_code == 303
    assert MailBericht.select().where(MailBericht.aan == DEMO["mbo"]).count() == 3


# -- 7. rate limits behind a proxy, per visitor ----------------------------------------------------------
def _logins_met_xff(client, adressen):
    statussen = []
    for i, adres in enumerate(adressen):
        token = csrf_token(client)
        statussen.append(client.post("/inloggen", headers={"X-Forwarded-For": adres}, data={
            "csrf_token": token, "email": f"iemand{i}@voorbeeld.nl", "wachtwoord": "x"}).status_code)
    return statussen


def test_forwarded_for_is_ignored_without_proxy_count(maak_app):
    app = maak_app(LOGIN_LIMIT="2 per minute")
    # Rotating X-Forwarded-For does not get a client past its limit.
    assert _logins_met_xff(app.test_client(), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == [422, 422, 429]


def test_behind_one_proxy_each_client_has_its_own_limit(maak_app):
    app = maak_app(LOGIN_LIMIT="2 per minute", PROXY_COUNT=1)
    client = app.test_client()
    assert _logins_met_xff(client, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == [422, 422, 422]
    assert _logins_met_xff(client, ["10.0.0.9", "10.0.0.9", "10.0.0.9"]) == [422, 422, 429]


def test_the_per_visitor_key_tells_visitors_behind_one_address_apart(app):
    from portal.extensions import per_bezoeker
    sleutels = []
    for _ in range(2):  # two browsers behind one school address
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
            from flask import session
            eerste = per_bezoeker()  # a first visit gets its own id at once
            sleutels.append((eerste, per_bezoeker(), session["bezoeker"]))
    (eerste_a, a, id_a), (eerste_b, b, id_b) = sleutels
    assert eerste_a == a == f"bezoeker:192.0.2.7:{id_a}" and eerste_b == b == f"bezoeker:192.0.2.7:{id_b}"
    assert a != b


# -- 8. a slow SMTP server --------------------------------------------------------------------------------
def test_a_slow_smtp_server_gets_a_mail_exactly_once(app, monkeypatch):
    """The server takes 4 s to answer DATA; a second worker comes by after the old claim time."""
    from aiosmtpd.controller import Controller
    ontvangen = []

    class Traag:
        async def handle_DATA(self, server, session, envelope):
            ontvangen.append(envelope.content)
            await asyncio.sleep(4)
            return "250 OK"

    poort = free_port()
    controller = Controller(Traag(), hostname="127.0.0.1", port=poort)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=poort, MAIL_TIMEOUT=0.5)
        state = app.extensions["mail"]
        state.server, state.port, state.suppress = "127.0.0.1", poort, False
        monkeypatch.setattr(mail, "CLAIM_SECONDEN", 2)  # the claim a test can wait out
        MailBericht.create(aan="ouder@voorbeeld.nl", onderwerp="Test", tekst="Hallo")

        def worker(vertraging):
            time.sleep(vertraging)
            with app.app_context():
                db.database.connect(reuse_if_open=True)
                try:
                    mail.send_pending()
                finally:
                    db.database.close()
        draden = [threading.Thread(target=worker, args=(v,)) for v in (0, 2.5)]
        for draad in draden:
            draad.start()
        for draad in draden:
            draad.join(20)
        time.sleep(2)  # let the server finish what it was given
    finally:
        controller.stop()
    assert len(ontvangen) == 1
    bericht = MailBericht.get()
    assert bericht.verzonden is None and bericht.pogingen == 1 and "timed out" in bericht.laatste_fout


# -- 10. control characters ---------------------------------------------------------------------------------
@pytest.mark.parametrize("veld, waarde, titel", [
    ("naam", "Jan\x00Jansen", "Onleesbaar teken in Uw naam"),
    ("toelichting", "Zie\x00bijlage", "Onleesbaar teken in Toelichting"),
    ("bestandsnaam", "lijst\x00.xlsx", "Onleesbaar teken in de bestandsnaam"),
    ("bestandsnaam", "lijst\x1b.xlsx", "Onleesbaar teken in de bestandsnaam"),
])
def test_control_characters_in_the_form_are_a_message_not_a_500(client, veld, waarde, titel):
    response = _publiek_opsturen(client, "http://localhost", **{veld: waarde})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and titel in html
    assert "Typ de tekst opnieuw in" in html or "Geef het bestand een gewone naam" in html
    assert Aanlevering.select().count() == 0


def test_control_characters_in_a_fragment_request_go_to_the_messages(client):
    token = csrf_token(client)
    response = client.post("/inloggen", data={"csrf_token": token, "email": "a\x00@voorbeeld.nl", "wachtwoord": "x"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#meldingen"
    assert "Onleesbaar teken in Uw e-mailadres" in response.get_data(as_text=True)


def test_a_line_break_in_next_gives_a_safe_redirect(client):
    token = csrf_token(client)
    response = client.post("/inloggen?next=%2F%0D%0ASet-Cookie%3A%20x%3D1",
                           data={"csrf_token": token, "email": DEMO["vo"], "wachtwoord": WACHTWOORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


# -- 11. secrets stay out of the logs -----------------------------------------------------------------------
def test_tokens_are_masked_in_the_access_log(app, caplog):
    from werkzeug.serving import make_server
    a = maak_aanlevering(kanaal="publiek", aantal=1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    draad = threading.Thread(target=server.serve_forever, daemon=True)
    draad.start()
    try:
        import urllib.request
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for pad in (f"/leerlinglijst/status/{a.status_token}", "/wachtwoord-herstellen/eyJpZCI6Mn0.geheim",
                        f"/leerlinglijst/opsturen?schoolsoort=VO&soort=overstapper&opnieuw={a.status_token}"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{pad}", timeout=10).read()
                except urllib.error.HTTPError:
                    pass
    finally:
        server.shutdown()
    regels = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/leerlinglijst/status/***" in r for r in regels), regels
    assert any("/wachtwoord-herstellen/***" in r for r in regels), regels
    assert any("&opnieuw=***" in r for r in regels), regels
    assert not any(a.status_token in r or "geheim" in r for r in caplog.messages)


def test_tokens_are_masked_in_gunicorns_access_log(database_url, tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path
    log = tmp_path / "access.log"
    poort = free_port()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x", "MAIL_WORKER": "0", "PORT": str(poort)}
    proces = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--bind",
                               f"127.0.0.1:{poort}", "--access-logfile", str(log), "app:create_app()"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{poort}/leerlinglijst/status/GEHEIMTOKEN123", timeout=2)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
    finally:
        proces.terminate()
        proces.wait(10)
    tekst = log.read_text()
    assert "/leerlinglijst/status/***" in tekst and "GEHEIMTOKEN123" not in tekst


# -- 12. the export is in the audit log ----------------------------------------------------------------------
def test_the_student_export_is_audited_and_shown_to_the_helpdesk(app, login, client):
    from portal import verwerken
    verwerken.verwerk(maak_aanlevering(aantal=3))
    login("vo")
    response = client.get("/leerlingen/export?type=overstapper&q=123456782")
    assert response.status_code == 200
    g = Gebeurtenis.get(Gebeurtenis.actie == "leerlingen_geexporteerd")
    assert g.gebruiker.email == DEMO["vo"] and g.aanlevering is None and g.tijd
    assert g.details.startswith("0 leerlingen, VO-overstapper") or g.details.startswith("3 leerlingen, VO-overstapper")
    assert "123456782" not in g.details and "met zoekterm" in g.details
    client.get("/leerlingen/export?type=overstapper")
    laatste = Gebeurtenis.select().where(Gebeurtenis.actie == "leerlingen_geexporteerd").order_by(Gebeurtenis.id.desc()).get()
    assert laatste.details.startswith("3 leerlingen, VO-overstapper, eigen instanties")
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/uitloggen", data={"csrf_token": token})
    login("helpdesk")
    html = client.get("/helpdesk/logboek").get_data(as_text=True)
    assert "leerlingen geexporteerd" in html and "3 leerlingen, VO-overstapper" in html and DEMO["vo"] in html
    assert 'href="/helpdesk/logboek"' in client.get("/helpdesk/").get_data(as_text=True)


def test_only_the_helpdesk_reads_the_log(login, client):
    login("vo")
    assert client.get("/helpdesk/logboek").status_code == 404


# -- 13. HSTS -------------------------------------------------------------------------------------------------
def test_hsts_only_over_https(maak_app):
    app = maak_app()
    client = app.test_client()
    assert client.get("/inloggen", base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/inloggen").headers
    # A forwarded https counts only behind a proxy that PROXY_COUNT declares.
    assert "Strict-Transport-Security" not in client.get("/inloggen", headers={"X-Forwarded-Proto": "https"}).headers
    achter_proxy = maak_app(PROXY_COUNT=1).test_client()
    assert "Strict-Transport-Security" in achter_proxy.get("/inloggen", headers={"X-Forwarded-Proto": "https"}).headers


# -- #11 point 18: seed-demo does not print an operator's password ------------------------------------------------
def test_seed_demo_never_prints_a_chosen_password(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert WACHTWOORD not in result.output and "het wachtwoord uit DEMO_PASSWORD" in result.output


def test_seed_demo_names_the_documented_default(maak_app):
    from portal.config import DEFAULT_DEMO_PASSWORD
    app = maak_app(DEMO_PASSWORD=DEFAULT_DEMO_PASSWORD)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert DEFAULT_DEMO_PASSWORD in result.output and "standaardwachtwoord" in result.output


def test_a_field_check_does_not_send_back_an_older_session_cookie(client):
    """A field check runs in the background and may answer after the form's own POST: if it sent
    the cookie it started with, that older cookie would replace the newer one (a lost flash or a
    lost check). It sends none unless it changed the session; a page still refreshes the cookie."""
    url = "/leerlinglijst/opsturen/veld?schoolsoort=VO&soort=overstapper"
    token = csrf_token(client, "/leerlinglijst/opsturen?schoolsoort=VO&soort=overstapper")
    veldcheck = client.post(url, data={"csrf_token": token, "_veld": "naam", "naam": "Bea"},
                            headers={"HX-Request": "true"})
    assert veldcheck.status_code == 200 and "rij-naam" in veldcheck.get_data(as_text=True)
    assert not any(c.startswith("leerlinglijst_sessie=") for c in veldcheck.headers.getlist("Set-Cookie"))
    pagina = client.get("/leerlinglijst/opsturen?schoolsoort=VO&soort=overstapper")
    assert any(c.startswith("leerlinglijst_sessie=") for c in pagina.headers.getlist("Set-Cookie"))
