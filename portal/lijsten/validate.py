"""Rows → findings: every finding of a leerlinglijst in one pass (formats.md, errors.md).

The checks run column by column: each column's parser (formats.Kolom.lezen) is a pure function of
the cell, so it runs once per distinct value and the result is reused (codes, dates, classes and
postcodes repeat a lot). Rules that need several columns or today's date run afterwards over the
clean columns. File-level problems (the file type, the column titles) stop before the row checks.
"""
from __future__ import annotations

import datetime as dt
import difflib
from collections import deque
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Callable, Iterable
from itertools import compress, count, repeat
from operator import is_not

from .errors import Bevinding
from .formats import (BRUGKLAS_NIVEAUS, COHORT_VANAF, EXAMENJAAR, FORMATS, GEEN, LEERJAREN,
                      MBO_LEERJAREN, Format, Kolomregel, achternaam_begint_met_tussenvoegsel, datum_tekst,
                      schoon_tekst, schooljaar_start, waarde_tekst)
from .reader import (Bestandsfout, FormuleZonderWaarde, Foutwaarde, Limieten, Sheet, kolomletter,
                     read_sheet)

VOORBEELDEN = 20            # findings shown per code in a summary; the counts stay exact

__all__ = ['Resultaat', 'Groep', 'check_bytes', 'check_sheet', 'check_record', 'kolom_lezen', 'samenvatting',
           'samenvatting_json', 'schooljaar_start', 'bladvolgorde']


@dataclass
class Resultaat:
    format: Format
    rijen: int                                   # data rows read
    fouten: list[Bevinding] = field(default_factory=list)
    waarschuwingen: list[Bevinding] = field(default_factory=list)
    # The clean list by column: veld → one value per data row, plus 'rij' (the spreadsheet row).
    # Dates are datetime.date; leerjaar, niveau and cohort int; a value that did not pass its
    # check is None. `leerlingen` gives the same as rows.
    kolommen: dict[str, list] = field(default_factory=dict)

    @cached_property
    def leerlingen(self) -> list[dict]:
        """The clean rows, keyed by veld plus 'rij': built when first asked for, which only the
        storing of a list without errors does (a list with errors is never stored, so its 50,000
        row dicts are never made). Built by C-level map/zip/dict.update over copies of one
        dict that has every key (no dict grows key by key)."""
        if not self.kolommen:
            return []
        velden = tuple(self.kolommen)
        n = len(self.kolommen['rij'])
        rijen = list(map(dict.copy, repeat(dict.fromkeys(velden), n)))
        deque(map(dict.update, rijen, map(zip, repeat(velden), zip(*self.kolommen.values()))), 0)
        return rijen

    @property
    def ok(self) -> bool:
        return not self.fouten

    @property
    def bevindingen(self) -> list[Bevinding]:
        return sorted(self.fouten + self.waarschuwingen, key=bladvolgorde)

    def samenvatting(self, n: int = VOORBEELDEN) -> list[Groep]:
        return samenvatting(self.fouten + self.waarschuwingen, n)

    def samenvatting_json(self, n: int = VOORBEELDEN) -> dict:
        return {'ok': self.ok, 'format': self.format.naam, 'rows': self.rijen,
                **samenvatting_json(self.fouten + self.waarschuwingen, n)}

    def to_json(self) -> dict:
        return {'ok': self.ok, 'format': self.format.naam, 'rows': self.rijen,
                'errors': [b.to_dict() for b in self.fouten],
                'warnings': [b.to_dict() for b in self.waarschuwingen]}


def bladvolgorde(b: Bevinding):
    """A finding's place in the sheet: its row, then its column (the file's own findings first)."""
    return (b.rij or 0, b.params.get('_pos', -1))


# ---------------------------------------------------------------------------------------------
# Findings bounded for storage and display (#10.3): per code the exact count and the first cells
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Groep:
    """The findings of one code: how many there are, and the first `n` in spreadsheet order."""
    code: str
    niveau: str
    aantal: int
    eerste: tuple[Bevinding, ...]

    @property
    def meer(self) -> int:
        """How many findings of this code are not among `eerste`."""
        return self.aantal - len(self.eerste)

    def to_dict(self) -> dict:
        return {'code': self.code, 'level': self.niveau, 'count': self.aantal,
                'findings': [b.to_dict() for b in self.eerste]}


def samenvatting(bevindingen: Iterable[Bevinding], n: int = VOORBEELDEN) -> list[Groep]:
    """Findings per code: errors first, then warnings, each code in the order of its first cell in
    the sheet; per code the exact count and the first `n` findings in spreadsheet order. Pure: the
    web layer stores and shows this instead of every finding."""
    per_code: dict[str, list[Bevinding]] = {}
    for b in sorted(bevindingen, key=bladvolgorde):
        per_code.setdefault(b.code, []).append(b)
    groepen = [Groep(code, lijst[0].niveau, len(lijst), tuple(lijst[:n])) for code, lijst in per_code.items()]
    groepen.sort(key=lambda g: g.niveau != 'E')          # stable: spreadsheet order within a level
    return groepen


def samenvatting_json(bevindingen: Iterable[Bevinding], n: int = VOORBEELDEN) -> dict:
    """The summary as plain JSON data: exact totals, and per code its count and first findings."""
    groepen = samenvatting(bevindingen, n)
    return {'errors': sum(g.aantal for g in groepen if g.niveau == 'E'),
            'warnings': sum(g.aantal for g in groepen if g.niveau != 'E'),
            'per_code': [g.to_dict() for g in groepen]}


def check_bytes(data: bytes, fmt: Format, *, vandaag: dt.date | None = None,
                limieten: Limieten | None = None) -> Resultaat:
    """Read an uploaded file and check it against a format: the one code path for step 5 and the CLI."""
    vandaag, limieten = vandaag or dt.date.today(), limieten or Limieten()
    try:
        sheet = read_sheet(data, limieten)
    except Bestandsfout as e:
        return _resultaat(fmt, 0, [Bevinding(e.code, params=dict(e.params))], {})
    return _check_sheet(sheet, fmt, vandaag)


# ---------------------------------------------------------------------------------------------
# Titles
# ---------------------------------------------------------------------------------------------
def titel_sleutel(v) -> str:
    """A title as compared: case, surrounding/NBSP/zero-width spaces ignored, inner runs collapsed."""
    if v is None:
        return ''
    s = v if isinstance(v, str) else waarde_tekst(v)
    return ' '.join(schoon_tekst(s).split()).casefold()


_SLEUTELS = {naam: {titel_sleutel(k.titel): k for k in f.kolommen} for naam, f in FORMATS.items()}
_ALLE_SLEUTELS = frozenset(s for d in _SLEUTELS.values() for s in d)


def _titelscore(rij) -> int:
    return sum(1 for v in rij if v is not None and titel_sleutel(v) in _ALLE_SLEUTELS)


def _los(s: str) -> str:
    return ''.join(c for c in s if c.isalnum())


def _dichtbij(sleutel: str, kolommen):
    """The expected column a user's title most likely means ("bedoelde u …?"), or None."""
    los = _los(sleutel)
    beste, score = None, 0.6
    for k in kolommen:
        verwacht = titel_sleutel(k.titel)
        if los and _los(verwacht) == los:
            return k
        r = max(difflib.SequenceMatcher(None, sleutel, verwacht).ratio(),
                difflib.SequenceMatcher(None, los, _los(verwacht)).ratio())
        if len(los) >= 4 and _los(verwacht).startswith(los):      # 'Email' → 'E-mailadres'
            r = max(r, 0.9)
        if r >= score:
            beste, score = k, r
    return beste


def _zeker(sleutel: str, k) -> bool:
    """A renamed title that surely means column k: the same letters and digits ('Geboorte datum'),
    or the start of them ('Email' for E-mailadres). A merely similar title is not read as k."""
    los, verwacht = _los(sleutel), _los(titel_sleutel(k.titel))
    return bool(los) and (los == verwacht or (len(los) >= 4 and verwacht.startswith(los)))


def _titels_controleren(sheet: Sheet, fmt: Format):
    """→ (kolomindex per Kolom, title positions, findings). Findings here stop the row checks."""
    kolommen = sheet.kolommen
    titelrij = _rij(kolommen, 0)
    if _titelscore(titelrij) < 3:
        for i in range(1, min(10, len(kolommen[0]))):
            if _titelscore(_rij(kolommen, i)) >= 3:
                return None, None, [Bevinding('header_not_in_first_row', rij=i + 1)]

    sleutels = [titel_sleutel(v) for v in titelrij]
    gevonden = {s for s in sleutels if s}

    # A file of another format: one finding naming both, not a list of column errors.
    def afstand(naam):
        verwacht = _SLEUTELS[naam].keys()
        return len(gevonden - verwacht) + len(verwacht - gevonden)
    eigen = afstand(fmt.naam)
    beste = min((n for n in FORMATS if n != fmt.naam), key=afstand)
    marker = sheet.marker
    ander = None
    if marker and marker[0] in FORMATS and marker[0] != fmt.naam and afstand(marker[0]) <= max(eigen, 2):
        ander = marker[0]
    elif eigen > 0 and afstand(beste) < eigen and afstand(beste) <= 2:
        ander = beste
    if ander:
        return None, None, [Bevinding('wrong_format', params={'gevonden': ander, 'gekozen': fmt.naam})]

    verwacht = _SLEUTELS[fmt.naam]
    index: dict[str, int] = {}            # veld → column index
    fouten: list[Bevinding] = []
    onbekend: list[tuple[int, str]] = []
    for j, s in enumerate(sleutels):
        if not s:
            continue
        k = verwacht.get(s)
        if k is None:
            onbekend.append((j, s))
        elif k.veld in index:
            fouten.append(Bevinding('header_duplicate', rij=1, kolom=k.titel, letter=kolomletter(j),
                                    params={'_pos': j}))
        else:
            index[k.veld] = j
    ontbrekend = [k for k in fmt.kolommen if k.veld not in index]
    for j, s in onbekend:
        origineel = waarde_tekst(titelrij[j]).strip()
        k = _dichtbij(s, ontbrekend)
        if k is not None:
            ontbrekend.remove(k)
            if _zeker(s, k):
                index[k.veld] = j      # surely meant as that column: its rows are checked too
            fouten.append(Bevinding('header_renamed', rij=1, kolom=k.titel, waarde=origineel,
                                    letter=kolomletter(j), params={'_pos': j}))
        else:
            fouten.append(Bevinding('header_unknown', rij=1, kolom=origineel, waarde=origineel,
                                    letter=kolomletter(j), params={'_pos': j}))
    for k in ontbrekend:
        fouten.append(Bevinding('header_missing', rij=1, kolom=k.titel, params={'_pos': 10_000}))
    return index, sleutels, fouten


# ---------------------------------------------------------------------------------------------
# The sheet
# ---------------------------------------------------------------------------------------------
def _leeg(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip(' \t\r\n\u00a0\u200b\ufeff'))


def _resultaat(fmt, aantal, bevindingen, kolommen) -> Resultaat:
    bevindingen.sort(key=bladvolgorde)
    fouten = [b for b in bevindingen if b.is_fout]
    waarschuwingen = [b for b in bevindingen if not b.is_fout]
    return Resultaat(fmt, aantal, fouten, waarschuwingen, kolommen)


def check_sheet(sheet: Sheet, fmt: Format, *, vandaag: dt.date | None = None) -> Resultaat:
    return _check_sheet(sheet, fmt, vandaag or dt.date.today())


def _rij(kolommen, i) -> list:
    return [k[i] for k in kolommen]


def _check_sheet(sheet: Sheet, fmt: Format, vandaag: dt.date) -> Resultaat:
    # The sheet is checked column by column (sheet.kolommen): every test below is a set or a
    # C-level scan of a column, not a Python loop over 50,000 rows.
    kolommen = sheet.kolommen
    hoogte = len(kolommen[0]) if kolommen else 0
    if not hoogte or not any(not _leeg(v) for k in kolommen for v in k):
        return _resultaat(fmt, 0, [Bevinding('file_empty')], {})
    sets: dict = {}

    def uniek(j):
        """The distinct data values of column j (None when a value cannot be hashed), made once."""
        if j not in sets:
            try:
                sets[j] = set(kolommen[j][1:])
            except TypeError:
                sets[j] = None
        return sets[j]

    index, sleutels, bevindingen = _titels_controleren(sheet, fmt)
    if index is None or not index:
        # Titles not in row 1, another format's file, or not one column recognised: the rows
        # cannot be read as this format at all.
        aantal = hoogte - 1 - len(_lege_rijen(kolommen, uniek, range(len(kolommen))))
        return _resultaat(fmt, aantal, bevindingen, {})
    # Column errors do not stop the row checks: every column that was recognised is checked, so
    # one round shows all errors (the rules that need a missing column are left out).

    if sheet.marker and sheet.marker[0] == fmt.naam and sheet.marker[1] < fmt.versie:
        bevindingen.append(Bevinding('format_outdated', params={'format': fmt.naam}))
    for bereik in sheet.merged:
        bevindingen.append(_samengevoegd(bereik))

    weg, lege = _rijen_buiten_de_lijst(kolommen, uniek, index, sleutels, fmt, bevindingen)
    if lege:
        bevindingen.append(Bevinding('empty_rows_skipped', params={'aantal': lege}))
    if weg:
        posities = [i for i in range(1, hoogte) if i not in weg]
    else:
        posities = None
    rijnummers = list(range(2, hoogte + 1)) if posities is None else [i + 1 for i in posities]
    if sheet.hidden_rows:
        verborgen = set(rijnummers).intersection(sheet.hidden_rows)
        if verborgen:
            bevindingen.append(Bevinding('hidden_rows_included', params={'aantal': len(verborgen)}))
    if not rijnummers:
        bevindingen.append(Bevinding('no_data_rows'))
        return _resultaat(fmt, 0, bevindingen, {})

    def kolom(j):
        """→ (the data cells of column j, their distinct values if already known, else None)."""
        k = kolommen[j]
        if posities is None:
            return k[1:], sets.get(j)
        return list(map(k.__getitem__, posities)), None

    schoon, rijbevindingen = _check_rijen(fmt, index, kolom, rijnummers, vandaag, met_letters=True)
    bevindingen.extend(rijbevindingen)
    return _resultaat(fmt, len(rijnummers), bevindingen, schoon)


def _rijen_buiten_de_lijst(kolommen, uniek, index, sleutels, fmt, bevindingen) -> tuple[set, int]:
    """→ (positions of the rows that are no students: empty or a repeated title row, the number
    of empty ones); reports repeated title rows and data in columns without a title."""
    # Columns with few distinct values (required codes, dates) are looked at first: their sets
    # are needed anyway. A number that differs in every row (leerlingnummer) comes last.
    breedte = max((j + 1 for j, s in enumerate(sleutels) if s), default=0)
    voorkeur = [index[k.veld] for k in sorted(fmt.kolommen, key=lambda k: (not k.verplicht, k.soort == 'id'))
                if k.veld in index]
    volgorde = voorkeur + [j for j in range(len(kolommen)) if j not in voorkeur]
    weg = _lege_rijen(kolommen, uniek, volgorde)       # positions (row index) of empty rows
    lege = len(weg)
    # A repeated title row is looked for through the required column with the fewest distinct
    # values (its title is compared per distinct value; the set is needed anyway).
    verplicht = [index[k.veld] for k in fmt.kolommen if k.verplicht and k.veld in index] or voorkeur[:1]
    j = min(verplicht, key=lambda j: len(uniek(j)) if uniek(j) is not None else len(kolommen[j]))
    for i in _herhaalde_titelrijen(kolommen, uniek, sleutels[j], j, sleutels[:breedte], breedte, weg):
        bevindingen.append(Bevinding('duplicate_header_row', rij=i + 1))
        weg.add(i)
    for j in range(len(kolommen)):
        if j >= breedte or not sleutels[j]:
            for i in _gevuld(kolommen[j]):
                if i and i not in weg:
                    bevindingen.append(Bevinding('data_outside_columns', rij=i + 1, letter=kolomletter(j),
                                                 params={'_pos': j}))
    return weg, lege


def _gevuld(kolom) -> list[int]:
    """Positions of the non-empty cells of a column."""
    try:
        leeg = {v for v in set(kolom) if _leeg(v)}
    except TypeError:
        return [i for i, v in enumerate(kolom) if not _leeg(v)]
    if len(leeg) == 1 and None in leeg:
        return [i for i, v in enumerate(kolom) if v is not None]
    return [i for i, v in enumerate(kolom) if v not in leeg]


def _lege_rijen(kolommen, uniek, volgorde) -> set[int]:
    """Positions (after the title row) of the rows without any content."""
    kandidaten = None
    # Most columns of a real list are filled in every row: one such column proves there is no
    # empty row at all, after a look at its distinct values only.
    for j in volgorde:
        kolom = kolommen[j]
        u = uniek(j)
        if u is not None and not any(map(_leeg, u)):
            return set()
        if kandidaten is None:
            kandidaten = {i for i, v in enumerate(kolom) if i and _leeg(v)}
        else:
            kandidaten = {i for i in kandidaten if _leeg(kolom[i])}
        if not kandidaten:
            return set()
    return kandidaten or set()


def _herhaalde_titelrijen(kolommen, uniek, sleutel, j, titelrij_sleutels, breedte, weg) -> list[int]:
    """Positions of data rows equal to the title row; column j (titled `sleutel`) picks candidates."""
    u = uniek(j)
    kolom = kolommen[j]
    if u is None:
        u = kolom[1:]
    titels = {v for v in u if v.__class__ is str and titel_sleutel(v) == sleutel}
    if not titels:
        return []
    uit = []
    for i in range(1, len(kolom)):
        if kolom[i] in titels and i not in weg \
                and [titel_sleutel(x) for x in _rij(kolommen[:breedte], i)] == titelrij_sleutels:
            uit.append(i)
    return uit


def _samengevoegd(bereik: str) -> Bevinding:
    begin = bereik.split(':')[0]
    letters = ''.join(c for c in begin if c.isalpha())
    cijfers = ''.join(c for c in begin if c.isdigit())
    return Bevinding('merged_cells', rij=int(cijfers) if cijfers else None, waarde=bereik,
                     letter=letters or None)


def check_record(fmt: Format, waarden: dict[str, object], *,
                 vandaag: dt.date | None = None) -> tuple[dict, list[Bevinding]]:
    """One student from the manual-entry form (keys are veld names, values raw strings):
    the same parsers, rules and messages as a file, without row numbers."""
    vandaag = vandaag or dt.date.today()
    rij = [waarden.get(k.veld) for k in fmt.kolommen]
    index = {k.veld: j for j, k in enumerate(fmt.kolommen)}
    kolommen, bevindingen = _check_rijen(fmt, index, lambda j: ([rij[j]], None), [None], vandaag, met_letters=False)
    schoon = {veld: kolom[0] for veld, kolom in kolommen.items() if veld != 'rij'}
    bevindingen.sort(key=bladvolgorde)
    return schoon, bevindingen


# ---------------------------------------------------------------------------------------------
# The rows: column by column, then the rules across columns
# ---------------------------------------------------------------------------------------------
def _bijzonder(v):
    """The meldingen of a cell that holds no value to read: an error value (#N/A) or a formula."""
    if v.__class__ is Foutwaarde:
        return (('cell_error_value', {'waarde': v.tekst}),)
    if v.__class__ is FormuleZonderWaarde or v is FormuleZonderWaarde:
        return (('formula_without_value', {'soort': 'formule'}),)
    return None


def _cel(v, lezen):
    m = _bijzonder(v)
    return (None, m) if m else lezen(v)


def kolom_lezen(waarden, lezen, uniek=None) -> tuple[list, dict, bool]:
    """Map a parser over a column, once per distinct value (`uniek`, when the caller already has
    the set): the parser is the one definition of the column's rule, there is no second path.

    → (clean values, findings, per_rij): findings map a raw value to its meldingen, or, when
    per_rij, a row position. A column whose values are all clean comes back as it is, without a copy.
    A column rule (Kolomregel: the columns whose values are all different) runs over the column at once.
    """
    if isinstance(lezen, Kolomregel):
        schoon, meldingen = lezen.kolom(waarden, _bijzonder)
        return schoon, meldingen, True
    try:
        uniek = set(waarden) if uniek is None else set(uniek)
        # TRUE and 1 are one value in a set, but not one cell: parse such a column cell by cell.
        # Only 0 and 1 can merge that way, so the cells' types are looked at only then.
        if (0 in uniek or 1 in uniek) and _waarheid_en_getal(waarden):
            raise TypeError
    except TypeError:                     # an unhashable cell value: parse cell by cell
        uitkomsten = [_cel(v, lezen) for v in waarden]
        schoon = [u[0] for u in uitkomsten]
        return schoon, {i: u[1] for i, u in enumerate(uitkomsten) if u[1]}, True
    uniek.discard(None)
    schoon_van: dict = {}                 # raw → clean, only where they differ
    meldingen_van: dict = {}
    for v in uniek:
        c = v.__class__
        s, m = _cel(v, lezen) if c is Foutwaarde or c is FormuleZonderWaarde else lezen(v)
        if s is not v and not (s.__class__ is c and s == v):
            # (An equal value of the same type, like a code the parser returns from its table,
            # may stay as read: no copy of the column for it.)
            schoon_van[v] = s
        if m:
            meldingen_van[v] = m
    if not schoon_van:
        return waarden, meldingen_van, False
    plekken = _posities(waarden, schoon_van)
    if plekken.__class__ is list:
        # A few rare texts to replace (a mistake): patch a copy where they are.
        schoon = list(waarden)
        for i in plekken:
            schoon[i] = schoon_van[waarden[i]]
        return schoon, meldingen_van, False
    return list(map(schoon_van.get, waarden, waarden)), meldingen_van, False


_WEINIG = 8


def _waarheid_en_getal(waarden) -> bool:
    """Does the column hold TRUE or FALSE beside numbers (cells a set would merge with 1 and 0)?"""
    typen = set(map(type, waarden))
    return bool in typen and (int in typen or float in typen)


def _posities(waarden, teksten: dict) -> list[int] | Iterable[int]:
    """The positions (ascending) of the cells equal to a key of `teksten`: a list when a few rare
    texts are looked for, else an iterator.

    For a few rare texts, a `count` and `index` scans of the column per text (C loops of cheap
    compares) beat a dict lookup per cell, which must compare 50,000 strings that are equal but
    not identical.
    """
    if len(teksten) > _WEINIG or not all(v.__class__ is str for v in teksten) \
            or sum(map(waarden.count, teksten)) * 16 > len(waarden):
        return compress(count(), map(teksten.__contains__, waarden))
    uit = []
    for v in teksten:
        uit += _plekken_van(waarden, v)
    if len(teksten) > 1:
        uit.sort()
    return uit


def _check_rijen(fmt: Format, index: dict[str, int], kolom_van, rijnummers: list,
                 vandaag: dt.date, *, met_letters: bool):
    """kolom_van(j) → the data cells of sheet column j, one per entry of rijnummers."""
    n = len(rijnummers)
    bevindingen: list[Bevinding] = []
    add = bevindingen.append
    kolommen: dict[str, list] = {}        # veld → clean values
    fout_in: dict[str, set] = {}          # veld → row positions whose cell had an error
    letters: dict[str, str | None] = {}
    posities: dict[str, int] = {}
    titels: dict[str, str] = {}
    for k in fmt.kolommen:
        j = index.get(k.veld)
        if j is None:
            # A missing column (its header_missing is reported): no values, and every row counts
            # as having an error there, so rules that need the column stay silent.
            letters[k.veld], posities[k.veld], titels[k.veld] = None, 10_000, k.titel
            kolommen[k.veld] = [None] * n
            fout_in[k.veld] = set(range(n))
            continue
        letter = kolomletter(j) if met_letters else None
        letters[k.veld], posities[k.veld], titels[k.veld] = letter, j, k.titel
        ruw, uniek = kolom_van(j)
        kolommen[k.veld], fout_in[k.veld] = _kolom_controleren(k, ruw, uniek, rijnummers, letter, j, add)

    def meld(code, i, veld, waarde=None, **params):
        params['_pos'] = posities[veld]
        add(Bevinding(code, rijnummers[i], titels[veld], waarde, letters[veld], params))

    rijen = Rijen(kolommen, fout_in, meld, fmt, vandaag, rijnummers)
    wijzigingen = {}
    for regel in REGELS:
        if regel.geldt(fmt):
            wijzigingen.update(regel.check(rijen.voor(regel)) or {})
    # The clean list, by column (Resultaat.leerlingen makes rows of it when asked).
    kolommen.update(wijzigingen)
    schoon = {veld: kolommen[veld] for veld in fmt.velden}
    schoon['rij'] = rijnummers
    return schoon, bevindingen


def _kolom_controleren(k, ruw, uniek, rijnummers, letter, j, add) -> tuple[list, set]:
    """One column through its parser (and `required`): → (clean values, positions with an error)."""
    schoon, slecht, per_rij = kolom_lezen(ruw, k.lezen, uniek)
    fouten = set()
    if slecht:
        plekken = sorted(slecht) if per_rij else list(compress(count(), map(slecht.__contains__, ruw)))
        for i in plekken:
            for code, params in (slecht[i] if per_rij else slecht[ruw[i]]):
                b = Bevinding(code, rijnummers[i], k.titel, None, letter, dict(params))
                b.waarde = params['waarde'] if 'waarde' in params else waarde_tekst(ruw[i])
                b.params['_pos'] = j
                add(b)
                if b.is_fout:
                    fouten.add(i)
    if k.verplicht and None in schoon:
        for i in _waar_leeg(schoon):
            if i not in fouten:
                add(Bevinding('required', rijnummers[i], k.titel, None, letter, {'_pos': j}))
                fouten.add(i)
    return schoon, fouten


def _waar(waarden, uitkomst: dict) -> list[int]:
    """Positions whose value is a key of `uitkomst` (a C-level scan)."""
    return list(compress(count(), map(uitkomst.__contains__, waarden))) if uitkomst else []


def _plekken_van(waarden, v) -> list[int]:
    """Every position of `v`: index() walks the column in C, and there are few of them as a rule."""
    uit = []
    index = waarden.index
    i = -1
    try:
        while True:
            i = index(v, i + 1)
            uit.append(i)
    except ValueError:
        return uit


def _waar_leeg(waarden) -> list[int]:
    """Positions of None."""
    return _plekken_van(waarden, None)


def _waar_gevuld(waarden) -> list[int]:
    return list(compress(count(), map(is_not, waarden, repeat(None))))


# ---------------------------------------------------------------------------------------------
# The rules across columns, each defined once (REGELS below)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rijen:
    """What a rule sees: the clean columns it declared (veld → one value per row), the rows whose
    cell in a column had an error, and where to report: meld(code, i, veld, waarde, **params)."""
    kolommen: dict
    fout_in: dict
    meld: Callable
    fmt: Format
    vandaag: dt.date
    rijnummers: list

    def voor(self, regel: 'Regel') -> 'Rijen':
        velden = [v for v in regel.velden if v in self.kolommen]
        return replace(self, kolommen={v: self.kolommen[v] for v in velden},
                       fout_in={v: self.fout_in[v] for v in velden})


@dataclass(frozen=True)
class Regel:
    """A rule across the columns of a row or of the whole list, defined once: the codes it gives
    (from errors.CATALOG, messages there), the columns it reads (it is given only those) and its
    check. The file check, the manual-entry form (check_record) and the correction of one row all
    run these same definitions, through _check_rijen. A check may return clean columns it settles
    (veld → values), applied after every rule has run."""
    codes: tuple[str, ...]
    velden: tuple[str, ...]
    check: Callable[[Rijen], dict | None]
    geldt: Callable[[Format], bool] = lambda fmt: True


def _identificatie(r: Rijen):
    bsn, onr = r.kolommen['bsn'], r.kolommen['onderwijsnummer']
    fout_bsn, fout_onr = r.fout_in['bsn'], r.fout_in['onderwijsnummer']
    beide = []
    if None in bsn:
        for i in _waar_leeg(bsn):
            if onr[i] is None and i not in fout_bsn and i not in fout_onr:
                r.meld('identifier_missing', i, 'bsn')
    for i in _waar_gevuld(onr):
        if bsn[i] is not None:
            r.meld('bsn_and_onderwijsnummer', i, 'onderwijsnummer', onr[i])
            beide.append(i)
    if beide:
        # Both numbers valid: the BSN is the one used.
        onr = list(onr)
        for i in beide:
            onr[i] = None
        return {'onderwijsnummer': onr}
    return None


def _eerste(waarden) -> list[tuple[int, int]]:
    """(i, first i) for every repeated non-empty value, in the order of i."""
    try:
        # Nothing repeats, the usual case: a set settles it in C.
        uniek = set(waarden)
        if len(uniek) == len(waarden) or (None in uniek and
                                          len(uniek) - 1 == len(waarden) - waarden.count(None)):
            return []
        del uniek
        # One pass collects the values seen before (a set and its add: no position objects), and
        # only the rows of a repeated value are walked below.
        gezien_set: set = set()
        add = gezien_set.add
        herhaald = {v for v in waarden if v in gezien_set or add(v)}
        herhaald.discard(None)
        if not herhaald:
            return []
        plekken = compress(count(), map(herhaald.__contains__, waarden))
    except TypeError:
        plekken = range(len(waarden))
    uit = []
    gezien: dict = {}
    for i in plekken:
        v = waarden[i]
        if v is not None:
            f = gezien.setdefault(v, i)
            if f != i:
                uit.append((i, f))
    return uit


def _casefold_kolom(waarden, leeg):
    """The column casefolded, once per distinct value; None becomes `leeg`. For comparing values
    only: when casefolding merges no two distinct values (names are written alike as a rule),
    the column itself compares the same way and comes back as it is."""
    vertaling = {v: v.casefold() for v in set(waarden) if v is not None}
    vertaling[None] = leeg
    if len(set(vertaling.values())) == len(vertaling):
        return waarden
    return map(vertaling.__getitem__, waarden)


def _dubbel(r: Rijen):
    kolommen, meld, rijnummers = r.kolommen, r.meld, r.rijnummers
    dubbel: dict[int, set] = {}
    for veld, code in (('leerlingnummer', 'duplicate_leerlingnummer'), ('bsn', 'duplicate_bsn'),
                       ('onderwijsnummer', 'duplicate_onderwijsnummer')):
        waarden = kolommen[veld]
        for i, f in _eerste(waarden):
            meld(code, i, veld, waarden[i], eerste_rij=rijnummers[f])
            dubbel.setdefault(i, set()).add(f)
    # Same name and birth date, other numbers: maybe the same student twice.
    achternaam, geboortedatum = kolommen['achternaam'], kolommen['geboortedatum']
    for i, f in _dubbele_personen(kolommen['voornaam'], kolommen['tussenvoegsel'], achternaam,
                                  geboortedatum):
        if f not in dubbel.get(i, ()):
            meld('possible_duplicate_person', i, 'achternaam', achternaam[i], andere_rij=rijnummers[f])


def _dubbele_personen(voornaam, tussenvoegsel, achternaam, geboortedatum) -> list[tuple[int, int]]:
    """(i, first i) for every row with the same (voornaam, tussenvoegsel, achternaam, geboortedatum)
    as an earlier one, names compared casefolded; rows without achternaam or geboortedatum never.

    The rows are first compared by the hash of their key, computed without keeping 50,000 tuples
    (zip reuses its tuple when hash lets go of it); only the rows whose hash repeats get their key
    built and compared exactly.
    """
    hashes = list(map(hash, zip(_casefold_kolom(voornaam, ''), tussenvoegsel,
                                _casefold_kolom(achternaam, None), geboortedatum)))
    for i in _waar_leeg(achternaam) + _waar_leeg(geboortedatum):
        hashes[i] = None
    paren = _eerste(hashes)
    if not paren:
        return []
    kandidaten = sorted({i for paar in paren for i in paar})

    def sleutel(i):
        v = voornaam[i]
        return (v.casefold() if v is not None else '', tussenvoegsel[i], achternaam[i].casefold(),
                geboortedatum[i])
    sleutels = list(map(sleutel, kandidaten))
    return [(kandidaten[i], kandidaten[f]) for i, f in _eerste(sleutels)]


def _tussenvoegsel(r: Rijen):
    tussenvoegsel, achternaam = r.kolommen['tussenvoegsel'], r.kolommen['achternaam']
    met_voorvoegsel = {a: True for a in set(achternaam)
                       if a is not None and achternaam_begint_met_tussenvoegsel(a)}
    for i in _waar(achternaam, met_voorvoegsel):
        if tussenvoegsel[i] is None and i not in r.fout_in['tussenvoegsel']:
            r.meld('tussenvoegsel_in_achternaam', i, 'achternaam', achternaam[i])


def _postcode(r: Rijen):
    postcode, fout = r.kolommen['postcode'], r.fout_in['postcode']
    if None in postcode:
        # Only an empty cell: a wrong postcode already has its own error.
        for i in _waar_leeg(postcode):
            if i not in fout:
                r.meld('postcode_missing', i, 'postcode')


def _leeftijd(geboren: dt.date, op: dt.date) -> int:
    return op.year - geboren.year - ((op.month, op.day) < (geboren.month, geboren.day))


def _geboortedatum(r: Rijen):
    # The rule depends on the date, and for the mbo on whether the leerweg is BOL: decide it once
    # per distinct date, both ways (no pairs of 50,000 rows to hash), and look at the leerweg only
    # in the rows of a date where it matters.
    kolommen, meld, vandaag = r.kolommen, r.meld, r.vandaag
    datums = kolommen['geboortedatum']
    leerweg = kolommen.get('leerweg')
    vo = r.fmt.schoolsoort == 'VO'
    uitkomst = {}                          # date → (rule otherwise, rule for BOL)
    for d in set(datums):
        if d is not None:
            r = _geboortedatum_regel(d, None, vo, vandaag)
            r_bol = r if vo or leerweg is None else _geboortedatum_regel(d, 'BOL', vo, vandaag)
            if r or r_bol:
                uitkomst[d] = (r, r_bol)
    for i in _waar(datums, uitkomst):
        r, r_bol = uitkomst[datums[i]]
        if r_bol is not r and leerweg[i] == 'BOL':
            r = r_bol
        if r:
            code, params = r
            meld(code, i, 'geboortedatum', datum_tekst(datums[i]), **params)


def _geboortedatum_regel(d, leerweg, vo, vandaag):
    if d > vandaag:
        return 'date_in_future', {}
    leeftijd = _leeftijd(d, vandaag)
    if d.year < 1900 or leeftijd < 4:
        return 'date_implausible', {}
    if vo:
        if leeftijd < 10 or leeftijd > 20:
            return 'age_unusual', {'leeftijd': leeftijd, 'schoolsoort': 'het vo'}
    elif leeftijd < 15 or (leeftijd > 30 and leerweg == 'BOL'):
        return 'age_unusual', {'leeftijd': leeftijd, 'schoolsoort': 'het mbo'}
    return ()


def _vo_leerjaar(r: Rijen):
    overstapper, meld = r.fmt.is_overstapper, r.meld
    niveaus, leerjaren = r.kolommen['onderwijsniveau'], r.kolommen['leerjaar']
    uitkomst = {}
    for paar in set(zip(niveaus, leerjaren)):
        if paar[0] is not None and paar[1] is not None:
            r = _vo_regel(paar[0], paar[1], overstapper)
            if r:
                uitkomst[paar] = r
    for i in _waar(zip(niveaus, leerjaren), uitkomst):
        for code, veld, waarde, params in uitkomst[(niveaus[i], leerjaren[i])]:
            meld(code, i, veld, waarde, **params)


def _vo_regel(niveau, leerjaar, overstapper):
    laag, hoog = LEERJAREN[niveau]
    if niveau in BRUGKLAS_NIVEAUS and leerjaar > hoog:
        return (('brugklas_niveau_leerjaar', 'onderwijsniveau', niveau, {}),)
    if not laag <= leerjaar <= hoog:
        return (('leerjaar_out_of_range', 'leerjaar', str(leerjaar),
                 {'niveau': niveau, 'min': laag, 'max': hoog}),)
    examen = EXAMENJAAR.get(niveau)
    if overstapper and (niveau in BRUGKLAS_NIVEAUS or (examen and leerjaar != examen)):
        return (('overstapper_not_exam_year', 'leerjaar', str(leerjaar),
                 {'niveau': niveau, 'leerjaar': leerjaar}),)
    if not overstapper and examen and leerjaar == examen:
        return (('niet_overstapper_exam_year', 'leerjaar', str(leerjaar),
                 {'niveau': niveau, 'leerjaar': leerjaar}),)
    return GEEN


def _mbo_leerjaar(r: Rijen):
    laag, hoog = MBO_LEERJAREN
    leerjaren = r.kolommen['leerjaar']
    for i in _waar(leerjaren, {v: True for v in set(leerjaren) if v is not None and not laag <= v <= 4}):
        leerjaar = leerjaren[i]
        if not laag <= leerjaar <= hoog:
            r.meld('leerjaar_out_of_range', i, 'leerjaar', str(leerjaar), niveau='het mbo', min=laag, max=hoog)
        else:
            r.meld('mbo_leerjaar_high', i, 'leerjaar', str(leerjaar))


def _cohort(r: Rijen):
    laatste = schooljaar_start(r.vandaag) + 1
    cohorten = r.kolommen['cohort']
    for i in _waar(cohorten, {c: True for c in set(cohorten) if c is not None and not COHORT_VANAF <= c <= laatste}):
        r.meld('cohort_out_of_range', i, 'cohort', str(cohorten[i]), max=laatste)


def _einddatum(r: Rijen):
    einde, geboorte, vandaag, meld = r.kolommen['verwachte_einddatum'], r.kolommen['geboortedatum'], r.vandaag, r.meld
    eindes = set(einde)
    eindes.discard(None)
    geboren = set(geboorte)
    geboren.discard(None)
    if eindes and geboren and min(eindes) > max(geboren):
        # Every einddatum lies after every geboortedatum: only the past needs a look.
        for i in _waar(einde, {e: True for e in eindes if e < vandaag}):
            meld('einddatum_in_past', i, 'verwachte_einddatum', datum_tekst(einde[i]))
        return
    for i in _waar_gevuld(einde):
        e, g = einde[i], geboorte[i]
        if g is not None and e <= g:
            meld('einddatum_before_birth', i, 'verwachte_einddatum', datum_tekst(e))
        elif e < vandaag:
            meld('einddatum_in_past', i, 'verwachte_einddatum', datum_tekst(e))


def _is_vo(fmt: Format) -> bool:
    return fmt.schoolsoort == 'VO'


REGELS: tuple[Regel, ...] = (
    Regel(('identifier_missing', 'bsn_and_onderwijsnummer'), ('bsn', 'onderwijsnummer'), _identificatie),
    Regel(('duplicate_leerlingnummer', 'duplicate_bsn', 'duplicate_onderwijsnummer', 'possible_duplicate_person'),
          ('leerlingnummer', 'bsn', 'onderwijsnummer', 'voornaam', 'tussenvoegsel', 'achternaam', 'geboortedatum'),
          _dubbel),
    Regel(('tussenvoegsel_in_achternaam',), ('tussenvoegsel', 'achternaam'), _tussenvoegsel),
    Regel(('postcode_missing',), ('postcode',), _postcode, geldt=lambda fmt: fmt.is_overstapper),
    Regel(('date_in_future', 'date_implausible', 'age_unusual'), ('geboortedatum', 'leerweg'), _geboortedatum),
    Regel(('brugklas_niveau_leerjaar', 'leerjaar_out_of_range', 'overstapper_not_exam_year',
           'niet_overstapper_exam_year'), ('onderwijsniveau', 'leerjaar'), _vo_leerjaar, geldt=_is_vo),
    Regel(('leerjaar_out_of_range', 'mbo_leerjaar_high'), ('leerjaar',), _mbo_leerjaar,
          geldt=lambda fmt: not _is_vo(fmt)),
    Regel(('cohort_out_of_range',), ('cohort',), _cohort, geldt=lambda fmt: not _is_vo(fmt)),
    Regel(('einddatum_before_birth', 'einddatum_in_past'), ('verwachte_einddatum', 'geboortedatum'), _einddatum,
          geldt=lambda fmt: 'verwachte_einddatum' in fmt.velden),
)
