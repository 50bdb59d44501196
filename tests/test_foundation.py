"""The foundation: factory, accounts, roles, the route policy, CSRF, headers, migrations, seed."""
import re
from datetime import datetime, timedelta

import pytest
from peewee import CharField, IntegerField, Model, SqliteDatabase, BooleanField, DateTimeField, ForeignKeyField

from app import create_app
from portal import migrations
from portal.extensions import db
from portal.models import Aanlevering, Gebruiker, Instantie, Leerling, MailBericht
from tests.conftest import DEMO, WACHTWOORD, csrf_from, csrf_token, do_login


def test_factory_reads_config_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPDESK_EMAIL", "hulp@voorbeeld.nl")
    monkeypatch.setenv("HTMX_CDN", "0")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                      "INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["HELPDESK_EMAIL"] == "hulp@voorbeeld.nl"
    assert app.config["HTMX_CDN"] is False
    assert app.config["SECRET_KEY"]  # generated and kept in the instance folder
    assert (tmp_path / "inst" / "secret_key").exists()
    again = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                        "INSTANCE_PATH": str(tmp_path / "inst")})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["DATABASE"].database == str(tmp_path / "inst" / "leerlinglijst.db")


def test_portal_asks_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inloggen?next=/"
    page = client.get("/inloggen").get_data(as_text=True)
    assert '<label for="email">E-mailadres' in page and '<label for="wachtwoord">Wachtwoord' in page


def test_login_shows_name_role_and_instantie(login, client):
    login("vo")
    page = client.get("/").get_data(as_text=True)
    assert "Vera Oosterhout" in page and "VO beheerder" in page and "Voorbeeldcollege" in page


def test_wrong_password_is_422_with_a_dutch_message(client):
    response = do_login(client, DEMO["vo"], "fout-wachtwoord")
    assert response.status_code == 422
    assert "Het e-mailadres of het wachtwoord klopt niet." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_ends_the_session(login, client):
    login("mbo")
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post("/uitloggen", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_login_is_rate_limited(client):
    # Eleven addresses: the per-address limit of one client, not the per-account back-off.
    responses = [do_login(client, f"gok{i}@voorbeeld.nl", "fout") for i in range(11)]
    assert [r.status_code for r in responses[:10]] == [422] * 10
    assert responses[10].status_code == 429
    assert "U heeft dit te vaak geprobeerd" in responses[10].get_data(as_text=True)
    # Even the right password waits until the limit has passed.
    assert do_login(client, DEMO["vo"]).status_code == 429


def test_session_cookie_flags(client, app):
    response = do_login(client, DEMO["vo"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=1)


def test_secure_cookie_outside_development(monkeypatch):
    from portal import config
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert config.from_environment()["SESSION_COOKIE_SECURE"] is True


def test_open_redirect_after_login_is_refused(client):
    token = csrf_token(client)
    response = client.post("/inloggen?next=https://kwaad.example/", data={
        "csrf_token": token, "email": DEMO["vo"], "wachtwoord": WACHTWOORD})
    assert response.headers["Location"] == "/"


def test_every_route_declares_who_may_use_it(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "toegang", None) not in ("anoniem", "ingelogd", "beheerder", "helpdesk"):
            undeclared.append(rule.rule)
    assert undeclared == []


def test_helpdesk_routes_are_closed_to_beheerders(app, login, client):
    login("vo")
    helpdesk_rules = [r for r in app.url_map.iter_rules()
                      if getattr(app.view_functions[r.endpoint], "toegang", None) == "helpdesk" and not r.arguments]
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert helpdesk_rules
    for rule in helpdesk_rules:
        if "GET" in rule.methods:
            assert client.get(rule.rule).status_code == 404, rule.rule
        else:
            assert client.post(rule.rule, data={"csrf_token": token}).status_code == 404, rule.rule


def test_csrf_rejected_without_token_with_friendly_message(client):
    response = client.post("/inloggen", data={"email": DEMO["vo"], "wachtwoord": WACHTWOORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Formulier verlopen" in page and "Traceback" not in page


def test_csrf_accepted_through_the_htmx_header(client):
    token = csrf_token(client)
    response = client.post("/inloggen", data={"email": DEMO["vo"], "wachtwoord": WACHTWOORD},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303


def test_security_headers_on_every_get_route(app, login, client):
    login("helpdesk")
    paths = [r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments and r.endpoint != "static"]
    assert "/" in paths and "/inloggen" in paths
    for path in paths:
        response = client.get(path)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"], path
        assert response.headers["Cache-Control"] == "no-store", path


def test_htmx_from_cdn_with_sri_or_local(app_config, tmp_path):
    from portal.config import HTMX_SRI
    cdn = create_app({**app_config, "HTMX_CDN": True, "INSTANCE_PATH": str(tmp_path / "a")})
    page = cdn.test_client().get("/inloggen")
    html = page.get_data(as_text=True)
    assert re.search(r'<script src="https://[^"]+htmx\.org@2\.0\.11/dist/htmx\.min\.js" integrity="' + re.escape(HTMX_SRI) + '" crossorigin="anonymous"', html)
    assert "htmx.org@2.0.11/dist/htmx.min.js" in page.headers["Content-Security-Policy"]
    local = create_app({**app_config, "HTMX_CDN": False, "INSTANCE_PATH": str(tmp_path / "b")})
    html = local.test_client().get("/inloggen").get_data(as_text=True)
    assert 'src="/static/vendor/htmx.min.js"' in html
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html).group(1)
    assert '"historyCacheSize":0' in meta and '"selfRequestsOnly":true' in meta and '"allowEval":false' in meta
    assert '"code":"422","swap":true' in meta


def test_error_pages_in_dutch_and_as_fragment(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)
    fragment = client.get("/bestaat-niet", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.get_data(as_text=True)
    assert fragment.headers["HX-Retarget"] == "#meldingen"


def test_server_error_is_dutch_without_traceback(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_kapot")
    def kapot():
        raise RuntimeError("geheim detail")
    kapot.toegang = "anoniem"
    response = client.get("/_kapot")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Er ging iets mis" in page and "geheim detail" not in page and "Traceback" not in page


def test_too_large_request_is_413_in_dutch(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    token = csrf_token(client)
    response = client.post("/inloggen", data={"csrf_token": token, "email": "x" * 5000})
    assert response.status_code == 413
    assert "te groot" in response.get_data(as_text=True)


def test_password_reset_link_works_once(app, client):
    token = csrf_token(client, "/wachtwoord-vergeten")
    response = client.post("/wachtwoord-vergeten", data={"csrf_token": token, "email": DEMO["mbo"]})
    assert response.status_code == 303
    bericht = MailBericht.get(MailBericht.aan == DEMO["mbo"])
    link = re.search(r"http://127.0.0.1:5000(/wachtwoord-herstellen/\S+)", bericht.tekst).group(1)
    page = client.get(link).get_data(as_text=True)
    response = client.post(link, data={"csrf_token": csrf_from(page), "wachtwoord": "een-nieuw-wachtwoord", "herhaling": "een-nieuw-wachtwoord"})
    assert response.status_code == 303
    assert do_login(client, DEMO["mbo"], "een-nieuw-wachtwoord").status_code == 303
    assert "al gebruikt" in client.get(link).get_data(as_text=True)


def test_password_reset_for_unknown_address_says_the_same(client):
    token = csrf_token(client, "/wachtwoord-vergeten")
    response = client.post("/wachtwoord-vergeten", data={"csrf_token": token, "email": "onbekend@voorbeeld.nl"}, follow_redirects=True)
    assert "Als dit e-mailadres bij ons bekend is" in response.get_data(as_text=True)
    assert MailBericht.select().count() == 0


def test_expired_reset_link(app, client):
    from itsdangerous import URLSafeTimedSerializer
    from portal.auth import gebruiker_bij_token, herstel_token
    gebruiker = Gebruiker.met_email(DEMO["vo"])
    with app.test_request_context():
        token = herstel_token(gebruiker)
    app.config["WACHTWOORD_LINK_GELDIG_SECONDEN"] = -1
    with app.test_request_context():
        assert gebruiker_bij_token(token)[1] == "Deze link is verlopen. Vraag een nieuwe link aan."


def test_seed_demo_twice_is_idempotent(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert Gebruiker.select().count() == 3
    assert {i.schoolsoort for i in Instantie.select()} == {"VO", "MBO"}
    assert Gebruiker.met_email("vo@demo.nl").controleer_wachtwoord(WACHTWOORD)
    assert {i.schoolsoort for i in Gebruiker.met_email("mbo@demo.nl").instanties} == {"MBO"}


def test_instanties_import_from_csv(app, tmp_path):
    bestand = tmp_path / "scholen.csv"
    bestand.write_text("BRIN;naam;schoolsoort;plaats\n98XY;Testschool Noord;VO;Groningen\n98XZ;Testschool MBO;mbo;Assen\nXX;kapot;;\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["instanties-importeren", str(bestand)])
    assert "2 instanties toegevoegd" in result.output
    assert "rij 4" in result.output and result.exit_code == 1
    assert Instantie.get(Instantie.brin == "98XZ").schoolsoort == "MBO"


def test_create_user_command(app):
    result = app.test_cli_runner().invoke(args=[
        "gebruiker-aanmaken", "nieuw@voorbeeld.nl", "--naam", "Nieuwe Beheerder", "--rol", "vo_beheerder",
        "--brin", "99AA00", "--wachtwoord", "lang-genoeg-wachtwoord"])
    assert result.exit_code == 0, result.output
    gebruiker = Gebruiker.met_email("nieuw@voorbeeld.nl")
    assert [i.brin for i in gebruiker.instanties] == ["99AA"]


def test_migration_upgrades_an_older_database_keeping_its_data(database_url, tmp_path):
    """A database as version 1 made it (no aanleveringen, no laatst_ingelogd) is upgraded in place,
    on SQLite and on PostgreSQL."""
    from playhouse.db_url import connect
    oud = connect(database_url)

    class V1Instantie(Model):
        naam = CharField(); brin = CharField(); vestigingsnummer = CharField(default="")
        schoolsoort = CharField(); plaats = CharField(default=""); actief = BooleanField(default=True)
        class Meta:
            database = oud; table_name = "instantie"

    class V1Gebruiker(Model):
        email = CharField(unique=True); naam = CharField(); wachtwoord_hash = CharField(); rol = CharField()
        actief = BooleanField(default=True); aangemaakt = DateTimeField(default=datetime.now)
        class Meta:
            database = oud; table_name = "gebruiker"

    class V1Koppeling(Model):
        gebruiker = ForeignKeyField(V1Gebruiker); instantie = ForeignKeyField(V1Instantie)
        class Meta:
            database = oud; table_name = "gebruikerinstantie"

    oud.create_tables([V1Instantie, V1Gebruiker, V1Koppeling])
    school = V1Instantie.create(naam="Oude School", brin="97AA", schoolsoort="VO")
    V1Koppeling.create(gebruiker=V1Gebruiker.create(email="oud@voorbeeld.nl", naam="Oud", wachtwoord_hash="x", rol="vo_beheerder"), instantie=school)
    oud.close()

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i")})
    with app.app_context():
        assert migrations.huidige_versie(db.database) == 1
        assert migrations.upgrade(db.database) == (1, migrations.LAATSTE)
        gebruiker = Gebruiker.met_email("oud@voorbeeld.nl")
        assert gebruiker.laatst_ingelogd is None
        assert [i.naam for i in gebruiker.instanties] == ["Oude School"]
        assert Aanlevering.select().count() == 0 and Leerling.select().count() == 0
        assert migrations.upgrade(db.database) == (migrations.LAATSTE, migrations.LAATSTE)


def test_unsent_mail_is_visible_to_the_helpdesk_only(app, login, client):
    from portal import mail as outbox
    MailBericht.create(aan="school@voorbeeld.nl", onderwerp="Bevestiging: leerlinglijst ontvangen (LL-TEST)", tekst="x",
                       pogingen=3, laatste_fout="ConnectionRefusedError: [Errno 111] Connection refused")
    login("helpdesk")
    start = client.get("/").get_data(as_text=True)
    assert "1 e-mail is nog niet verstuurd" in start
    page = client.get("/e-mail").get_data(as_text=True)
    assert "school@voorbeeld.nl" in page and "Connection refused" in page
    response = client.post("/e-mail/opnieuw", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert "1 e-mail wordt zo opnieuw verstuurd." in client.get("/e-mail").get_data(as_text=True)
    with app.app_context():
        assert outbox.send_pending() == (1, 0)
    assert "Alle e-mail is verstuurd." in client.get("/e-mail").get_data(as_text=True)


def test_resending_an_empty_mail_queue_says_so(login, client):
    login("helpdesk")
    page = client.get("/e-mail").get_data(as_text=True)
    client.post("/e-mail/opnieuw", data={"csrf_token": csrf_from(page)})
    assert "Er staat geen e-mail klaar om opnieuw te versturen." in client.get("/e-mail").get_data(as_text=True)


def test_beheerder_cannot_see_the_mail_queue(login, client):
    login("vo")
    assert client.get("/e-mail").status_code == 404


def test_step_5_moves_files_and_rows_out_of_the_aanlevering_row(app):
    """A version-4 database kept the file and the rows in the aanlevering row; step 5 moves them."""
    from peewee import BlobField, TextField
    from playhouse.migrate import migrate as uitvoeren
    from portal.models import AanleveringInhoud, SchemaVersie
    database = db.database
    database.drop_tables([AanleveringInhoud])
    migrator = migrations._migrator(database)
    uitvoeren(migrator.add_column("aanlevering", "bestand", BlobField(null=True)),
              migrator.add_column("aanlevering", "leerlingen_json", TextField(default="[]")))
    SchemaVersie.update(versie=4).execute()
    instantie = Instantie.get(Instantie.brin == "99AA")
    database.execute_sql(
        "INSERT INTO aanlevering (kenmerk, instantie_id, schoolsoort, soort, schooljaar, naam, email, toelichting, kanaal,"
        " bestandsnaam, sha256, aantal_leerlingen, aantal_waarschuwingen, waarschuwingen_json, status, reden, status_token,"
        " aangemaakt, bestand, leerlingen_json) VALUES ('LL-OUD', %s, 'VO', 'overstapper', '2025-2026', 'Oud', 'o@voorbeeld.nl',"
        " '', 'portal', 'oud.xlsx', 'x', 1, 0, '[]', 'ingediend', '', 'tok', '2025-09-01', %s, '[{\"rij\": 2}]')"
        .replace("%s", database.param), (instantie.id, b"PK-oud"))
    assert migrations.upgrade(database) == (4, migrations.LAATSTE)
    oud = Aanlevering.get(Aanlevering.kenmerk == "LL-OUD")
    assert oud.bestand == b"PK-oud" and oud.leerlingen_json == '[{"rij": 2}]'
    assert "bestand" not in {c.name for c in database.get_columns("aanlevering")}


@pytest.mark.parametrize("path", ["/helpdesk/99999999999999999999", "/aanleveringen/99999999999999999999",
                                  "/leerlingen/99999999999999999999/wijzigen"])
def test_ids_beyond_any_database_column_are_not_found(login, client, path):
    login("helpdesk")
    assert client.get(path).status_code == 404


def test_helpdesk_filters_with_absurd_numbers_do_not_fail(login, client):
    login("helpdesk")
    assert client.get("/helpdesk/?pagina=99999999999999999999999&instantie=99999999999999999999").status_code == 200
