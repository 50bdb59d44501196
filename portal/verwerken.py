"""Loading an Aanlevering: its rows become Leerling records, all or nothing (no Flask here).

The claim (a conditional UPDATE … WHERE status = 'ingediend') is the first statement of the
transaction: two helpdesk users pressing Verwerken at once both run it, the database lets one
through, and the other sees rowcount 0 and loads nothing. On SQLite the second waits for the
write lock (busy_timeout) and then finds the status changed; on PostgreSQL the row lock does the same.

Speed: peewee's insert_many builds SQL at ~16k rows/s; one prepared INSERT through the DB-API
cursor (executemany on SQLite, execute_values on PostgreSQL) is several times faster.
"""
from __future__ import annotations

from dataclasses import dataclass

from portal import vergelijking
from portal.extensions import db
from portal.models import Aanlevering, Gebeurtenis, Leerling, nu

# Rows per executemany call; a fault between two batches must still leave nothing behind.
BATCH = 5000
EINDSTATUSSEN = ("verwerkt", "afgekeurd", "ingetrokken")


class NietMeerIngediend(Exception):
    """The list was loaded, rejected or withdrawn in the meantime (by someone else)."""


@dataclass
class Uitkomst:
    nieuw: int = 0
    bijgewerkt: int = 0
    ongewijzigd: int = 0

    @property
    def totaal(self):
        return self.nieuw + self.bijgewerkt + self.ongewijzigd


def claim(aanlevering_id, status, gebruiker=None, reden=None):
    """Move a list from ingediend to `status`; False when it no longer was ingediend."""
    waarden = {"status": status, "behandeld": nu()}
    if gebruiker is not None:
        waarden["behandelaar"] = gebruiker.id
    if reden is not None:
        waarden["reden"] = reden
    aantal = (Aanlevering.update(**waarden)
              .where((Aanlevering.id == aanlevering_id) & (Aanlevering.status == "ingediend"))
              .execute())
    return aantal == 1


def _is_postgres():
    return "postgres" in type(db.database).__name__.lower()


def _kolom(naam):
    return Leerling._meta.fields[naam].column_name


def rij_waarden(rij, velden):
    """One row → the column values in `velden` order."""
    return [vergelijking.db_waarde(v, rij.get(v)) for v in velden]


def _invoegen(cursor, kolommen, waarden):
    tabel = Leerling._meta.table_name
    namen = ", ".join(f'"{k}"' for k in kolommen)
    if _is_postgres():
        from psycopg2.extras import execute_values
        execute_values(cursor, f'INSERT INTO "{tabel}" ({namen}) VALUES %s', waarden, page_size=1000)
    else:
        vraagtekens = ", ".join("?" for _ in kolommen)
        cursor.executemany(f'INSERT INTO "{tabel}" ({namen}) VALUES ({vraagtekens})', waarden)


def _bijwerken(cursor, kolommen, waarden):
    """waarden: tuples of the new column values followed by the id."""
    tabel = Leerling._meta.table_name
    p = "%s" if _is_postgres() else "?"
    zet = ", ".join(f'"{k}" = {p}' for k in kolommen)
    sql = f'UPDATE "{tabel}" SET {zet} WHERE "id" = {p}'
    if _is_postgres():
        from psycopg2.extras import execute_batch
        execute_batch(cursor, sql, waarden, page_size=500)
    else:
        cursor.executemany(sql, waarden)


def verwerk(aanlevering, gebruiker=None) -> Uitkomst:
    """Load the list in one transaction. Raises NietMeerIngediend when someone else was first.

    Call inside the caller's db.database.atomic() when something else (the mail) must commit
    with it; on its own it opens its own transaction.
    """
    with db.database.atomic():
        if not claim(aanlevering.id, "verwerkt", gebruiker):
            raise NietMeerIngediend(aanlevering.kenmerk)
        uitkomst = _laden(aanlevering)
        Gebeurtenis.log("verwerkt", aanlevering=aanlevering, gebruiker=gebruiker,
                        wie="" if gebruiker else "systeem",
                        details=f"{uitkomst.nieuw} nieuw, {uitkomst.bijgewerkt} bijgewerkt, "
                                f"{uitkomst.ongewijzigd} ongewijzigd")
    aanlevering.status = "verwerkt"
    return uitkomst


def _laden(aanlevering) -> Uitkomst:
    velden = vergelijking.velden_van(aanlevering)
    bekend = vergelijking.bestaande(aanlevering.instantie_id, velden)
    moment = str(nu())
    soort, schooljaar = aanlevering.soort, aanlevering.schooljaar

    # Every NOT NULL column is written on insert (peewee's defaults live in Python, not in the table).
    alle_velden = vergelijking.DATAVELDEN
    in_kolommen = ([_kolom("instantie"), _kolom("type"), _kolom("schooljaar"), _kolom("aanlevering"),
                    _kolom("aangemaakt"), _kolom("gewijzigd")] + [_kolom(v) for v in alle_velden])
    vast_nieuw = (aanlevering.instantie_id, soort, schooljaar, aanlevering.id, moment, moment)
    bij_kolommen = ([_kolom("type"), _kolom("schooljaar"), _kolom("aanlevering"), _kolom("gewijzigd")]
                    + [_kolom(v) for v in velden])
    vast_bij = (soort, schooljaar, aanlevering.id, moment)

    uitkomst = Uitkomst()
    nieuw, bij = [], []
    cursor = db.database.cursor()
    for rij in vergelijking.rijen(aanlevering):
        bestaand = bekend.get(rij.get("leerlingnummer"))
        if bestaand is None:
            nieuw.append(vast_nieuw + tuple(rij_waarden(rij, alle_velden)))
        elif vergelijking.gewijzigde_velden(rij, bestaand, velden, soort, schooljaar):
            bij.append(vast_bij + tuple(rij_waarden(rij, velden)) + (bestaand[0],))
        else:
            uitkomst.ongewijzigd += 1
        if len(nieuw) >= BATCH:
            _invoegen(cursor, in_kolommen, nieuw)
            uitkomst.nieuw += len(nieuw)
            nieuw = []
        if len(bij) >= BATCH:
            _bijwerken(cursor, bij_kolommen, bij)
            uitkomst.bijgewerkt += len(bij)
            bij = []
    if nieuw:
        _invoegen(cursor, in_kolommen, nieuw)
        uitkomst.nieuw += len(nieuw)
    if bij:
        _bijwerken(cursor, bij_kolommen, bij)
        uitkomst.bijgewerkt += len(bij)
    return uitkomst


def afkeuren(aanlevering, gebruiker, reden):
    """Send the list back with a reason (the reason is free text: any BSN in it is masked)."""
    reden = vergelijking.zonder_bsn(reden.strip())
    with db.database.atomic():
        if not claim(aanlevering.id, "afgekeurd", gebruiker, reden=reden):
            raise NietMeerIngediend(aanlevering.kenmerk)
        Gebeurtenis.log("afgekeurd", aanlevering=aanlevering, gebruiker=gebruiker, details=reden)
    aanlevering.status, aanlevering.reden = "afgekeurd", reden
    return reden


def intrekken(aanlevering, gebruiker=None, wie=""):
    """The submitter withdraws the list while it waits for the helpdesk."""
    with db.database.atomic():
        if not claim(aanlevering.id, "ingetrokken"):
            raise NietMeerIngediend(aanlevering.kenmerk)
        Gebeurtenis.log("ingetrokken", aanlevering=aanlevering, gebruiker=gebruiker, wie=wie)
    aanlevering.status = "ingetrokken"


def opschonen(dagen, moment=None):
    """Delete the original files (and the copied rows) of lists that reached an end status more than
    `dagen` days ago. The record, its counts, warnings and audit log stay. Returns how many."""
    from datetime import timedelta
    from peewee import fn
    grens = (moment or nu()) - timedelta(days=dagen)
    query = (Aanlevering.select(Aanlevering.id, Aanlevering.kenmerk)
             .where(Aanlevering.status.in_(EINDSTATUSSEN)
                    & Aanlevering.bestand.is_null(False)
                    & (fn.COALESCE(Aanlevering.behandeld, Aanlevering.aangemaakt) < grens)))
    ids = [a.id for a in query]
    with db.database.atomic():
        for stuk in vergelijking._in_stukken(ids):
            Aanlevering.update(bestand=None, leerlingen_json="[]").where(Aanlevering.id.in_(stuk)).execute()
            Gebeurtenis.insert_many(
                [{"aanlevering": i, "wie": "bewaartermijn", "actie": "bestand_verwijderd",
                  "details": f"Origineel bestand verwijderd na {dagen} dagen", "tijd": nu()} for i in stuk]
            ).execute()
    return len(ids)
