"""An Aanlevering compared with what the system already holds for its instantie.

Plain Python (no Flask): the helpdesk's detail page shows the comparison, and the load
(verwerken.py) uses the same row → column conversion, so what the helpdesk reviews is what is loaded.
A student is the same student when instantie and leerlingnummer match (the key of the load).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

import ijson
import orjson
from peewee import DateField, IntegerField

from portal.lijsten.formats import format_voor
from portal.models import Instantie, Leerling, masker

# The student fields a list can carry, in the model's order (the veld names of formats.py).
_NIET_DATA = {"id", "instantie", "type", "schooljaar", "aanlevering", "aangemaakt", "gewijzigd"}
DATAVELDEN = tuple(n for n in Leerling._meta.sorted_field_names if n not in _NIET_DATA)

_BSN_IN_TEKST = re.compile(r"(?<!\d)\d{8,9}(?!\d)")


def zonder_bsn(tekst) -> str:
    """Free text with every 8- or 9-digit number masked: a BSN never reaches a mail, log or page
    where the full number is not needed (a message, a value, a helpdesk's reason)."""
    if tekst is None:
        return ""
    return _BSN_IN_TEKST.sub(lambda m: masker(m.group(0)), str(tekst))


def _leeg(naam):
    veld = Leerling._meta.fields[naam]
    return None if veld.null else veld.default


def _als_int(waarde):
    if waarde is None or waarde == "":
        return None
    return waarde if type(waarde) is int else int(waarde)


def _als_datum(waarde):
    if not waarde:
        return None
    return waarde.isoformat()[:10] if isinstance(waarde, dt.date) else str(waarde)[:10]


def _als_tekst(waarde):
    return waarde if type(waarde) is str or waarde is None else str(waarde)


def _omzetting(naam):
    """The converter of one field: clean value → the value as stored (dates as ISO text)."""
    veld = Leerling._meta.fields[naam]
    if isinstance(veld, DateField):
        return _als_datum
    if isinstance(veld, IntegerField):
        return _als_int
    # The validator gives text columns as str or None; a stray number is kept as is and stored
    # by the column's text affinity.
    leeg = None if veld.null else veld.default
    return lambda waarde: waarde or leeg


def omzetter(velden):
    """A function: clean row (dict) → tuple of column values for `velden`, as stored (dates as ISO text)."""
    stappen = [(naam, _omzetting(naam)) for naam in velden]
    return lambda r: tuple([omzet(r.get(naam)) for naam, omzet in stappen])


def db_waarde(naam, waarde):
    """One clean row value → the value for the column (dates as ISO text)."""
    veld = Leerling._meta.fields[naam]
    if isinstance(veld, DateField):
        return _als_datum(waarde)
    if isinstance(veld, IntegerField):
        return _als_int(waarde)
    return _als_tekst(waarde) or _leeg(naam)


# yajl's C parser by name: ijson would otherwise fall back to its pure-Python parser without a
# word, slower than parsing the rows whole (the package's wheels carry the C parser).
_YAJL = ijson.get_backend("yajl2_c")


def rijen(aanlevering) -> list[dict]:
    """The stored rows, parsed at once (orjson: the fastest whole parse)."""
    return orjson.loads(aanlevering.leerlingen_json or "[]")


def rij_stroom(aanlevering):
    """The stored rows one at a time, for a COPY to PostgreSQL: the text is fetched at once (before
    COPY holds the connection), each row parsed only when COPY asks for it (ijson, yajl's C parser),
    so this process parses the next rows while the server inserts the ones before. (A whole parse
    first kept the server waiting 0.14 s of a 1.8 s load of 50,000 rows.)"""
    return _YAJL.items((aanlevering.leerlingen_json or "[]").encode(), "item", use_float=True)


# What the system holds is for the helpdesk; a school sees what concerns its own students, and a
# visitor of the public site (anyone) learns nothing about what the system already holds.
ALLEEN_HELPDESK = {"registered_elsewhere"}
NIET_PUBLIEK = ALLEEN_HELPDESK | {"already_registered", "duplicate_submission"}


def waarschuwingen(aanlevering, helpdesk=False) -> list[dict]:
    """The warnings that travelled with the list, as far as this reader may see them."""
    lijst = json.loads(aanlevering.waarschuwingen_json or "[]")
    if helpdesk:
        return lijst
    verborgen = NIET_PUBLIEK if aanlevering.kanaal == "publiek" else ALLEEN_HELPDESK
    return [w for w in lijst if w.get("code") not in verborgen]


def velden_van(aanlevering) -> tuple[str, ...]:
    fmt = format_voor(aanlevering.schoolsoort, aanlevering.soort)
    return tuple(v for v in fmt.velden if v in DATAVELDEN)


def titels_van(aanlevering) -> dict[str, str]:
    fmt = format_voor(aanlevering.schoolsoort, aanlevering.soort)
    return {k.veld: k.titel for k in fmt.kolommen}


def bestaande(instantie_id, velden) -> dict[str, tuple]:
    """leerlingnummer → (id, type, schooljaar, (values of velden)) of every student of the instantie,
    the values in the form omzetter() gives, so that 'unchanged' is a tuple comparison."""
    kolommen = [Leerling.id, Leerling.leerlingnummer, Leerling.type, Leerling.schooljaar]
    kolommen += [Leerling._meta.fields[v] for v in velden]
    datums = [i for i, v in enumerate(velden) if isinstance(Leerling._meta.fields[v], DateField)]
    uit = {}
    for t in Leerling.select(*kolommen).where(Leerling.instantie == instantie_id).tuples():
        waarden = t[4:]
        if datums:
            waarden = list(waarden)
            for i in datums:
                waarden[i] = _als_datum(waarden[i])
            waarden = tuple(waarden)
        uit[t[1]] = (t[0], t[2], t[3], waarden)
    return uit


def gewijzigde_velden(waarden, bestaand, velden, soort, schooljaar) -> list[str]:
    """The fields whose value the list changes ('type' and 'schooljaar' included).
    `waarden` is omzetter(velden)(row); `bestaand` an entry of bestaande()."""
    anders = []
    if bestaand[1] != soort:
        anders.append("type")
    if bestaand[2] != schooljaar:
        anders.append("schooljaar")
    if waarden != bestaand[3]:
        anders += [v for v, nieuw, oud in zip(velden, waarden, bestaand[3]) if nieuw != oud]
    return anders


@dataclass
class Vergelijking:
    nieuw: list = field(default_factory=list)            # rows
    gewijzigd: list = field(default_factory=list)        # (row, [field titles])
    ongewijzigd: list = field(default_factory=list)      # rows
    ontbrekend: list = field(default_factory=list)       # Leerling records this list lacks
    elders: list = field(default_factory=list)           # (row, [instantie names]) — helpdesk only
    zelfde_nummer: list = field(default_factory=list)    # (row, other leerlingnummer): new key, known BSN
    # (row, name in the system, masked number in the system, masked number in the list): a known
    # leerlingnummer with another BSN or onderwijsnummer, likely a number given to another child;
    # Verwerken would overwrite the student who has it.
    ander_nummer: list = field(default_factory=list)

    @property
    def aantallen(self):
        return {"nieuw": len(self.nieuw), "gewijzigd": len(self.gewijzigd),
                "ongewijzigd": len(self.ongewijzigd), "ontbrekend": len(self.ontbrekend)}


def _ander_nummer(rij, oud):
    """(row, name in the system, masked old number, masked new number) when the student under this
    leerlingnummer has another BSN or onderwijsnummer in the list than in the system, else None."""
    for veld in ("bsn", "onderwijsnummer"):
        if oud.get(veld) and rij.get(veld) and oud[veld] != rij[veld]:
            naam = " ".join(d for d in (oud.get("voornaam"), oud.get("tussenvoegsel"), oud.get("achternaam")) if d)
            return rij, naam, masker(oud[veld]), masker(rij[veld])
    return None


def _in_stukken(waarden, grootte=500):
    waarden = list(waarden)
    for i in range(0, len(waarden), grootte):
        yield waarden[i:i + grootte]


def vergelijk(aanlevering) -> Vergelijking:
    """New, changed (which fields), unchanged, and the students of this instantie, schooljaar and
    soort in the system that the list lacks; plus BSNs known at another instantie."""
    velden = velden_van(aanlevering)
    titels = {**titels_van(aanlevering), "type": "Soort leerling", "schooljaar": "Schooljaar"}
    alle = rijen(aanlevering)
    bekend = bestaande(aanlevering.instantie_id, velden)
    zet_om = omzetter(velden)
    uit = Vergelijking()
    for rij in alle:
        bestaand = bekend.get(rij.get("leerlingnummer"))
        if bestaand is None:
            uit.nieuw.append(rij)
            continue
        anders = gewijzigde_velden(zet_om(rij), bestaand, velden, aanlevering.soort, aanlevering.schooljaar)
        if anders:
            uit.gewijzigd.append((rij, [titels.get(v, v) for v in anders]))
            ander = _ander_nummer(rij, dict(zip(velden, bestaand[3])))
            if ander:
                uit.ander_nummer.append(ander)
        else:
            uit.ongewijzigd.append(rij)

    in_lijst = {rij.get("leerlingnummer") for rij in alle}
    uit.ontbrekend = [
        leerling for leerling in Leerling.select().where(
            (Leerling.instantie == aanlevering.instantie_id)
            & (Leerling.schooljaar == aanlevering.schooljaar)
            & (Leerling.type == aanlevering.soort)).order_by(Leerling.achternaam, Leerling.leerlingnummer)
        if leerling.leerlingnummer not in in_lijst]

    # A new leerlingnummer whose BSN or onderwijsnummer the instantie already knows: likely renumbered.
    for nummer_veld in ("bsn", "onderwijsnummer"):
        per_nummer = {}
        for rij in uit.nieuw:
            if rij.get(nummer_veld):
                per_nummer.setdefault(rij[nummer_veld], rij)
        kolom = Leerling._meta.fields[nummer_veld]
        for stuk in _in_stukken(per_nummer):
            for nummer, leerlingnummer in (Leerling.select(kolom, Leerling.leerlingnummer)
                                           .where((Leerling.instantie == aanlevering.instantie_id)
                                                  & kolom.in_(stuk)).tuples()):
                uit.zelfde_nummer.append((per_nummer[nummer], leerlingnummer))

    # registered_elsewhere: the same BSN at another instantie (only the helpdesk sees which one).
    per_bsn = {}
    for rij in alle:
        if rij.get("bsn"):
            per_bsn.setdefault(rij["bsn"], rij)
    elders = {}
    for stuk in _in_stukken(per_bsn):
        query = (Leerling.select(Leerling.bsn, Instantie.naam).join(Instantie)
                 .where((Leerling.instantie != aanlevering.instantie_id) & Leerling.bsn.in_(stuk)).tuples())
        for bsn, naam in query:
            elders.setdefault(bsn, set()).add(naam)
    uit.elders = [(per_bsn[bsn], sorted(namen)) for bsn, namen in elders.items()]
    uit.elders.sort(key=lambda paar: paar[0].get("rij") or 0)
    return uit
