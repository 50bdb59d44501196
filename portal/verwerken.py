"""Loading an Aanlevering: its rows become Leerling records, all or nothing (no Flask here).

The claim (a conditional UPDATE … WHERE status = 'ingediend') is the first statement of the
transaction: two helpdesk users pressing Verwerken at once both run it, the database lets one
through, and the other sees rowcount 0 and loads nothing. On SQLite the second waits for the
write lock (busy_timeout) and then finds the status changed; on PostgreSQL the row lock does the same.

Speed: peewee's insert_many builds SQL at ~16k rows/s; one prepared INSERT through the DB-API
cursor (executemany on SQLite, COPY on PostgreSQL) is several times faster. On SQLite the search
text of the new students is added after them in one statement (Leerling.zoekindex_aanvullen).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import islice

from peewee import CharField, PostgresqlDatabase, TextField, fn

from portal import vergelijking
from portal.extensions import db
from portal.models import Aanlevering, AanleveringInhoud, Gebeurtenis, Leerling, nu

# Changed rows per UPDATE batch; a fault between two batches must still leave nothing behind.
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
    # FlaskDB hands out a peewee Proxy; the database class sits behind it.
    database = getattr(db.database, "obj", None) or db.database
    return isinstance(database, PostgresqlDatabase)


def _kolom(naam):
    return Leerling._meta.fields[naam].column_name


def _literal(waarde):
    """A constant of the load as an SQL literal (standard SQL quoting, valid in SQLite and PostgreSQL).
    Only our own values go here (ids, soort, schooljaar, a timestamp, a column default), never a cell."""
    if waarde is None:
        return "NULL"
    if isinstance(waarde, int):
        return str(int(waarde))
    return "'" + str(waarde).replace("'", "''") + "'"


# Text columns that hold '' rather than NULL: in COPY's CSV format an empty unquoted field is NULL,
# except in the columns named in FORCE_NOT_NULL.
_TEKST_NIET_NULL = {f.column_name for f in Leerling._meta.sorted_fields
                    if isinstance(f, (CharField, TextField)) and not f.null}


class _CsvStroom:
    """Rows as a file of CSV text that is written while COPY reads it: the rows are made (JSON read,
    converted) in this process while the server is still inserting the ones before, instead of
    one after the other. A fault while making them stops the COPY; `fout` keeps it."""

    def __init__(self, rijen, per_keer=1000):
        self._rijen, self._per_keer = iter(rijen), per_keer
        self._buffer = io.StringIO()
        self._schrijver = csv.writer(self._buffer, lineterminator="\n")
        self.fout = None

    def read(self, size=-1):
        self._buffer.seek(0)
        self._buffer.truncate()
        try:
            self._schrijver.writerows(islice(self._rijen, self._per_keer))
        except Exception as exc:
            self.fout = exc
            raise
        return self._buffer.getvalue()


def _copy(cursor, tabel, kolommen, rijen):
    """PostgreSQL's COPY in CSV format, written by csv.writer (C): it quotes what needs quoting, and
    a backslash, tab or line break in a cell needs no escaping of our own. None becomes NULL."""
    opties = "FORMAT csv"
    niet_null = [f'"{k}"' for k in kolommen if k in _TEKST_NIET_NULL]
    if niet_null:
        opties += f", FORCE_NOT_NULL ({', '.join(niet_null)})"
    namen = ", ".join(f'"{k}"' for k in kolommen)
    stroom = _CsvStroom(rijen)
    try:
        cursor.copy_expert(f'COPY "{tabel}" ({namen}) FROM STDIN WITH ({opties})', stroom)
    except Exception:
        if stroom.fout is not None:
            raise stroom.fout       # our own fault, not psycopg2's "COPY from stdin failed" about it
        raise


def _invoegen(cursor, kolommen, vast, waarden):
    """INSERT the rows: `kolommen` take the row's values, `vast` (column → value) the same for every row.
    SQLite: one prepared INSERT through executemany, the constants in the statement once instead of
    bound 50,000 times. PostgreSQL: COPY, its fast path for many rows."""
    tabel = Leerling._meta.table_name
    namen = ", ".join(f'"{k}"' for k in list(kolommen) + list(vast))
    if _is_postgres():
        constanten = tuple(vast.values())
        _copy(cursor, tabel, list(kolommen) + list(vast), (w + constanten for w in waarden))
    else:
        literals = "".join(", " + _literal(v) for v in vast.values())
        vraagtekens = ", ".join("?" for _ in kolommen)
        cursor.executemany(f'INSERT INTO "{tabel}" ({namen}) VALUES ({vraagtekens}{literals})', waarden)


def _bijwerken(cursor, kolommen, vast, waarden):
    """UPDATE rows by id: waarden are tuples of the `kolommen` values followed by the id.
    SQLite: executemany. PostgreSQL: COPY into a temporary table, then one UPDATE … FROM."""
    tabel = Leerling._meta.table_name
    if _is_postgres():
        namen = ", ".join(f'"{k}"' for k in kolommen)
        cursor.execute(f'CREATE TEMPORARY TABLE "_bijwerken" ON COMMIT DROP AS '
                       f'SELECT {namen}{", " if kolommen else ""}"id" FROM "{tabel}" WITH NO DATA')
        _copy(cursor, "_bijwerken", list(kolommen) + ["id"], waarden)
        zet = [f'"{k}" = b."{k}"' for k in kolommen] + [f'"{k}" = {_literal(v)}' for k, v in vast.items()]
        cursor.execute(f'UPDATE "{tabel}" SET {", ".join(zet)} FROM "_bijwerken" b WHERE "{tabel}"."id" = b."id"')
        cursor.execute('DROP TABLE "_bijwerken"')
        return
    zet = [f'"{k}" = ?' for k in kolommen] + [f'"{k}" = {_literal(v)}' for k, v in vast.items()]
    cursor.executemany(f'UPDATE "{tabel}" SET {", ".join(zet)} WHERE "id" = ?', waarden)


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
    zet_om = vergelijking.omzetter(velden)
    moment = str(nu())
    soort, schooljaar = aanlevering.soort, aanlevering.schooljaar

    # Every NOT NULL column is written on insert (peewee's defaults live in Python, not in the table):
    # the fields of other formats get their default as a constant.
    vast_nieuw = {_kolom("instantie"): aanlevering.instantie_id, _kolom("type"): soort,
                  _kolom("schooljaar"): schooljaar, _kolom("aanlevering"): aanlevering.id,
                  _kolom("aangemaakt"): moment, _kolom("gewijzigd"): moment}
    vast_nieuw.update({_kolom(v): vergelijking._leeg(v) for v in vergelijking.DATAVELDEN if v not in velden})
    in_kolommen = [_kolom(v) for v in velden]
    vast_bij = {_kolom("type"): soort, _kolom("schooljaar"): schooljaar, _kolom("aanlevering"): aanlevering.id,
                _kolom("gewijzigd"): moment}
    positie = {v: i for i, v in enumerate(velden)}

    uitkomst = Uitkomst()
    na_id = Leerling.select(fn.MAX(Leerling.id)).scalar() or 0  # the write lock is held: ids after it are ours
    # Changed rows grouped by which fields changed: a re-sent list mostly changes a few fields
    # (klas, leerjaar), and a narrow UPDATE binds less and touches fewer indexes.
    bij: dict[tuple, list] = {}
    # Fetched before COPY holds the connection. SQLite inserts in this process, so nothing runs
    # beside the parse and the whole parse (faster) wins; PostgreSQL inserts while rows stream.
    # Read once, by nieuwe_rijen() below: on PostgreSQL it is a stream, not a list.
    rijen = (vergelijking.rij_stroom if _is_postgres() else vergelijking.rijen)(aanlevering)

    def nieuwe_rijen():
        """The values of the new students, made as the INSERT (or COPY) asks for them; the
        changed and unchanged ones are counted and set aside on the way."""
        for rij in rijen:
            waarden = zet_om(rij)
            bestaand = bekend.get(rij.get("leerlingnummer"))
            if bestaand is None:
                uitkomst.nieuw += 1
                yield waarden
                continue
            anders = vergelijking.gewijzigde_velden(waarden, bestaand, velden, soort, schooljaar)
            if not anders:
                uitkomst.ongewijzigd += 1
                continue
            sleutel = tuple(v for v in anders if v in positie)
            bij.setdefault(sleutel, []).append(tuple(waarden[positie[v]] for v in sleutel) + (bestaand[0],))
            uitkomst.bijgewerkt += 1

    cursor = db.database.cursor()
    _invoegen(cursor, in_kolommen, vast_nieuw, nieuwe_rijen())
    for sleutel, waarden in bij.items():
        for begin in range(0, len(waarden), BATCH):
            _bijwerken(cursor, [_kolom(v) for v in sleutel], vast_bij, waarden[begin:begin + BATCH])
    Leerling.zoekindex_aanvullen(na_id)
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
    query = (Aanlevering.select(Aanlevering.id, Aanlevering.kenmerk).join(AanleveringInhoud)
             .where(Aanlevering.status.in_(EINDSTATUSSEN)
                    & AanleveringInhoud.bestand.is_null(False)
                    & (fn.COALESCE(Aanlevering.behandeld, Aanlevering.aangemaakt) < grens)))
    ids = [a.id for a in query]
    with db.database.atomic():
        for stuk in vergelijking._in_stukken(ids):
            (AanleveringInhoud.update(bestand=None, leerlingen_json="[]")
             .where(AanleveringInhoud.aanlevering.in_(stuk)).execute())
            Gebeurtenis.insert_many(
                [{"aanlevering": i, "wie": "bewaartermijn", "actie": "bestand_verwijderd",
                  "details": f"Origineel bestand verwijderd na {dagen} dagen", "tijd": nu()} for i in stuk]
            ).execute()
    return len(ids)
