"""The check of a large upload as a job (portal/controles.py): the waiting page and its progress
fragment, the claim by several workers, a claim taken over after a crash, a check that fails."""
import json
import threading
from datetime import timedelta

import pytest

from portal import controles, wizard
from portal.extensions import db
from portal.models import Aanlevering, Controle, MailBericht, nu
from tests.conftest import csrf_token
from tests.test_wizard import HX, VO_OVER, goede_lijst, lijst_met_fouten, post_file

URL = "/leerlinglijst/opsturen" + VO_OVER


@pytest.fixture
def als_taak(app):
    """Every list, however small, goes through the queue (as a list above INLINE_BYTES does)."""
    app.config["CONTROLE_INLINE_BYTES"] = 0
    return app


def opsturen(client, data, **velden):
    response = post_file(client, URL, data, csrf_token(client, URL), **velden)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def in_app(app, functie, *args):
    with app.app_context():
        db.database.connect(reuse_if_open=True)
        try:
            return functie(*args)
        finally:
            db.database.close()


def test_a_large_list_waits_on_a_page_that_follows_the_check_and_ends_on_success(als_taak, client):
    location = opsturen(client, goede_lijst(5))
    assert "/leerlinglijst/controle/" in location
    assert Controle.get().status == "wacht" and Aanlevering.select().count() == 0

    # Without JavaScript: the whole page, which reloads itself, with a plain link beside it.
    wachten = client.get(location)
    html = wachten.get_data(as_text=True)
    assert wachten.status_code == 200 and wachten.headers["Refresh"] == "2"
    assert "Uw lijst wordt gecontroleerd" in html and "Stap 5: Verwerken" in html
    assert "Bekijk of de controle klaar is" in html
    # With htmx: the fragment that polls itself, replaced by the next one until the check is done.
    fragment = client.get(location.replace("?", "/voortgang?"), headers=HX)
    deel = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in deel and "Refresh" not in fragment.headers
    assert 'id="controle-voortgang"' in deel and 'hx-trigger="load delay:1s"' in deel and 'hx-swap="outerHTML"' in deel
    assert "Uw lijst staat klaar om gecontroleerd te worden" in deel

    assert in_app(als_taak, controles.verwerk_wachtende) == 1

    klaar = client.get(location.replace("?", "/voortgang?"), headers=HX)
    assert klaar.status_code == 204 and klaar.headers["HX-Redirect"] == location
    succes = client.get(location)
    assert succes.status_code == 303 and "/leerlinglijst/klaar/" in succes.headers["Location"]
    pagina = client.get(succes.headers["Location"]).get_data(as_text=True)
    assert "Leerlinglijst succesvol opgestuurd" in pagina and "Nog een lijst opsturen" in pagina
    aanlevering = Aanlevering.get()
    assert aanlevering.aantal_leerlingen == 5 and aanlevering.kanaal == "publiek"
    assert MailBericht.select().where(MailBericht.aan == "beheerder@voorbeeld.nl").count() == 1
    assert MailBericht.select().where(MailBericht.aan == "helpdesk-team@voorbeeld.nl").count() == 1
    assert Controle.select().count() == 0  # the personal data of the check is gone once it is sent
    # Back to the waiting page (or a reload) now leads to the list, not to "Controle verlopen".
    terug = client.get(location)
    assert terug.status_code == 303 and f"/leerlinglijst/klaar/{aanlevering.kenmerk}" in terug.headers["Location"]


def test_a_large_list_with_errors_ends_on_the_result_page(als_taak, client):
    location = opsturen(client, lijst_met_fouten())
    in_app(als_taak, controles.verwerk_wachtende)
    html = client.get(location).get_data(as_text=True)
    assert "De leerlinglijst is nog niet opgestuurd" in html and "2 fouten" in html
    assert Aanlevering.select().count() == 0 and Controle.get().status == "klaar"


def test_only_the_browser_that_sent_it_sees_the_waiting_page(als_taak, app, client):
    location = opsturen(client, goede_lijst(3))
    ander = app.test_client()
    assert ander.get(location).status_code == 410
    assert ander.get(location.replace("?", "/voortgang?"), headers=HX).headers["HX-Redirect"] == location
    assert Controle.get().status == "wacht"


def test_a_small_list_is_still_answered_in_one_request(app, client):
    """Below CONTROLE_INLINE_BYTES the upload checks the list itself: no waiting page."""
    assert len(goede_lijst(5)) < controles.INLINE_BYTES * controles.XLSX_DEEL
    location = opsturen(client, goede_lijst(5))
    assert "/leerlinglijst/klaar/" in location and Aanlevering.select().count() == 1


def _wachtende_lijsten(client, aantal):
    for i in range(aantal):
        opsturen(client, goede_lijst(3, seed=40 + i))
    assert Controle.select().where(Controle.status == "wacht").count() == aantal


def test_two_workers_run_each_check_exactly_once(als_taak, app, client):
    _wachtende_lijsten(client, 6)
    start = threading.Barrier(2)
    gedaan = []

    def worker():
        start.wait()
        gedaan.append(in_app(app, controles.verwerk_wachtende))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(gedaan) == 6
    assert Aanlevering.select().count() == 6
    assert len({a.bestandsnaam + a.kenmerk for a in Aanlevering.select()}) == 6
    assert Controle.select().where(Controle.kenmerk.is_null()).count() == 0
    assert MailBericht.select().where(MailBericht.aan == "helpdesk-team@voorbeeld.nl").count() == 6


def test_the_same_check_is_claimed_by_one_of_two_workers(als_taak, app, client):
    _wachtende_lijsten(client, 1)
    controle_id = Controle.get().id
    start = threading.Barrier(2)
    claims = []

    def worker():
        start.wait()
        claims.append(in_app(app, controles.claim, controle_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(claims) == 2 and sum(c is not None for c in claims) == 1
    assert Controle.get().status == "bezig" and Controle.get().pogingen == 1


def test_a_crashed_workers_claim_is_taken_over_and_its_late_result_is_dropped(als_taak, app, client):
    location = opsturen(client, goede_lijst(4))
    controle_id = Controle.get().id
    with app.app_context():
        oude_claim = controles.claim(controle_id)
        assert oude_claim is not None
        assert controles.verwerk_wachtende() == 0  # held: nobody else takes it
        # The worker died mid-check: its claim runs out.
        Controle.update(geclaimd_tot=nu() - timedelta(seconds=1)).where(Controle.id == controle_id).execute()
        oude_claim = Controle.get_by_id(controle_id).geclaimd_tot
        assert controles.verwerk_wachtende() == 1
        assert Controle.get_by_id(controle_id).pogingen == 2
        # The first worker wakes up after all and tries to write: it no longer holds the check.
        with pytest.raises(controles.ClaimVerloren):
            wizard.voer_uit(Controle.get_by_id(controle_id), oude_claim)
    assert Aanlevering.select().count() == 1
    assert "/leerlinglijst/klaar/" in client.get(location).headers["Location"]


def test_a_check_that_fails_ends_on_a_dutch_page_not_a_wait(als_taak, app, client):
    location = opsturen(client, goede_lijst(3))
    # The format this list was sent for no longer exists when the worker gets to it.
    Controle.update(soort="vervallen").execute()
    in_app(app, controles.verwerk_wachtende)
    assert Controle.get().status == "mislukt" and bytes(Controle.get().bestand) == b""
    assert client.get(location.replace("?", "/voortgang?"), headers=HX).headers["HX-Redirect"] == location
    pagina = client.get(location)
    html = pagina.get_data(as_text=True)
    assert pagina.status_code == 500 and "De controle van uw lijst is mislukt" in html
    assert "Er is niets opgestuurd naar de helpdesk" in html and "Bestand opnieuw opsturen" in html
    assert Aanlevering.select().count() == 0


def test_a_check_that_keeps_crashing_its_worker_is_given_up(als_taak, app, client):
    location = opsturen(client, goede_lijst(3))
    Controle.update(status="bezig", pogingen=controles.MAX_POGINGEN,
                    geclaimd_tot=nu() - timedelta(seconds=1)).execute()
    in_app(app, controles.verwerk_wachtende)
    assert Controle.get().status == "mislukt"
    assert "De controle van uw lijst is mislukt" in client.get(location).get_data(as_text=True)


def test_the_command_runs_what_waits(als_taak, app, client):
    _wachtende_lijsten(client, 2)
    result = app.test_cli_runner().invoke(args=["controles-verwerken"])
    assert result.exit_code == 0 and "2 lijsten gecontroleerd." in result.output
    assert Aanlevering.select().count() == 2


def test_the_worker_thread_runs_a_check_it_is_woken_for(als_taak, app, client):
    stop = threading.Event()
    thread = controles.start_worker(app, interval=0.2, stop=stop)
    try:
        location = opsturen(client, goede_lijst(3))
        for _ in range(100):
            if Aanlevering.select().count():
                break
            threading.Event().wait(0.1)
        assert "/leerlinglijst/klaar/" in client.get(location).headers["Location"]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


@pytest.mark.parametrize("nieuwe_lijst", ["hele-lijst", "een-leerling"])
def test_students_the_school_already_has_are_named_both_for_a_large_and_a_small_list(app, login, client, nieuwe_lijst):
    """The portal warns for every student the school already has (already_registered): a list as
    large as the school reads the school's numbers once, a small one looks its numbers up."""
    from portal import verwerken
    from portal.lijsten.formats import format_voor
    from tests.builders import leerlingen, make_xlsx, titel
    login("vo")
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 5, seed=21)
    portaal = "/uploaden/opsturen" + VO_OVER
    assert "/uploaden/klaar/" in post_file(client, portaal, make_xlsx(fmt, rijen), csrf_token(client, portaal)).headers["Location"]
    with app.app_context():
        verwerken.verwerk(Aanlevering.get())
    # Known by its BSN alone: the school's student got another leerlingnummer in this list.
    nieuw = [dict(rijen[2], **{titel(fmt, "leerlingnummer"): "990001"})]
    if nieuwe_lijst == "hele-lijst":
        nieuw = rijen[:2] + nieuw + rijen[3:]
    response = post_file(client, portaal, make_xlsx(fmt, nieuw), csrf_token(client, portaal), bestandsnaam="tweede.xlsx")
    assert "/uploaden/klaar/" in response.headers["Location"]
    tweede = Aanlevering.get(Aanlevering.bestandsnaam == "tweede.xlsx")
    bekend = {b["value"] for b in json.loads(tweede.waarschuwingen_json) if b["code"] == "already_registered"}
    verwacht = {r[titel(fmt, "leerlingnummer")] for r in nieuw}
    assert bekend == verwacht


def test_step_8_makes_the_checks_of_a_version_6_database_finished_jobs(app):
    """A version-6 controle table (no status) gets the job's columns; its checks count as done."""
    from peewee import BlobField, CharField, DateTimeField, IntegerField, Model, TextField
    from portal import migrations
    from portal.models import SchemaVersie
    database = db.database

    class V6Controle(Model):
        token = CharField(unique=True); kanaal = CharField(); schoolsoort = CharField(); soort = CharField()
        gebruiker_id = IntegerField(null=True); instantie_id = IntegerField(null=True)
        naam = CharField(default=""); email = CharField(default=""); toelichting = TextField(default="")
        bestandsnaam = CharField(); bestand = BlobField(); rijen = IntegerField(default=0)
        fouten_json = TextField(default="[]"); waarschuwingen_json = TextField(default="[]")
        aangemaakt = DateTimeField(default=nu)

        class Meta:
            table_name = "controle"

    with app.app_context():
        from portal.models import Correctie, Correctielijst, Correctierij  # a version-6 database has none
        database.drop_tables([Correctie, Correctierij, Correctielijst, Controle])
        V6Controle._meta.set_database(database)
        database.create_tables([V6Controle])
        V6Controle.create(token="oud", kanaal="publiek", schoolsoort="VO", soort="overstapper",
                          bestandsnaam="oud.xlsx", bestand=b"PK", fouten_json='[{"code": "x"}]')
        SchemaVersie.update(versie=6).execute()
        assert migrations.upgrade(database) == (6, migrations.LAATSTE)
        oud = Controle.get(Controle.token == "oud")
        assert (oud.status, oud.pogingen, oud.geclaimd_tot, oud.kenmerk) == ("klaar", 0, None, None)
        assert controles.wachtende() == []
        assert migrations.upgrade(database) == (migrations.LAATSTE, migrations.LAATSTE)


def test_an_xlsx_costs_more_per_byte_than_a_csv_so_its_inline_limit_is_lower(app, client):
    """Per byte an .xlsx (compressed) takes about three times as long to check as a .csv."""
    from portal.lijsten.formats import format_voor
    from tests.builders import leerlingen, make_csv
    fmt = format_voor("VO", "overstapper")
    rijen = leerlingen(fmt, 5, seed=8)
    xlsx = goede_lijst(5)
    app.config["CONTROLE_INLINE_BYTES"] = int(len(xlsx) / 0.8)  # the .xlsx is 80 % of the limit
    assert "/controle/" in opsturen(client, xlsx)
    csv_bestand = make_csv(fmt, rijen)
    assert len(csv_bestand) <= app.config["CONTROLE_INLINE_BYTES"]
    assert "/klaar/" in opsturen(client, csv_bestand, bestandsnaam="leerlingen.csv")
