"""Column mapping (issue 13, point 4): a file whose titles are not the format's is read through a
mapping the user confirms: each column of the file → one column of the format, or ignored.

The proposal comes, in this order, from a mapping confirmed earlier for the same titles, from the
titles being the format's own (compared as the validator compares them), from the titles the Dutch
school administration systems put in their exports (SYNONIEMEN, below), and last from similarity
(difflib). The validator is not changed: the mapping renames the titles of the read sheet and
blanks the ignored columns, so every finding still names the row and the column letter of the
user's own file. No Flask here.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from dataclasses import dataclass

from .formats import Format
from .reader import Bestandsfout, Limieten, Sheet, kolomletter, read_sheet
from .validate import Resultaat, check_bytes, check_sheet, titel_sleutel

__all__ = ["SYNONIEMEN", "Voorstel", "titels_van", "sleutel_van", "voorstel", "pas_toe", "ontbrekend",
           "dubbel", "nodig", "check_met_koppeling", "naar_json", "van_json", "gelezen_als"]

# Titles the exports of Magister, SOMtoday, Eduarte and Osiris use, per field of the formats (the
# model's field names, never a format's titles: those come from formats.py). Compared normalised
# (titel_sleutel: case, spaces). A title here is only a proposal; the user confirms every mapping.
SYNONIEMEN: dict[str, tuple[str, ...]] = {
    "leerlingnummer": ("stamnummer", "stamnr", "stamnr.", "leerlingnummer", "leerlingnr", "leerlingnr.",
                       "leerling nummer", "llnr", "llnr.", "ll.nr.", "studentnummer", "studentnr", "studentnr.",
                       "student nummer", "deelnemernummer", "deelnemernr", "leerling id", "student id"),
    "bsn": ("bsn", "burgerservicenummer", "burger service nummer", "sofinummer", "sofi-nummer", "bsn/sofinummer"),
    "onderwijsnummer": ("onderwijsnummer", "onderwijs nummer", "onderwijsnr"),
    "voorletters": ("voorletters", "initialen", "voorl.", "voorl"),
    "voornaam": ("roepnaam", "voornaam", "roepnaam leerling", "voornaam leerling", "roepnaam student"),
    "tussenvoegsel": ("tussenvoegsels", "tussenvoegsel", "voorvoegsel", "voorvoegsels", "tussenv.", "tussenv",
                      "tussenvoegsel(s)", "voorv."),
    "achternaam": ("achternaam", "familienaam", "geslachtsnaam", "achternaam leerling", "achternaam student",
                   "achternaam zonder tussenvoegsel", "officiële achternaam"),
    "geslacht": ("geslacht", "gender", "sekse", "m/v", "geslacht (m/v)"),
    "geboortedatum": ("geboortedatum", "geb. datum", "geb.datum", "gebdatum", "geb datum", "geboorte datum",
                      "datum geboorte", "geboren", "geboren op", "geb.dat."),
    "postcode": ("postcode", "pc", "postcode woonadres", "postcode adres", "postcode (woonadres)"),
    "woonplaats": ("woonplaats", "plaats", "plaatsnaam", "woonplaats leerling", "plaats woonadres"),
    "telefoonnummer": ("telefoonnummer", "telefoon", "tel", "tel.", "telnr", "tel.nr.", "mobiel", "mobiel nummer",
                       "mobiel nr", "mobiele telefoon", "telefoon mobiel", "mobielnummer", "06-nummer",
                       "telefoonnummer leerling", "mobiel leerling"),
    "email": ("e-mail", "email", "e-mailadres", "emailadres", "e-mail adres", "email adres", "mailadres",
              "e-mail leerling", "email leerling", "e-mailadres leerling", "e-mail student", "e-mail school"),
    "klas": ("klas", "groep", "klas/groep", "stamklas", "stamgroep", "basisgroep", "klas leerling"),
    "leerjaar": ("leerjaar", "jaarlaag", "studiejaar", "jaar"),
    "onderwijsniveau": ("onderwijsniveau", "niveau", "schooltype", "onderwijstype", "afdeling"),
    "profiel_sector": ("profiel", "sector", "profiel/sector", "profiel / sector"),
    "mentor": ("mentor", "mentoren", "mentor(en)", "mentor klas"),
    "crebocode": ("crebo", "crebocode", "crebo code", "crebonummer", "crebo-code", "opleidingscode"),
    "opleidingsnaam": ("opleiding", "opleidingsnaam", "naam opleiding", "opleiding naam"),
    "niveau": ("niveau", "mbo-niveau", "mbo niveau", "kwalificatieniveau"),
    "leerweg": ("leerweg", "bol/bbl", "bol-bbl"),
    "cohort": ("cohort", "instroomcohort", "cohortjaar"),
    "studieloopbaanbegeleider": ("studieloopbaanbegeleider", "slb", "slb'er", "slber", "slb-er",
                                 "loopbaanbegeleider", "studieloopbaan begeleider"),
    "verwachte_einddatum": ("verwachte einddatum", "einddatum", "verwachte diplomadatum", "prognose einddatum",
                            "geplande einddatum"),
    "vervolgwens": ("vervolgwens", "vervolgopleiding", "wens vervolgopleiding", "vervolgkeuze"),
    "lob_activiteit": ("lob-activiteit", "lob activiteit", "lob", "lob activiteiten"),
}

GELIJKENIS = 0.8          # difflib ratio from which a title is proposed as a format's column
KOPCODES = frozenset({"header_renamed", "header_unknown", "header_missing", "header_duplicate"})
BRONNEN = {"onthouden": "eerder zo gekoppeld", "gelijk": "zelfde titel", "synoniem": "bekende titel",
           "lijkt": "lijkt erop", None: ""}


@dataclass(frozen=True)
class Voorstel:
    positie: int           # column index in the file (A = 0)
    titel: str             # the title as in the file
    veld: str | None       # the proposed field of the format, None: ignore
    bron: str | None       # 'onthouden', 'gelijk', 'synoniem', 'lijkt' or None

    @property
    def letter(self) -> str:
        return kolomletter(self.positie)

    @property
    def toelichting(self) -> str:
        return BRONNEN[self.bron]


def _tekst(v) -> str:
    return "" if v is None else str(v).strip()


def titels_van(sheet: Sheet) -> list[tuple[int, str]]:
    """(position, title) of every column of the file with a title in row 1."""
    return [(j, _tekst(k[0])) for j, k in enumerate(sheet.kolommen) if k and titel_sleutel(k[0])]


def sleutel_van(titels) -> str:
    """One key for a file's set of titles (normalised, in order): what a remembered mapping is for."""
    tekst = "\x1f".join(titel_sleutel(t) for _, t in titels)
    return hashlib.sha256(tekst.encode("utf-8")).hexdigest()


def _synoniemen(fmt: Format) -> dict[str, str]:
    """Normalised title → field, for the fields of this format."""
    uit = {}
    for k in fmt.kolommen:
        for s in SYNONIEMEN.get(k.veld, ()):
            uit.setdefault(titel_sleutel(s), k.veld)
    for k in fmt.kolommen:                      # the format's own title always means its own field
        uit[titel_sleutel(k.titel)] = k.veld
    return uit


def voorstel(titels, fmt: Format, onthouden: dict[str, str] | None = None) -> list[Voorstel]:
    """The proposed mapping of a file's titles. `onthouden`: normalised title → field ('' = ignore),
    a mapping confirmed earlier. Each field of the format is proposed for one column at most."""
    onthouden = onthouden or {}
    velden = set(fmt.velden)
    eigen = {titel_sleutel(k.titel): k.veld for k in fmt.kolommen}
    synoniemen = _synoniemen(fmt)
    keuze: dict[int, tuple[str | None, str | None]] = {}
    bezet: set[str] = set()

    def kies(j, veld, bron):
        keuze[j] = (veld, bron)
        if veld:
            bezet.add(veld)

    for j, titel in titels:                                  # 1. confirmed earlier
        s = titel_sleutel(titel)
        if s in onthouden and (onthouden[s] in velden or onthouden[s] == "") and onthouden[s] not in bezet:
            kies(j, onthouden[s] or None, "onthouden")
    for bron, tabel in (("gelijk", eigen), ("synoniem", synoniemen)):   # 2. own title, 3. known title
        for j, titel in titels:
            veld = tabel.get(titel_sleutel(titel))
            if j not in keuze and veld and veld not in bezet:
                kies(j, veld, bron)
    for j, titel in titels:                                  # 4. similar
        if j in keuze:
            continue
        s = titel_sleutel(titel)
        kandidaten = {t: v for t, v in synoniemen.items() if v not in bezet}
        gelijk = difflib.get_close_matches(s, kandidaten, n=1, cutoff=GELIJKENIS)
        kies(j, kandidaten[gelijk[0]] if gelijk else None, "lijkt" if gelijk else None)
    return [Voorstel(j, titel, *keuze[j]) for j, titel in titels]


def ontbrekend(fmt: Format, koppeling: dict[int, str]):
    """The required columns of the format that no column of the file is mapped to."""
    gekozen = set(koppeling.values())
    return [k for k in fmt.kolommen if k.verplicht and k.veld not in gekozen]


def dubbel(koppeling: dict[int, str]) -> dict[str, list[int]]:
    """Fields chosen for more than one column → those columns."""
    per_veld: dict[str, list[int]] = {}
    for j, veld in sorted(koppeling.items()):
        if veld:
            per_veld.setdefault(veld, []).append(j)
    return {v: js for v, js in per_veld.items() if len(js) > 1}


def nodig(codes) -> bool:
    """Do a check's findings (their codes) call for the mapping step: titles that are not the
    format's, and not a file of another format or with its titles lower down."""
    codes = set(codes)
    return bool(codes & KOPCODES) and not codes & {"wrong_format", "header_not_in_first_row"}


def pas_toe(sheet: Sheet, fmt: Format, koppeling: dict[int, str]) -> Sheet:
    """The sheet as the validator should read it: a mapped column gets the format's title, an
    ignored one is blanked (title and cells), the other columns stay where they are, so rows and
    column letters in the findings are those of the user's file. A column of the format that is
    not required and not in the file is added, empty, after the last one."""
    kolommen = list(sheet.kolommen)
    hoogte = len(kolommen[0]) if kolommen else 0
    titel_van = {k.veld: k.titel for k in fmt.kolommen}
    nieuw = []
    for j, kolom in enumerate(kolommen):
        if j not in koppeling:
            nieuw.append(kolom)
        elif koppeling[j] in titel_van:
            nieuw.append((titel_van[koppeling[j]], *kolom[1:]))
        else:
            nieuw.append((None,) * hoogte)
    gekozen = set(koppeling.values())
    for k in fmt.kolommen:
        if not k.verplicht and k.veld not in gekozen:
            nieuw.append((k.titel,) + (None,) * (hoogte - 1))
    return Sheet(soort=sheet.soort, naam=sheet.naam, kolommen=nieuw, merged=sheet.merged,
                 hidden_rows=sheet.hidden_rows, marker=sheet.marker)


def check_met_koppeling(data: bytes, fmt: Format, koppeling: dict[int, str] | None, *,
                        limieten: Limieten | None = None, vandaag: dt.date | None = None) -> Resultaat:
    """check_bytes, through a confirmed mapping when there is one."""
    if not koppeling:
        return check_bytes(data, fmt, vandaag=vandaag, limieten=limieten)
    try:
        sheet = read_sheet(data, limieten or Limieten())
    except Bestandsfout:
        return check_bytes(data, fmt, vandaag=vandaag, limieten=limieten)   # the same file finding
    return check_sheet(pas_toe(sheet, fmt, koppeling), fmt, vandaag=vandaag)


def naar_json(titels, koppeling: dict[int, str]) -> str:
    """A confirmed mapping as stored beside the file: [position, title, field or ''] per column."""
    return json.dumps([[j, titel, koppeling.get(j, "")] for j, titel in titels], ensure_ascii=False)


def van_json(tekst: str | None) -> dict[int, str]:
    """The stored mapping as {position: field or ''}; {} when there is none."""
    if not tekst:
        return {}
    return {int(j): veld for j, _, veld in json.loads(tekst)}


def gelezen_als(tekst: str | None, fmt: Format) -> list[tuple[str, str | None]]:
    """(title in the file, format's title or None for ignored) for every column the mapping
    changed: what the result page says ("Kolom 'Roepnaam' gelezen als 'Voornaam'")."""
    if not tekst:
        return []
    titel_van = {k.veld: k.titel for k in fmt.kolommen}
    uit = []
    for _, titel, veld in json.loads(tekst):
        doel = titel_van.get(veld)
        if doel is None or titel_sleutel(doel) != titel_sleutel(titel):
            uit.append((titel, doel))
    return uit
