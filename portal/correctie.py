"""Correcting a list in the browser (issue 13, points 1 and 3): the failing rows of a check as an
editable grid, each change checked again with the core's own rules, every change kept.

The rows of the list are stored one per Correctierij, with their findings. An edit re-checks, with
`check_sheet` (the very function the file check runs), the edited row together with every row a
rule across rows could pair with it: the rows that share a leerlingnummer, BSN, onderwijsnummer
or name with it, before or after the edit, and so on until no new row joins. Those rows' findings
are then exactly what a check of the whole list would give them, and no other row's can change
(tests/test_correctie.py compares with a full check after random edits). Per-row rules (a cell, the
BSN/onderwijsnummer pair, cross-column rules) need only the row itself. Opsturen runs the full
check once more on the corrected list and creates the Aanlevering as an uploaded clean file does.

Routes live on the wizard blueprint (portal.wizard.bp), so both registrations (portal, public
site) get them with their own Kanaal; app.py imports this module before registering it.
"""
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urlencode

import xlsxwriter
from flask import abort, flash, request, session, url_for

from peewee import IntegrityError

from portal import wizard
from portal.extensions import db
from portal.lijsten import herstel as hs
from portal.lijsten import koppeling as kp
from portal.lijsten.errors import CATALOG
from portal.lijsten.formats import format_voor
from portal.lijsten.reader import Foutwaarde, FormuleZonderWaarde, Sheet, kolomletter, read_sheet
from portal.lijsten.validate import check_sheet, titel_sleutel
from portal.models import AanleveringInhoud, Controle, Correctie, Correctielijst, Correctierij, masker
from portal.web import is_htmx, render, see_other, toegang

PER_PAGINA = 50
# Finding the one-click fixes reads every row (about 0.5 s per 10,000 rows): up to this many rows it
# is done with each page of the grid, above it when the user asks (a link on the page).
HERSTEL_ZOEKEN_TOT = 5_000
SLEUTELS = ("leerlingnummer", "bsn", "onderwijsnummer")
PRIVACY_VELDEN = ("bsn", "onderwijsnummer")
bp = wizard.bp


_GEWOON = (str, int, float, bool)
_NIET_ALFANUMERIEK = re.compile(r"[\W_]+")


# ----------------------------------------------------------------------------------------------
# Cells as stored: JSON, with the reader's own values (dates, error values) tagged
# ----------------------------------------------------------------------------------------------
def _naar_json(v):
    if v is None or v.__class__ in _GEWOON:
        return v
    if isinstance(v, dt.datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, Foutwaarde):
        return {"fout": v.tekst}
    if v is FormuleZonderWaarde or isinstance(v, FormuleZonderWaarde):
        return {"formule": True}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _uit_json(v):
    if isinstance(v, dict):
        if "dt" in v:
            return dt.datetime.fromisoformat(v["dt"])
        if "d" in v:
            return dt.date.fromisoformat(v["d"])
        if "fout" in v:
            return Foutwaarde(v["fout"])
        return FormuleZonderWaarde()
    return v


def tekst(v):
    """A cell as the user sees and edits it."""
    v = _uit_json(v)
    if v is None:
        return ""
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        v = v.date()
    if isinstance(v, dt.date):
        return v.strftime("%d-%m-%Y")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _dump(waarde):
    return json.dumps(waarde, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=100_000, typed=True)   # pure; codes, names and dates repeat a lot
def _sleutel(v):
    """Looser than any rule compares (case, spaces, punctuation and leading zeros ignored), so
    that a lookup by it finds every row a rule could pair; the rule itself then decides."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return _NIET_ALFANUMERIEK.sub("", str(v).casefold()).lstrip("0")[:64]


# ----------------------------------------------------------------------------------------------
# The list being corrected (no request handling)
# ----------------------------------------------------------------------------------------------
class Lijst:
    """A Correctielijst with its format and where each field stands in the file's title row."""

    def __init__(self, record, fmt):
        self.record, self.fmt = record, fmt
        self.titels = json.loads(record.titels_json)
        per_titel = {titel_sleutel(k.titel): k for k in fmt.kolommen}
        self.kolom_van = {}                      # column index → Kolom of the format
        for j, t in enumerate(self.titels):
            k = per_titel.get(titel_sleutel(t))
            if k is not None and k.veld not in {x.veld for x in self.kolom_van.values()}:
                self.kolom_van[j] = k
        self.index = {k.veld: j for j, k in self.kolom_van.items()}
        self.schone_sleutels = {}

    @staticmethod
    def sleutels(schoon):
        """Lookup keys from a row's CLEAN values (as the core's check gives them; None where a cell
        failed): the values the rules across rows compare. A failed value pairs with nothing."""
        uit = {f"s_{v}": _sleutel(schoon.get(v)) for v in SLEUTELS}
        naam = ""
        if schoon.get("achternaam") is not None and schoon.get("geboortedatum") is not None:
            # The possible-duplicate-person rule: voornaam, achternaam and geboortedatum (and the
            # tussenvoegsel, left out here: a looser key finds more rows, never fewer).
            naam = "|".join((_sleutel(schoon.get("voornaam")), _sleutel(schoon["achternaam"]),
                             str(schoon["geboortedatum"])))
        uit["s_naam"] = naam[:128]
        return uit

    def cel(self, cellen, veld):
        j = self.index.get(veld)
        return cellen[j] if j is not None and j < len(cellen) else None

    def titel(self, j):
        k = self.kolom_van.get(j)
        return k.titel if k else (str(self.titels[j]) if j < len(self.titels) and self.titels[j] else f"kolom {j + 1}")

    def is_privacy(self, j):
        k = self.kolom_van.get(j)
        return k is not None and k.veld in PRIVACY_VELDEN

    def check(self, rijen):
        """Check these Correctierij's as one list with the core's check_sheet; → {rij: findings}."""
        rijen = sorted(rijen, key=lambda r: r.rij)
        breedte = len(self.titels)
        cellen = [[_uit_json(v) for v in json.loads(r.cellen_json)] for r in rijen]
        sheet = Sheet("csv", None, rijen=[list(self.titels)] + [(c + [None] * breedte)[:breedte] for c in cellen])
        resultaat = check_sheet(sheet, self.fmt)
        echt = {i + 2: r.rij for i, r in enumerate(rijen)}    # row in this sheet → row in the file
        uit = {r.rij: [] for r in rijen}
        per_nummer = {r.rij: c for r, c in zip(rijen, cellen)}
        self.schone_sleutels = _schone_sleutels(self, resultaat, lambda n, veld: self.cel(per_nummer[n], veld), echt)
        for b in resultaat.fouten + resultaat.waarschuwingen:
            if b.rij is None or b.rij not in echt:
                continue
            b.rij = echt[b.rij]
            for naam in ("eerste_rij", "andere_rij"):
                if b.params.get(naam) in echt:
                    b.params[naam] = echt[b.params[naam]]
            uit[b.rij].append(_bevinding(b, self))
        return uit, resultaat, echt


def _schone_sleutels(lijst, resultaat, ruw, echt=None):
    """{row in the file: lookup keys} from the clean columns of a check. `ruw(row in the file,
    veld)` gives a raw cell: a row with both a BSN and an onderwijsnummer keeps only the BSN in
    its clean values, yet its onderwijsnummer still counts for duplicates (the core says so with
    bsn_and_onderwijsnummer), so that key comes from the cell."""
    kolommen = resultaat.kolommen
    if not kolommen:
        return {}
    velden = [v for v in (*SLEUTELS, "voornaam", "achternaam", "geboortedatum") if v in kolommen]
    uit = {}
    for i, nummer in enumerate(kolommen["rij"]):
        uit[echt.get(nummer, nummer) if echt else nummer] = lijst.sleutels({v: kolommen[v][i] for v in velden})
    for b in resultaat.waarschuwingen + resultaat.fouten:
        if b.code == "bsn_and_onderwijsnummer" and b.rij is not None:
            nummer = echt.get(b.rij, b.rij) if echt else b.rij
            waarde = ruw(nummer, "onderwijsnummer")
            if nummer in uit and isinstance(waarde, (str, int, float)):
                uit[nummer]["s_onderwijsnummer"] = _sleutel(waarde)
    return uit


def _bevinding(b, lijst):
    j = b.params.get("_pos")
    return {"code": b.code, "niveau": b.niveau, "kolom": b.kolom, "j": j if isinstance(j, int) else None,
            "message": b.bericht}


def maak_lijst(data, fmt, koppeling_json="", **herkomst):
    """Read the file (through its confirmed column mapping, if any), check it once in full and
    store every row with its findings."""
    sheet = read_sheet(bytes(data), wizard.limieten())
    if koppeling_json:
        sheet = kp.pas_toe(sheet, fmt, kp.van_json(koppeling_json))
    titels = [_naar_json(v) for v in sheet.rijen[0]] if sheet.rijen else []
    with db.database.atomic():
        record = Correctielijst.create(titels_json=_dump(titels), **herkomst)
        lijst = Lijst(record, fmt)
        resultaat = check_sheet(sheet, fmt)
        per_rij, bestand = {}, []
        for b in resultaat.fouten + resultaat.waarschuwingen:
            (per_rij.setdefault(b.rij, []) if b.rij else bestand).append(b)
        sleutels = _schone_sleutels(lijst, resultaat, lambda n, veld: lijst.cel(sheet.rijen[n - 1], veld))
        leeg = lijst.sleutels({})
        nieuw = []
        for i, rij in enumerate(sheet.rijen[1:], start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in rij) and i not in per_rij:
                continue
            cellen = [_naar_json(v) for v in rij]
            bevindingen = [_bevinding(b, lijst) for b in per_rij.get(i, [])]
            t = _tellingen(bevindingen)
            nieuw.append((record.id, i, _dump(cellen), _dump(bevindingen), t["fouten"], t["waarschuwingen"], False,
                          *(sleutels.get(i, leeg)[k] for k in SLEUTELKOLOMMEN)))
        _invoegen(nieuw)
        record.bestand_json = _dump([{"code": b.code, "niveau": b.niveau, "message": b.bericht} for b in bestand])
        record.aantal_fouten = len(resultaat.fouten)
        record.aantal_waarschuwingen = len(resultaat.waarschuwingen)
        record.save()
    return record


def _invoegen(rijen):
    """INSERT the rows of a new list (tuples in the order below) through the driver's own bulk
    path: peewee's insert_many builds every value as a node (about 9 s for 50,000 rows), the
    driver takes well under a second. Only our own column names go into the statement."""
    kolommen = ("lijst_id", "rij", "cellen_json", "bevindingen_json", "fouten", "waarschuwingen", "verwijderd",
                *SLEUTELKOLOMMEN)
    namen = ", ".join('"%s"' % k for k in kolommen)
    sql = f'INSERT INTO "{Correctierij._meta.table_name}" ({namen}) VALUES '
    database = getattr(db.database, "obj", None) or db.database
    cursor = db.database.cursor()
    if "postgres" in type(database).__name__.lower():
        from psycopg2.extras import execute_values
        execute_values(cursor, sql + "%s", rijen, page_size=1000)
    else:
        cursor.executemany(sql + "(" + ", ".join("?" for _ in kolommen) + ")", rijen)


def _tellingen(bevindingen):
    fouten = sum(1 for b in bevindingen if b["niveau"] == "E")
    return {"fouten": fouten, "waarschuwingen": len(bevindingen) - fouten}


SLEUTELKOLOMMEN = ("s_leerlingnummer", "s_bsn", "s_onderwijsnummer", "s_naam")


def _verwant(lijst, begin, zoek):
    """The rows that share a lookup key with `zoek` (a list of key dicts) or with a row found, until
    no new row joins; `begin` (rows being changed) come along as they are."""
    gevonden = {r.id: r for r in begin}
    gezien = {naam: set() for naam in SLEUTELKOLOMMEN}
    te_zoeken = list(zoek)
    while te_zoeken:
        toe = {naam: set() for naam in SLEUTELKOLOMMEN}
        for sleutels in te_zoeken:
            for naam in SLEUTELKOLOMMEN:
                waarde = sleutels.get(naam)
                if waarde and waarde not in gezien[naam]:
                    toe[naam].add(waarde)
                    gezien[naam].add(waarde)
        te_zoeken = []
        voorwaarden = [getattr(Correctierij, naam).in_(sorted(w)) for naam, w in toe.items() if w]
        if not voorwaarden:
            break
        waar = voorwaarden[0]
        for v in voorwaarden[1:]:
            waar = waar | v
        query = Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                            & (Correctierij.verwijderd == False) & waar)  # noqa: E712
        for r in query:
            if r.id not in gevonden:
                gevonden[r.id] = r
                te_zoeken.append({naam: getattr(r, naam) for naam in SLEUTELKOLOMMEN})
    return list(gevonden.values())


def _sleutels_van(rij):
    return {naam: getattr(rij, naam) for naam in SLEUTELKOLOMMEN}


def herchecken(lijst, rij, oude_sleutels):
    """Check `rij` (already changed, or removed) and every row a rule could pair with it, store
    their new findings, keys and the list's counts. Returns the rows whose findings changed.

    The row is first checked alone: its clean values (a row's own) give its new keys. Then the
    rows sharing a key with it, old or new, and with those rows in turn, are checked together."""
    zoek = [oude_sleutels]
    if not rij.verwijderd:
        lijst.check([rij])
        zoek.append(lijst.schone_sleutels.get(rij.rij, lijst.sleutels({})))
    rijen = _verwant(lijst, [] if rij.verwijderd else [rij], zoek)
    per_rij = lijst.check(rijen)[0] if rijen else {}
    nieuwe_sleutels = lijst.schone_sleutels if rijen else {}
    veranderd = []
    delta_f = delta_w = 0
    if rij.verwijderd:
        delta_f -= rij.fouten
        delta_w -= rij.waarschuwingen
        rij.bevindingen_json, rij.fouten, rij.waarschuwingen = "[]", 0, 0
        rij.save()
    for r in rijen:
        bevindingen = per_rij.get(r.rij, [])
        tekst_nieuw = _dump(bevindingen)
        sleutels = nieuwe_sleutels.get(r.rij, lijst.sleutels({}))
        anders = tekst_nieuw != r.bevindingen_json
        if anders or r is rij or sleutels != _sleutels_van(r):
            t = _tellingen(bevindingen)
            delta_f += t["fouten"] - r.fouten
            delta_w += t["waarschuwingen"] - r.waarschuwingen
            r.bevindingen_json, r.fouten, r.waarschuwingen = tekst_nieuw, t["fouten"], t["waarschuwingen"]
            for naam, waarde in sleutels.items():
                setattr(r, naam, waarde)
            r.save()
            if anders or r is rij:
                veranderd.append(r)
    _tel_bij(lijst, delta_f, delta_w)
    return veranderd


def wie():
    """Who edits, for the log: the account, or "bezoeker" on the public site."""
    gebruiker = wizard.kanaal().gebruiker()
    door = f"{gebruiker.naam} ({gebruiker.email})" if gebruiker is not None else "bezoeker"
    return {"gebruiker": gebruiker, "door": door}


def _pas_toe(lijst, rij, nieuwe, *, gebruiker, door, soort, controle):
    """Write {column index: new text} into one row and log each change; no re-check. → changed?

    The row is written by a conditional UPDATE (only if it still holds what was read): a cell's own
    check and Opsturen may carry the same new value at once, and only one of them may log it. The
    other finds the row changed, reads it again, and has nothing left to do."""
    while True:
        gelezen = rij.cellen_json
        cellen = json.loads(gelezen)
        cellen += [None] * (len(lijst.titels) - len(cellen))
        wijzigingen = []
        for j, waarde in sorted(nieuwe.items()):
            if not (0 <= j < len(lijst.titels)):
                continue
            waarde = waarde.strip() if isinstance(waarde, str) else waarde
            oud = tekst(cellen[j])
            if (waarde or "") != oud:
                cellen[j] = waarde or None
                wijzigingen.append((j, oud, waarde or ""))
        if not wijzigingen:
            return False
        nieuw_json = _dump(cellen)
        if Correctierij.update(cellen_json=nieuw_json).where(
                (Correctierij.id == rij.id) & (Correctierij.cellen_json == gelezen)).execute():
            break
        vers = Correctierij.get_or_none(Correctierij.id == rij.id)
        if vers is None:        # the list was sent meanwhile: its working rows are gone
            return False
        rij.__data__.update(vers.__data__)
    rij.cellen_json = nieuw_json
    for j, oud, waarde in wijzigingen:
        Correctie.create(controle=controle, lijst=lijst.record.id, rij=rij.rij, kolom=lijst.titel(j),
                         oud=oud, nieuw=waarde, gebruiker=gebruiker, door=door, soort=soort)
    return True


def wijzig(lijst, rij, nieuwe, *, gebruiker=None, door="bezoeker", soort="hand", controle=None):
    """Apply {column index: new text} to one row, log each change, re-check. → changed rows."""
    oude_sleutels = _sleutels_van(rij)
    with db.database.atomic():
        if not _pas_toe(lijst, rij, nieuwe, gebruiker=gebruiker, door=door, soort=soort, controle=controle):
            return []
        return herchecken(lijst, rij, oude_sleutels)


# ----------------------------------------------------------------------------------------------
# One-click fixes (issue 13, point 2): found by portal.lijsten.herstel on the rows as they are now,
# so an offer is gone once applied (or once the cells were changed by hand).
# ----------------------------------------------------------------------------------------------
def _huidige_rijen(lijst):
    return list(Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                            & (Correctierij.verwijderd == False))  # noqa: E712
                .order_by(Correctierij.rij))


def als_sheet(lijst, rijen):
    """The rows as one sheet under the file's titles; → (sheet, {row in the sheet: row in the file})."""
    breedte = len(lijst.titels)
    cellen = [([_uit_json(v) for v in json.loads(r.cellen_json)] + [None] * breedte)[:breedte] for r in rijen]
    return Sheet("csv", None, rijen=[list(lijst.titels)] + cellen), {i + 2: r.rij for i, r in enumerate(rijen)}


def herstellingen(lijst):
    """The one-click fixes the current rows allow, per kind (herstel.zoek), rows numbered as in the file."""
    sheet, echt = als_sheet(lijst, _huidige_rijen(lijst))
    soorten = hs.zoek(sheet, lijst.fmt)
    for s in soorten:
        s.herstellingen = [replace(h, rij=echt[h.rij]) for h in s.herstellingen]
    return soorten


def herstellen(lijst, code, *, gebruiker=None, door="bezoeker", controle=None):
    """Apply every fix of one kind at once: each cell logged as soort "herstel", the list re-checked
    once. Only what herstel.zoek offers now; → the Soort applied, or None (nothing of that kind)."""
    soort = next((s for s in herstellingen(lijst) if s.code == code), None)
    if soort is None:
        return None
    kolom_van_letter = {kolomletter(j): j for j in range(len(lijst.titels))}
    per_rij = {}
    for h in soort.herstellingen:
        per_rij.setdefault(h.rij, {})[kolom_van_letter[h.letter]] = h.nieuw
    with db.database.atomic():
        for r in Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                             & Correctierij.rij.in_(sorted(per_rij))):
            _pas_toe(lijst, r, per_rij[r.rij], gebruiker=gebruiker, door=door, soort="herstel", controle=controle)
        _alles_herchecken(lijst)
    return soort


def _alles_herchecken(lijst):
    """Check every row once as one list (after a batch of changes) and store what changed."""
    rijen = _huidige_rijen(lijst)
    per_rij = lijst.check(rijen)[0]
    leeg = lijst.sleutels({})
    delta_f = delta_w = 0
    for r in rijen:
        bevindingen = per_rij.get(r.rij, [])
        sleutels = lijst.schone_sleutels.get(r.rij, leeg)
        if _dump(bevindingen) != r.bevindingen_json or sleutels != _sleutels_van(r):
            t = _tellingen(bevindingen)
            delta_f += t["fouten"] - r.fouten
            delta_w += t["waarschuwingen"] - r.waarschuwingen
            r.bevindingen_json, r.fouten, r.waarschuwingen = _dump(bevindingen), t["fouten"], t["waarschuwingen"]
            for naam, waarde in sleutels.items():
                setattr(r, naam, waarde)
            r.save()
    _tel_bij(lijst, delta_f, delta_w)


def als_bestand(controle):
    """The rows of this check as they are being corrected, as an .xlsx under the file's titles and on
    their own row numbers (a removed row left empty), for the marked-up workbook; None when the check
    is not being corrected. The check of these bytes reads what the grid shows."""
    lijst = lijst_van(controle)
    if lijst is None:
        return None
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    ws = wb.add_worksheet("Leerlingen")
    datum = wb.add_format({"num_format": "dd-mm-yyyy"})
    for i, r in enumerate([None] + _huidige_rijen(lijst)):
        cellen = lijst.titels if r is None else json.loads(r.cellen_json)
        for j, v in enumerate(cellen):
            v = _uit_json(v)
            if isinstance(v, dt.date):
                ws.write_datetime(0 if r is None else r.rij - 1, j, v, datum)
            elif v is not None and v.__class__ in _GEWOON:
                ws.write(0 if r is None else r.rij - 1, j, v)
            elif v is not None and not isinstance(v, FormuleZonderWaarde):
                ws.write_string(0 if r is None else r.rij - 1, j, tekst(v))
    wb.close()
    return buf.getvalue()


def herstel_zoeken(lijst):
    """Look for one-click fixes on this page? Always for a list of normal size, on request for a large one."""
    if request.args.get("herstellen") == "zoeken":
        return True
    return Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                       & (Correctierij.verwijderd == False)).count() <= HERSTEL_ZOEKEN_TOT  # noqa: E712


def aanbod(lijst, n=3):
    """The offers for the page: label, code and a preview of n cells (old → new; BSN masked)."""
    privacy = {lijst.fmt.kolom_voor_veld(v).titel for v in PRIVACY_VELDEN if v in lijst.fmt.velden}
    uit = []
    for s in herstellingen(lijst):
        voorbeeld = []
        for h in s.voorbeeld(n):
            oud, nieuw = tekst(h.oud), h.nieuw
            if h.kolom in privacy:
                oud, nieuw = masker(oud), masker(nieuw)
            voorbeeld.append({"rij": h.rij, "kolom": h.kolom, "oud": oud, "nieuw": nieuw})
        uit.append({"code": s.code, "label": s.label, "voorbeeld": voorbeeld, "meer": s.aantal > n})
    return uit


TERUGGEZET = "teruggezet"   # Correctie.nieuw of a row put back (kolom ""); a removal has nieuw ""


def verwijder_rij(lijst, rij, *, verwijderd=True, gebruiker=None, door="bezoeker", controle=None):
    """Rij verwijderen (or, with verwijderd=False, Terugzetten): logged, and the rows a rule pairs
    with it checked again (a removed duplicate frees its twin; a row put back may be a duplicate)."""
    with db.database.atomic():
        rij.verwijderd = verwijderd
        rij.save()
        Correctie.create(controle=controle, lijst=lijst.record.id, rij=rij.rij, kolom="", oud="",
                         nieuw="" if verwijderd else TERUGGEZET, gebruiker=gebruiker, door=door, soort="hand")
        return herchecken(lijst, rij, _sleutels_van(rij))


def verwijderde_rijen(lijst):
    """The removed rows, each as (row number, who: leerlingnummer and name as typed), to put back."""
    uit = []
    for r in (Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                          & (Correctierij.verwijderd == True))  # noqa: E712
              .order_by(Correctierij.rij)):
        cellen = json.loads(r.cellen_json)
        delen = [tekst(lijst.cel(cellen, v)) for v in ("leerlingnummer", "voornaam", "tussenvoegsel", "achternaam")]
        naam = " ".join(d for d in delen[1:] if d)
        uit.append((r.rij, " – ".join(d for d in (delen[0], naam) if d)))
    return uit


def pagina_rijen(lijst, kolom="", code="", pagina=1, alle=False):
    """The failing rows (errors; every row when `alle`) of one page, filtered by column title and/or
    code. → (rows, page, pages, total)."""
    query = Correctierij.select().where(Correctierij.lijst == lijst.record.id)
    query = query.where(Correctierij.verwijderd == False) if alle else query.where(Correctierij.fouten > 0)  # noqa: E712
    if code in CATALOG:
        query = query.where(Correctierij.bevindingen_json.contains(f'"code":"{code}"'))
    if kolom:
        query = query.where(Correctierij.bevindingen_json.contains(_dump(kolom)))
    totaal = query.count()
    paginas = max(1, -(-totaal // PER_PAGINA))
    pagina = min(max(pagina, 1), paginas)
    rijen = list(query.order_by(Correctierij.rij).paginate(pagina, PER_PAGINA))
    return rijen, pagina, paginas, totaal


def fout_codes(lijst):
    """The kinds of error the rows have now, for the grid's filter (not the whole catalog), in the
    catalog's order."""
    gevonden = set()
    for (tekst_json,) in (Correctierij.select(Correctierij.bevindingen_json)
                          .where((Correctierij.lijst == lijst.record.id) & (Correctierij.fouten > 0)).tuples()):
        gevonden.update(b["code"] for b in json.loads(tekst_json) if b.get("niveau") == "E")
    return [c for c in CATALOG if c in gevonden]


def rijen_met_fouten(lijst):
    return Correctierij.select().where((Correctierij.lijst == lijst.record.id) & (Correctierij.fouten > 0)).count()


def _tel_bij(lijst, delta_f, delta_w):
    """Add to the list's counts of errors and warnings, in the database (one UPDATE, safe beside
    another tab's edit) and on the record in hand."""
    if delta_f or delta_w:
        Correctielijst.update(aantal_fouten=Correctielijst.aantal_fouten + delta_f,
                              aantal_waarschuwingen=Correctielijst.aantal_waarschuwingen + delta_w
                              ).where(Correctielijst.id == lijst.record.id).execute()
        lijst.record.aantal_fouten += delta_f
        lijst.record.aantal_waarschuwingen += delta_w


def weergave(lijst, rij, alle=False):
    """One row for the grid: per cell its text, whether it is a field (a failing cell; every cell
    when `alle`), whether it fails, and its messages."""
    cellen = json.loads(rij.cellen_json)
    bevindingen = json.loads(rij.bevindingen_json)
    per_kolom = {}
    for b in bevindingen:
        per_kolom.setdefault(b["j"], []).append(b)
    uit = []
    for j in range(len(lijst.titels)):
        waarde = tekst(cellen[j]) if j < len(cellen) else ""
        berichten = per_kolom.get(j, [])
        fout = any(b["niveau"] == "E" for b in berichten)
        veld = fout or alle
        toon = waarde if veld or not lijst.is_privacy(j) else masker(waarde)
        uit.append({"j": j, "titel": lijst.titel(j), "waarde": toon, "veld": veld, "fout": fout, "berichten": berichten})
    zonder_kolom = [b for b in bevindingen if b["j"] is None or b["j"] >= len(lijst.titels)]
    return {"rij": rij.rij, "cellen": uit, "fouten": rij.fouten, "verwijderd": rij.verwijderd,
            "overig": zonder_kolom}


def opsturen(lijst, controle, toelichting):
    """Create the Aanlevering from the corrected rows, exactly as a clean uploaded file does:
    the same check, the same system warnings, log, mails, in one transaction. `controle` is the
    Controle or the sent-back Aanlevering the rows came from. → Aanlevering or None."""
    rijen = list(Correctierij.select().where((Correctierij.lijst == lijst.record.id)
                                             & (Correctierij.verwijderd == False)))  # noqa: E712
    per_rij, resultaat, echt = lijst.check(rijen)
    if resultaat.fouten:
        # Never expected (the rows were checked with each edit); store the full check and refuse.
        for r in rijen:
            bevindingen = per_rij.get(r.rij, [])
            r.bevindingen_json = _dump(bevindingen)
            r.fouten, r.waarschuwingen = _tellingen(bevindingen).values()
            r.save()
        lijst.record.aantal_fouten = len(resultaat.fouten)
        lijst.record.save()
        return None
    for leerling in resultaat.leerlingen:
        leerling["rij"] = echt.get(leerling["rij"], leerling["rij"])
    gebruiker = wie()["gebruiker"]
    aantal_wijzigingen = Correctie.select().where(Correctie.lijst == lijst.record.id).count()
    with db.database.atomic():
        # As a clean uploaded file is sent (wizard.indienen); the original file stays as uploaded.
        aanlevering = wizard.indienen(controle, resultaat, _bestand(controle), gebruiker=gebruiker,
                                      toelichting=toelichting,
                                      details=f", in de browser verbeterd ({aantal_wijzigingen} wijzigingen)")
        Correctie.update(aanlevering=aanlevering, controle=None).where(Correctie.lijst == lijst.record.id).execute()
        # The rows are now the Aanlevering's clean rows; the working copy (personal data) goes. The
        # small record stays, pointing at what the list became (a sent-back list is not sent twice).
        Correctierij.delete().where(Correctierij.lijst == lijst.record.id).execute()
        Correctielijst.update(aanlevering=aanlevering, controle=None).where(
            Correctielijst.id == lijst.record.id).execute()
        wizard.opgestuurd(getattr(controle, "token", None), aanlevering.kenmerk)
    return aanlevering


def lijst_van(controle, maken=False):
    fmt = format_voor(controle.schoolsoort, controle.soort)
    record = Correctielijst.get_or_none(Correctielijst.controle == controle.id)
    if record is None:
        if not maken:
            return None
        try:
            record = maak_lijst(_bestand(controle), fmt, controle.koppeling_json, controle=controle.id)
        except IntegrityError:  # another worker made it just now (a double click on the link)
            record = Correctielijst.get(Correctielijst.controle == controle.id)
    return Lijst(record, fmt)


def te_verbeteren(controle):
    """Can the errors of this check be corrected here? Not when the file itself or its columns are
    wrong (no row to correct): those need a new file."""
    fouten = json.loads(controle.fouten_json)
    return bool(controle.rijen) and bool(fouten) and all((b.get("row") or 0) > 1 for b in fouten)


def al_verbeterd(controle):
    """How far the correction of this check in the browser has come, for its result page: None when
    not started, else {"wijzigingen": n, "fouten": errors left}."""
    record = Correctielijst.get_or_none(Correctielijst.controle == controle.id)
    if record is None:
        return None
    wijzigingen = Correctie.select().where(Correctie.lijst == record.id).count()
    return {"wijzigingen": wijzigingen, "fouten": record.aantal_fouten} if wijzigingen else None


def correcties_van(aanlevering):
    """The edit log of a list, for the helpdesk: BSN and onderwijsnummer masked."""
    fmt = format_voor(aanlevering.schoolsoort, aanlevering.soort)
    privacy = {fmt.kolom_voor_veld(v).titel for v in PRIVACY_VELDEN if v in fmt.velden}
    uit = []
    for c in Correctie.select().where(Correctie.aanlevering == aanlevering.id).order_by(Correctie.wanneer, Correctie.id):
        oud, nieuw = (masker(c.oud), masker(c.nieuw)) if c.kolom in privacy else (c.oud, c.nieuw)
        uit.append({"rij": c.rij, "kolom": c.kolom, "oud": oud, "nieuw": nieuw, "door": c.door,
                    "wanneer": c.wanneer, "soort": c.soort})
    return uit


bp.add_app_template_global(te_verbeteren, "te_verbeteren")
bp.add_app_template_global(al_verbeterd, "al_verbeterd")
bp.add_app_template_global(correcties_van, "correcties_van")


# ----------------------------------------------------------------------------------------------
# Routes. Two sources, one set of views: a check of this browser session (step 5: /controle/<token>)
# and a list the helpdesk sent back (/teruggestuurd/<sleutel>: the kenmerk in the portal for the
# school's users, the status token on the public site for the holder of the status link).
# ----------------------------------------------------------------------------------------------
@dataclass
class Bron:
    soort: str                      # "controle" | "teruggestuurd"
    token: str                      # the token or sleutel in the URL
    obj: object                     # the Controle or the sent-back Aanlevering
    lijst: Lijst | None = None

    @property
    def ep(self):                   # prefix of this source's endpoints
        return "" if self.soort == "controle" else "teruggestuurd_"

    @property
    def alle(self):
        """A sent-back list may have no failing row at all: every row is shown, every cell a field."""
        return self.soort == "teruggestuurd"

    @property
    def controle_id(self):
        return self.obj.id if self.soort == "controle" else None

    @property
    def toelichting(self):
        if self.soort == "controle":
            return self.obj.toelichting
        return self.obj.toelichting or f"Verbeterde versie van lijst {self.obj.kenmerk}."

    @property
    def terug(self):
        if self.soort == "controle":
            return url_for(".controle", token=self.token, schoolsoort=self.obj.schoolsoort, soort=self.obj.soort), \
                "Terug naar de uitslag van de controle"
        return status_link(self.obj), "Terug naar de status van de lijst"


def status_link(aanlevering):
    if aanlevering.kanaal == "publiek":
        return url_for("aanleveringen.status", token=aanlevering.status_token)
    return url_for("aanleveringen.detail", aanlevering_id=aanlevering.id)


def verbeter_link(aanlevering):
    """'Fouten hier verbeteren' for a sent-back list whose file is still kept, else None."""
    naam = wizard.registratie_van(aanlevering.kanaal)
    if naam is None or aanlevering.status != "afgekeurd" or not _heeft_bestand(aanlevering) \
            or _al_verbeterd(aanlevering):
        return None
    sleutel = aanlevering.kenmerk if aanlevering.kanaal == "portal" else aanlevering.status_token
    return url_for(f"{naam}.teruggestuurd_verbeteren", token=sleutel)


def _al_verbeterd(aanlevering):
    """Its corrected version has been sent already."""
    return Correctielijst.select().where((Correctielijst.bron == aanlevering.id)
                                         & Correctielijst.aanlevering.is_null(False)).exists()


bp.add_app_template_global(verbeter_link, "verbeter_link")


# The original file (megabytes) is read only where it is needed: loading it with every edit cost
# 200 ms on PostgreSQL at 50,000 rows.
def _eigen_controle(token):
    """wizard.eigen_controle without the file column (see _bestand)."""
    if token not in session.get("controles", []):
        return None
    return Controle.geldig(token, zonder_bestand=True)


def _bestand(herkomst):
    """The original file of a Controle or an Aanlevering."""
    if isinstance(herkomst, Controle):
        return bytes(Controle.select(Controle.bestand).where(Controle.id == herkomst.id).scalar())
    return herkomst.bestand


def _heeft_bestand(aanlevering):
    return AanleveringInhoud.select().where((AanleveringInhoud.aanlevering == aanlevering.id)
                                            & AanleveringInhoud.bestand.is_null(False)).exists()


def _bron(soort, token, maken=False):
    """The source behind the URL if this browser may edit it, else None (expired, someone else's)."""
    if soort == "controle":
        controle = _eigen_controle(token)
        if controle is None:
            return None
        if not te_verbeteren(controle):
            abort(404)
        return Bron(soort, token, controle, lijst_van(controle, maken=maken))
    aanlevering = wizard.opnieuw_aanlevering(token)
    gebruiker = wizard.kanaal().gebruiker()
    if aanlevering is None or aanlevering.kanaal != wizard.kanaal().naam or (gebruiker is not None and gebruiker.is_helpdesk):
        abort(404)      # the school's own list (portal) or the holder of its status link (public site)
    if aanlevering.status != "afgekeurd" or not _heeft_bestand(aanlevering):
        return None
    if _al_verbeterd(aanlevering):
        return None
    fmt = format_voor(aanlevering.schoolsoort, aanlevering.soort)
    record = Correctielijst.get_or_none((Correctielijst.bron == aanlevering.id) & (Correctielijst.aanlevering.is_null()))
    if record is None and maken:
        record = maak_lijst(_bestand(aanlevering), fmt, aanlevering.koppeling_json, bron=aanlevering.id)
    return Bron(soort, token, aanlevering, Lijst(record, fmt) if record else None)


def _weg(soort):
    """An expired check, or a sent-back list that was sent again or lost its file."""
    if soort == "controle":
        return wizard.verlopen()
    return wizard.page("correctie/niet_meer.html", 5, wizard.lees_keuzes(request.args), status=410)


def _filter(fmt):
    """(column title, code, page) from the query; only a format's title or a catalog code counts."""
    kolom = request.values.get("kolom", "")
    code = request.values.get("code", "")
    pagina = wizard.instantie_id(request.values.get("pagina")) or 1
    return (kolom if kolom in fmt.titels else ""), (code if code in CATALOG else ""), pagina


def _pagina(bron, status=200, melding=None, bericht=None):
    lijst = bron.lijst
    kolom, code, pagina = _filter(lijst.fmt)
    rijen, pagina, paginas, totaal = pagina_rijen(lijst, kolom, code, pagina, alle=bron.alle)
    keuzes = wizard.Keuzes(bron.obj.schoolsoort, bron.obj.soort)
    filters = {k: v for k, v in (("kolom", kolom), ("code", code)) if v}
    return wizard.page("correctie/verbeteren.html", 5, keuzes, status=status, bron=bron, lijst=lijst,
                       rijen=[weergave(lijst, r, alle=bron.alle) for r in rijen], pagina=pagina, paginas=paginas,
                       totaal=totaal, filters=filters, filter_query=urlencode({**filters, "pagina": pagina}),
                       kolommen=[k.titel for k in lijst.fmt.kolommen],
                       codes=fout_codes(lijst),
                       catalog=CATALOG, rijen_fout=rijen_met_fouten(lijst), melding=melding,
                       aanbod=aanbod(lijst) if herstel_zoeken(lijst) else None, bericht=bericht,
                       verwijderd=verwijderde_rijen(lijst))


def verbeteren(token, soort):
    """The grid (GET); without JavaScript, the page's form saves every changed cell and removes a row."""
    bron = _bron(soort, token, maken=True)
    if bron is None:
        return _weg(soort)
    if request.method == "POST":
        lijst = bron.lijst
        if request.form.get("verwijder", "").isdigit():
            verwijder_rij(lijst, _rij(lijst, int(request.form["verwijder"])), controle=bron.controle_id, **wie())
        _bewaar(bron, request.form)
        kolom, code, pagina = _filter(lijst.fmt)
        return see_other(f".{bron.ep}verbeteren", token=token, pagina=pagina, _anchor="correctie-kop",
                         **{k: v for k, v in (("kolom", kolom), ("code", code)) if v})
    return _pagina(bron)


def _bewaar(bron, form):
    """Save every changed cell the page's form sent (the grid's "Opslaan" and its "Opsturen")."""
    for nummer, nieuwe in _velden(form).items():
        rij = Correctierij.get_or_none((Correctierij.lijst == bron.lijst.record.id) & (Correctierij.rij == nummer)
                                       & (Correctierij.verwijderd == False))  # noqa: E712
        if rij is not None:
            wijzig(bron.lijst, rij, nieuwe, controle=bron.controle_id, **wie())


def _velden(form):
    """Form fields c-<rij>-<kolom> → {rij: {kolom index: text}}."""
    uit = {}
    for naam, waarde in form.items():
        deel = naam.split("-")
        if len(deel) == 3 and deel[0] == "c" and deel[1].isdigit() and deel[2].isdigit() and len(deel[1]) < 8:
            uit.setdefault(int(deel[1]), {})[int(deel[2])] = waarde[:1000]
    return uit


def _rij(lijst, nummer):
    rij = Correctierij.get_or_none((Correctierij.lijst == lijst.record.id) & (Correctierij.rij == nummer))
    if rij is None or rij.verwijderd:
        abort(404)
    return rij


def _rij_antwoord(bron, rij, veranderd):
    """The edited row and, out of band, the other rows whose findings changed and the summary."""
    lijst = bron.lijst
    andere = [weergave(lijst, r, alle=bron.alle) for r in veranderd if r.rij != rij.rij]
    return render("correctie/_rij_antwoord.html", bron=bron, lijst=lijst, r=weergave(lijst, rij, alle=bron.alle),
                  andere=andere, rijen_fout=rijen_met_fouten(lijst), filter_query=request.args.get("terug", ""))


def cel(token, rij, soort):
    """htmx: a cell changed (the row's fields are sent). Answers with that row and the summary."""
    bron = _bron(soort, token)
    if bron is None or bron.lijst is None:
        return _weg(soort)
    correctierij = _rij(bron.lijst, rij)
    veranderd = wijzig(bron.lijst, correctierij, _velden(request.form).get(rij, {}), controle=bron.controle_id, **wie())
    if not is_htmx():
        return see_other(f".{bron.ep}verbeteren", token=token, _anchor=f"rij-{rij}")
    return _rij_antwoord(bron, correctierij, veranderd)


def rij_verwijderen(token, rij, soort):
    bron = _bron(soort, token)
    if bron is None or bron.lijst is None:
        return _weg(soort)
    correctierij = _rij(bron.lijst, rij)
    veranderd = verwijder_rij(bron.lijst, correctierij, controle=bron.controle_id, **wie())
    if not is_htmx():
        return see_other(f".{bron.ep}verbeteren", token=token, _anchor="correctie-kop")
    return _rij_antwoord(bron, correctierij, veranderd)


def herstel(token, soort):
    """Herstellen: apply one kind of one-click fix to all its cells. htmx gets the grid back in place
    (the page's #correctie), a plain form a 303 back to the grid."""
    bron = _bron(soort, token)
    if bron is None or bron.lijst is None:
        return _weg(soort)
    toegepast = herstellen(bron.lijst, request.form.get("herstel", ""), controle=bron.controle_id, **wie())
    bericht = f"Hersteld: {toegepast.label}." if toegepast else "Er was niets meer van deze soort te herstellen."
    if not is_htmx():
        flash(bericht, "succes" if toegepast else "info")
        return see_other(f".{bron.ep}verbeteren", token=token, herstellen="zoeken", _anchor="correctie-kop")
    return _pagina(bron, bericht=bericht)


def rij_terugzetten(token, rij, soort):
    """Undo a removal: the row is back in the list and checked again. htmx gets the grid back in
    place (the row may belong on another page), a plain form a 303 back to the grid."""
    bron = _bron(soort, token)
    if bron is None or bron.lijst is None:
        return _weg(soort)
    correctierij = Correctierij.get_or_none((Correctierij.lijst == bron.lijst.record.id) & (Correctierij.rij == rij))
    if correctierij is None:
        abort(404)
    if correctierij.verwijderd:
        verwijder_rij(bron.lijst, correctierij, verwijderd=False, controle=bron.controle_id, **wie())
    bericht = f"Rij {rij} staat weer in de lijst" + (
        f" en heeft {correctierij.fouten} {'fout' if correctierij.fouten == 1 else 'fouten'}." if correctierij.fouten else ".")
    if not is_htmx():
        flash(bericht, "succes")
        return see_other(f".{bron.ep}verbeteren", token=token, _anchor="correctie-kop")
    return _pagina(bron, bericht=bericht)


def verbeterd_opsturen(token, soort):
    bron = _bron(soort, token)
    if bron is None or bron.lijst is None:
        return _weg(soort)
    # Opsturen sends the grid's fields too: a cell typed in just before (without JavaScript, or while
    # its own check is still under way) is saved and checked before the list goes.
    _bewaar(bron, request.form)
    # The count as it stands now: a cell's own check may have been saved meanwhile by another request.
    bron.lijst.record.aantal_fouten = (Correctielijst.select(Correctielijst.aantal_fouten)
                                       .where(Correctielijst.id == bron.lijst.record.id).scalar())
    if bron.lijst.record.aantal_fouten:
        return _pagina(bron, status=422, melding="Er staan nog fouten in de lijst. Verbeter of verwijder "
                                                 "de rijen hieronder en klik dan op Opsturen.")
    aanlevering = opsturen(bron.lijst, bron.obj, bron.toelichting)
    if aanlevering is None:
        return _pagina(bron, status=422, melding="Bij de laatste controle zijn nog fouten gevonden. "
                                                 "Verbeter de rijen hieronder.")
    keuzes = wizard.Keuzes(aanlevering.schoolsoort, aanlevering.soort)
    return see_other(".klaar", kenmerk=aanlevering.kenmerk, **keuzes.args)


for _pad, _view, _methoden in (("/verbeteren", verbeteren, ["GET", "POST"]),
                               ("/verbeteren/<int:rij>", cel, ["POST"]),
                               ("/verbeteren/<int:rij>/verwijderen", rij_verwijderen, ["POST"]),
                               ("/verbeteren/<int:rij>/terugzetten", rij_terugzetten, ["POST"]),
                               ("/verbeteren/herstellen", herstel, ["POST"]),
                               ("/verbeteren/opsturen", verbeterd_opsturen, ["POST"])):
    toegang("anoniem")(_view)      # open here; the Kanaal narrows it, _bron checks whose list it is
    bp.add_url_rule("/controle/<token>" + _pad, endpoint=_view.__name__, view_func=_view, methods=_methoden,
                    defaults={"soort": "controle"})
    bp.add_url_rule("/teruggestuurd/<token>" + _pad, endpoint="teruggestuurd_" + _view.__name__, view_func=_view,
                    methods=_methoden, defaults={"soort": "teruggestuurd"})
