"""The load on its own (no Flask request): every column of every format arrives, types survive the
raw SQL on SQLite and PostgreSQL, and the claim decides who loads."""
import datetime as dt
import itertools
import json

import ijson
import pytest

from portal import verwerken
from portal.lijsten.formats import FORMATS
from portal.models import Aanlevering, Gebeurtenis, Leerling
from tests.aanleveringen_builder import maak_aanlevering

SCHOOL = {"VO": "99AA00", "MBO": "99BA00"}


@pytest.mark.parametrize("naam", list(FORMATS))
def test_every_column_of_every_format_is_loaded(app, naam):
    fmt = FORMATS[naam]
    a = maak_aanlevering(SCHOOL[fmt.schoolsoort], soort=fmt.soort, aantal=3,
                         gebruiker="vo@demo.nl" if fmt.schoolsoort == "VO" else "mbo@demo.nl")
    uitkomst = verwerken.verwerk(a)
    assert (uitkomst.nieuw, uitkomst.bijgewerkt, uitkomst.ongewijzigd) == (3, 0, 0)
    for rij in json.loads(a.leerlingen_json):
        leerling = Leerling.get((Leerling.instantie == a.instantie) & (Leerling.leerlingnummer == rij["leerlingnummer"]))
        for veld in fmt.velden:
            opgeslagen = getattr(leerling, veld)
            if isinstance(opgeslagen, dt.date):
                opgeslagen = opgeslagen.isoformat()
            verwacht = rij.get(veld)
            assert opgeslagen == (verwacht if verwacht is not None else Leerling._meta.fields[veld].default), veld
        assert leerling.type == fmt.soort and leerling.aanlevering_id == a.id
        assert isinstance(leerling.aangemaakt, dt.datetime)


def test_empty_optional_values_and_onderwijsnummer(app):
    a = maak_aanlevering(aantal=2)
    rijen = json.loads(a.leerlingen_json)
    rijen[0].update(bsn=None, onderwijsnummer="101222331", tussenvoegsel=None, postcode=None, email=None)
    b = maak_aanlevering(rijen=rijen)
    verwerken.verwerk(b)
    leerling = Leerling.get(Leerling.leerlingnummer == rijen[0]["leerlingnummer"])
    assert (leerling.bsn, leerling.onderwijsnummer, leerling.tussenvoegsel, leerling.postcode, leerling.email) == \
        (None, "101222331", "", "", "")


def test_awkward_text_survives_the_fast_paths(app):
    """Backslashes, tabs, newlines, quotes and percent signs pass COPY (PostgreSQL) and executemany intact."""
    a = maak_aanlevering(aantal=2)
    rijen = json.loads(a.leerlingen_json)
    lastig = "mevr. O'Brien\\x\t100%\nN"
    rijen[0]["mentor"] = lastig
    verwerken.verwerk(maak_aanlevering(rijen=rijen))
    assert Leerling.get(Leerling.leerlingnummer == rijen[0]["leerlingnummer"]).mentor == lastig
    rijen[1]["mentor"] = lastig + "\\N"
    assert verwerken.verwerk(maak_aanlevering(rijen=rijen)).bijgewerkt == 1
    assert Leerling.get(Leerling.leerlingnummer == rijen[1]["leerlingnummer"]).mentor == lastig + "\\N"


def test_only_changed_rows_are_updated(app):
    a = maak_aanlevering(aantal=5)
    verwerken.verwerk(a)
    rijen = json.loads(a.leerlingen_json)
    rijen[2]["leerjaar"] = 3
    rijen[4]["geboortedatum"] = "2011-01-02"
    b = maak_aanlevering(rijen=rijen)
    uitkomst = verwerken.verwerk(b)
    assert (uitkomst.nieuw, uitkomst.bijgewerkt, uitkomst.ongewijzigd) == (0, 2, 3)
    per_nummer = {l.leerlingnummer: l for l in Leerling.select()}
    assert per_nummer[rijen[2]["leerlingnummer"]].leerjaar == 3
    assert per_nummer[rijen[4]["leerlingnummer"]].geboortedatum == dt.date(2011, 1, 2)
    assert per_nummer[rijen[2]["leerlingnummer"]].aanlevering_id == b.id
    assert per_nummer[rijen[0]["leerlingnummer"]].aanlevering_id == a.id  # unchanged: left alone
    assert "0 nieuw, 2 bijgewerkt, 3 ongewijzigd" in Gebeurtenis.get(
        (Gebeurtenis.aanlevering == b) & (Gebeurtenis.actie == "verwerkt")).details


def test_a_large_list_crosses_batches(app, monkeypatch):
    monkeypatch.setattr(verwerken, "BATCH", 7)
    a = maak_aanlevering(aantal=40)
    assert verwerken.verwerk(a).nieuw == 40
    rijen = json.loads(a.leerlingen_json)
    for rij in rijen:
        rij["klas"] = "ZZ"
    assert verwerken.verwerk(maak_aanlevering(rijen=rijen)).bijgewerkt == 40
    assert {l.klas for l in Leerling.select()} == {"ZZ"}


def test_the_claim_is_conditional(app):
    a = maak_aanlevering(aantal=1)
    assert verwerken.claim(a.id, "verwerkt") is True
    assert verwerken.claim(a.id, "verwerkt") is False
    assert verwerken.claim(a.id, "afgekeurd") is False
    assert Aanlevering.get_by_id(a.id).status == "verwerkt"


def test_afkeuren_and_intrekken_only_while_ingediend(app):
    a = maak_aanlevering(aantal=1)
    verwerken.intrekken(a, wie="test")
    with pytest.raises(verwerken.NietMeerIngediend):
        verwerken.afkeuren(Aanlevering.get_by_id(a.id), None, "te laat")
    with pytest.raises(verwerken.NietMeerIngediend):
        verwerken.intrekken(Aanlevering.get_by_id(a.id), wie="test")
    assert Aanlevering.get_by_id(a.id).status == "ingetrokken"


def test_verwerken_has_no_flask_import():
    import ast
    import pathlib
    for naam in ("verwerken.py", "vergelijking.py"):
        boom = ast.parse(pathlib.Path(verwerken.__file__).with_name(naam).read_text())
        modules = {n.module for n in ast.walk(boom) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(boom) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m and m.split(".")[0] in ("flask", "flask_login") for m in modules), naam


def test_loaded_students_are_found_by_the_search_at_once(app):
    """A load adds its students' search text in one statement (no trigger per row): the overview's
    search finds them, and a name changed by the next list is found by its new name only."""
    a = maak_aanlevering(aantal=30)
    verwerken.verwerk(a)
    rijen = json.loads(a.leerlingen_json)

    def gevonden(woord):
        return {l.leerlingnummer for l in Leerling.select().where(Leerling.zoekterm(woord))}
    doel = rijen[7]
    assert doel["leerlingnummer"] in gevonden(doel["achternaam"][:4])
    assert gevonden(doel["leerlingnummer"]) == {doel["leerlingnummer"]}
    doel["achternaam"] = "Zwartewaterland"
    verwerken.verwerk(maak_aanlevering(rijen=rijen))
    assert gevonden("waterland") == {doel["leerlingnummer"]}
    assert Leerling.select().count() == 30


def test_a_fault_while_the_rows_stream_in_leaves_nothing(app, monkeypatch):
    """The new students are made while COPY (or executemany) reads them: a fault at the 20th
    row rolls back the 19 already sent, and the list can be loaded afterwards."""
    from portal import vergelijking
    a = maak_aanlevering(aantal=40)
    echte_omzetter = vergelijking.omzetter

    def omzetter_met_storing(velden):
        zet_om, teller = echte_omzetter(velden), itertools.count(1)

        def zet_om_met_storing(rij):
            if next(teller) == 20:
                raise RuntimeError("storing")
            return zet_om(rij)
        return zet_om_met_storing
    monkeypatch.setattr(vergelijking, "omzetter", omzetter_met_storing)
    with pytest.raises(RuntimeError, match="storing"):
        verwerken.verwerk(a)
    assert Leerling.select().count() == 0
    assert Aanlevering.get_by_id(a.id).status == "ingediend"
    monkeypatch.undo()
    assert verwerken.verwerk(Aanlevering.get_by_id(a.id)).nieuw == 40
    assert Leerling.select().count() == 40


def test_stored_rows_damaged_halfway_load_nothing(app):
    """On PostgreSQL the stored rows are parsed while COPY reads them (vergelijking.rij_stroom):
    text that breaks off after 30 of 40 rows stops the load after rows were sent, and rolls it
    all back. On SQLite the whole parse fails first. Either way: nothing loaded, still to review."""
    from portal.models import AanleveringInhoud
    a = maak_aanlevering(aantal=40)
    tekst = a.leerlingen_json
    afgebroken = tekst[:tekst.index('"rij": 32')]
    AanleveringInhoud.update(leerlingen_json=afgebroken).where(AanleveringInhoud.aanlevering == a.id).execute()
    with pytest.raises((ValueError, ijson.JSONError)):     # orjson's error is a ValueError
        verwerken.verwerk(Aanlevering.get_by_id(a.id))
    assert Leerling.select().count() == 0
    assert Aanlevering.get_by_id(a.id).status == "ingediend"
