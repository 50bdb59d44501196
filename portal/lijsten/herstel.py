"""One-click fixes for what Excel and copy-paste do to a list (issue 13, point 2): which cells, old →
new, grouped per kind with a count, to be offered as "37 BSN's zonder voorloopnul: herstellen" and
applied all at once. Pure functions, no Flask, no database: the correction grid records each fix
in its edit log (branch correctie); the wiring is the lead's.

Never a guess. A fix is offered only where the right value is certain:
- the column's own parser (formats.py, the same one the check runs) reads the old value and the
  new value as the same thing, so a fix never changes what is sent, only how the list is written;
- a date only from text with a four-digit year and one possible reading (no 05/03/2010: March or
  May); a tussenvoegsel only when it is written in small letters before the name, as in Dutch;
- a leading zero only where the number lost it to Excel (a BSN with 8 digits that passes the
  11-proef with the zero, a phone number of 9 digits).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from .formats import GEEN, TUSSENVOEGSELS, Format
from .reader import Sheet, kolomletter
from .validate import kolom_lezen, titel_sleutel

__all__ = ["Herstel", "Soort", "SOORTEN", "zoek", "toepassen"]


@dataclass(frozen=True)
class Herstel:
    rij: int            # spreadsheet row (the title row is 1)
    kolom: str          # the format's title
    letter: str         # the column letter in the file
    oud: object
    nieuw: str


@dataclass
class Soort:
    code: str
    enkelvoud: str
    meervoud: str
    herstellingen: list[Herstel] = field(default_factory=list)

    @property
    def aantal(self) -> int:
        """Cells, or for a split tussenvoegsel (two cells of one row) the rows."""
        if self.code == "tussenvoegsel_in_achternaam":
            return len({h.rij for h in self.herstellingen})
        return len(self.herstellingen)

    @property
    def label(self) -> str:
        """'37 BSN's zonder voorloopnul'."""
        return f"{self.aantal} {self.enkelvoud if self.aantal == 1 else self.meervoud}"

    def voorbeeld(self, n: int = 3) -> list[Herstel]:
        return self.herstellingen[:n]


# code → (singular, plural), in the order they are offered
SOORTEN = {
    "bsn_voorloopnul": ("BSN zonder voorloopnul", "BSN's zonder voorloopnul"),
    "telefoon_voorloopnul": ("telefoonnummer zonder voorloopnul", "telefoonnummers zonder voorloopnul"),
    "datum_als_tekst": ("datum in een andere schrijfwijze", "datums in een andere schrijfwijze"),
    "tussenvoegsel_in_achternaam": ("achternaam met het tussenvoegsel erin", "achternamen met het tussenvoegsel erin"),
    "code_schrijfwijze": ("code in een andere schrijfwijze", "codes in een andere schrijfwijze"),
    "spaties": ("cel met spaties of onzichtbare tekens", "cellen met spaties of onzichtbare tekens"),
}

_ONZICHTBAAR = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ONZICHTBAAR.update({ord(c): " " for c in "\u00a0\u2007\u202f\t\r\n"})
_MAANDEN = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
# Text dates with one reading: ISO (jjjj-mm-dd), a month name, or day and month with a four-digit
# year where the day is over 12 or equals the month (then both readings agree).
_ISO = re.compile(r"\A(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_NAAM = re.compile(rf"\A\d{{1,2}}\s+(?:{_MAANDEN})\s+\d{{4}}\Z", re.I)
_DMJ = re.compile(r"\A(\d{1,2})[-./ ](\d{1,2})[-./ ](\d{4})\Z")


def _lees(kolom, waarden: list) -> list[tuple]:
    """(value, findings) of each cell as the check reads it: the column at once, as in the check."""
    schoon, slecht, per_rij = kolom_lezen(waarden, kolom.lezen)
    return [(w, (slecht.get(i) if per_rij else slecht.get(v)) or GEEN)
            for i, (w, v) in enumerate(zip(schoon, waarden))]


def _is_getal(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer()


def _schoon(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s.translate(_ONZICHTBAAR)).split())


def _datum_eenduidig(s: str) -> bool:
    s = s.strip()
    if _ISO.match(s) or _NAAM.match(s):
        return True
    m = _DMJ.match(s)
    if not m:
        return False
    dag, maand = int(m.group(1)), int(m.group(2))
    return dag > 12 or dag == maand or "/" not in s     # dd-mm-jjjj and dd.mm.jjjj: the Dutch order


def _kandidaten(kolom, oud, waarde) -> list[tuple[str, str, bool]]:
    """(code, new text, whether the new text must read as the same value) for one cell whose
    value the check read as `waarde`, the first that holds wins."""
    if kolom.veld == "bsn" and _is_getal(oud) and len(str(int(oud))) == 8:
        return [("bsn_voorloopnul", str(int(oud)).zfill(9), True)]
    if kolom.veld == "telefoonnummer" and _is_getal(oud) and len(str(int(oud))) == 9:
        return [("telefoon_voorloopnul", "0" + str(int(oud)), True)]
    if not isinstance(oud, str):
        return []
    if isinstance(waarde, dt.date) and kolom.soort == "datum":
        nieuw = waarde.strftime("%d-%m-%Y")
        if _schoon(oud) != nieuw and re.search(r"\d{4}", oud) and _datum_eenduidig(_schoon(oud)):
            return [("datum_als_tekst", nieuw, False)]
        return []
    schoon, uit = _schoon(oud), []
    if (kolom.soort == "code" or kolom.veld == "postcode") and isinstance(waarde, str) and waarde != schoon:
        uit.append(("code_schrijfwijze", waarde, True))
    if schoon != oud and schoon:
        uit.append(("spaties", schoon, True))
    return uit


def _fixes(kolom, waarden: list) -> dict[int, tuple[str, str]]:
    """{position: (code, new text)} for a column's cells: each new text is read back, all at once,
    and must give the same value without a finding of its own."""
    kandidaten = {}
    for i, (oud, (waarde, _)) in enumerate(zip(waarden, _lees(kolom, waarden))):
        if waarde is not None and not _leeg(oud):
            kandidaten[i] = (waarde, _kandidaten(kolom, oud, waarde))
    te_lezen = list(dict.fromkeys(nieuw for _, lijst in kandidaten.values() for _, nieuw, lees in lijst if lees))
    gelezen = dict(zip(te_lezen, _lees(kolom, te_lezen)))
    uit = {}
    for i, (waarde, lijst) in kandidaten.items():
        for code, nieuw, lees in lijst:
            if not lees or (gelezen[nieuw][0] == waarde and not gelezen[nieuw][1]):
                uit[i] = (code, nieuw)
                break
    return uit


def _splits_tussenvoegsel(achternaam: str):
    """('van der', 'Berg') for 'van der Berg'; None unless the prefix is certain."""
    woorden = _schoon(achternaam).split(" ")
    for n in range(min(3, len(woorden) - 1), 0, -1):
        voor = " ".join(woorden[:n])
        if voor == voor.lower() and voor in TUSSENVOEGSELS and woorden[n][:1].isupper():
            return voor, " ".join(woorden[n:])
    return None


def _posities(sheet: Sheet, fmt: Format) -> dict[str, int]:
    """field → column index, by the titles of row 1 (the format's own, or mapped to them)."""
    per_titel = {titel_sleutel(k.titel): k.veld for k in fmt.kolommen}
    uit = {}
    for j, kolom in enumerate(sheet.kolommen):
        veld = per_titel.get(titel_sleutel(kolom[0])) if kolom else None
        if veld and veld not in uit:
            uit[veld] = j
    return uit


def _leeg(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def zoek(sheet: Sheet, fmt: Format) -> list[Soort]:
    """The fixes this sheet allows, per kind (only kinds with at least one), in a fixed order."""
    soorten = {code: Soort(code, *namen) for code, namen in SOORTEN.items()}
    posities = _posities(sheet, fmt)
    kolommen = sheet.kolommen
    for k in fmt.kolommen:
        j = posities.get(k.veld)
        if j is None or k.lezen is None:
            continue
        waarden = list(kolommen[j][1:])
        for i, (code, nieuw) in _fixes(k, waarden).items():
            soorten[code].herstellingen.append(Herstel(i + 2, k.titel, kolomletter(j), waarden[i], nieuw))
    a, t = posities.get("achternaam"), posities.get("tussenvoegsel")
    if a is not None and t is not None:
        ka, kt = fmt.kolom_voor_veld("achternaam"), fmt.kolom_voor_veld("tussenvoegsel")
        for i, (achternaam, tussen) in enumerate(zip(kolommen[a][1:], kolommen[t][1:]), start=1):
            if not isinstance(achternaam, str) or not _leeg(tussen):
                continue
            delen = _splits_tussenvoegsel(achternaam)
            if delen:
                soorten["tussenvoegsel_in_achternaam"].herstellingen += [
                    Herstel(i + 1, kt.titel, kolomletter(t), tussen, delen[0]),
                    Herstel(i + 1, ka.titel, kolomletter(a), achternaam, delen[1])]
    return [s for s in soorten.values() if s.herstellingen]


def toepassen(sheet: Sheet, herstellingen) -> Sheet:
    """The sheet with these fixes applied (a new Sheet; the old one is not changed)."""
    kolommen = [list(k) for k in sheet.kolommen]
    for h in herstellingen:
        j = _kolomindex(h.letter)
        kolommen[j][h.rij - 1] = h.nieuw
    return Sheet(soort=sheet.soort, naam=sheet.naam, kolommen=[tuple(k) for k in kolommen],
                 merged=sheet.merged, hidden_rows=sheet.hidden_rows, marker=sheet.marker)


def _kolomindex(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
