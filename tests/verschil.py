"""Generated lists of every format with every kind of defect, for the differential test.

`gevallen()` yields (name, format, file bytes) deterministically: per format a clean list, lists
with defects in every column (wrong texts, numbers, floats, dates, times, truth values, error
values, empty and blank cells, invisible characters), repeated numbers and persons, empty and
repeated title rows, data beside the titles, and file-level variants (titles renamed, missing,
extra, below row 1, hidden rows, merged cells), each as .xlsx and (where it has one) as .csv.

`uitkomst(data, fmt)` is what the check gives: `check --json`'s output plus the clean columns.
The expected outcomes in tests/data/verschil.json were written by the core as it was before the
rules were restructured (`python -m tests.verschil --schrijf`); tests/test_verschil.py holds the
core to them.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

from portal.lijsten.formats import FORMATS
from portal.lijsten.validate import check_bytes
from tests.builders import VANDAAG, geldig_bsn, geldig_onderwijsnummer, leerling, make_csv, make_xlsx

PAD = Path(__file__).parent / 'data' / 'verschil.json'

# Values a school might put in any column: every type a cell can hold.
OVERAL = [
    None, '', ' ', '\u200b', '\u00a0x\u00a0', 'x' * 300, '=1+1', '@SUM(1)', '-2+3', '#N/A', 'ABC', 'abc def',
    '12', '0', 5, 5.5, -1, 0, 123456782, 123456782.0, 1.23457e8, True, False,
    dt.date(2010, 5, 3), dt.datetime(2010, 5, 3, 10, 30), dt.time(10, 30), 'Zoë', "D'Souza", 'a\nb',
]

# Values meant for one field (bad and borderline good).
PER_VELD = {
    'leerlingnummer': ['12 34#', 'X999', '000123', 12345, 12.5],
    'bsn': ['123456782.5', '1,23457E+08', '12345678a', '1234567', '123456789', '101222331', '0123456782',
            ' 123456782 ', '123 456 782', 123456782.5],
    'onderwijsnummer': ['2012345', '101222332', '123456782', '101222331', 101222331],
    'voorletters': ['J4', 'A.B.C.D.E.F.G.H.I.J.K.', 'j.h.', 'JH', 'IJ', 'Th.'],
    'voornaam': ['Jan3', 'jan', 'JAN', 'Jan-Piet', 'Zoë', 'aaaa@'],
    'tussenvoegsel': ['vanne', 'Van', 'van der', "'t", 'v.d.'],
    'achternaam': ['van Dijk', 'Berg!', 'de Vries', 'Van den Berg', 'El Amrani'],
    'geslacht': ['Q', 'm', 'man', 'vrouw', 'X?', 'O'],
    'geboortedatum': ['31-02-2010', '03-05-10', 40000, '01-01-1890', dt.date(2024, 1, 1), dt.date(2000, 1, 1),
                      dt.date(2027, 1, 1), '3 mei 2009', '2010-05-03', '3-5-2010', '03/05/2010', 40000.5,
                      dt.date(1980, 1, 1), dt.date(2013, 1, 1)],
    'postcode': ['0123 AB', '1234 SS', '1234ab', '1234  AB', '1234', '1234-AB'],
    'woonplaats': ['=HYPERLINK("x")', "'s-Hertogenbosch", 'Den Haag'],
    'telefoonnummer': ['12345', '06-12345678 / 030-1234567', '0612345678', '+31612345678', '06-94641177',
                       '030-1234567', 612345678, '06 12 34 56 78'],
    'email': ['jan@', 'a@voorbeeld.nl; b@voorbeeld.nl', 'jan@@school', 'Jan@Voorbeeld.NL', 12345],
    'klas': [dt.date(2026, 1, 3), '#N/A', '4B', 'x' * 30],
    'leerjaar': ['vier', '4e', 4.5, 6, 1, '3', 7, 5],
    'onderwijsniveau': ['LWOO', 'HAVO/VWO', 'havo', 'VMBO-KB', 'VWO', 'HAVO'],
    'profiel_sector': ['Zorg en welzijn', '=HYPERLINK("http://x","y")'],
    'mentor': ['x' * 101, 'mevr. De Vries'],
    'vervolgwens': ['STUDEREN', 'VWO', 'mbo', 'HBO'],
    'lob_activiteit': ['Meeloopdag mbo', ''],
    'crebocode': ['1234', '12345', 12345, '123456'],
    'opleidingsnaam': ['Verzorgende IG', 'x' * 300],
    'niveau': ['5', 4, '2', 0],
    'leerweg': ['BL', 'bol', 'BBL', 'BOL'],
    'cohort': ['2023-2025', 2009, VANDAAG.year + 2, 2024, '2024'],
    'studieloopbaanbegeleider': ['J. Smit', '=1+1'],
    'verwachte_einddatum': [dt.date(2004, 1, 1), VANDAAG.replace(year=VANDAAG.year - 1), '31-02-2030',
                            dt.date(VANDAAG.year + 2, 7, 1)],
}


def _lijst(fmt, rng: random.Random, aantal: int, fouten_per_rij: float) -> list[dict]:
    """`aantal` students, each with about `fouten_per_rij` defects, plus repeats of earlier rows."""
    rijen = []
    velden = list(fmt.velden)
    for i in range(aantal):
        rij = leerling(fmt, rng, vandaag=VANDAAG)
        rij[fmt.kolommen[0].titel] = f'{i + 1:06d}'
        while rng.random() < fouten_per_rij / (1 + fouten_per_rij):
            veld = rng.choice(velden)
            pool = PER_VELD.get(veld, []) + (OVERAL if rng.random() < 0.4 else [])
            if pool:
                rij[fmt.kolom_voor_veld(veld).titel] = rng.choice(pool)
        if rijen and rng.random() < 0.08:
            # The same BSN, leerlingnummer, onderwijsnummer or person as an earlier row.
            eerder = rng.choice(rijen)
            for veld in rng.sample(['leerlingnummer', 'bsn', 'onderwijsnummer', 'persoon'], 2):
                if veld == 'persoon':
                    for v in ('voornaam', 'tussenvoegsel', 'achternaam', 'geboortedatum'):
                        rij[fmt.kolom_voor_veld(v).titel] = eerder[fmt.kolom_voor_veld(v).titel]
                elif veld == 'onderwijsnummer':
                    t = fmt.kolom_voor_veld('onderwijsnummer').titel
                    rij[t] = eerder[t] or geldig_onderwijsnummer(rng)
                    eerder[t] = rij[t]
                    rij[fmt.kolom_voor_veld('bsn').titel] = None
                else:
                    t = fmt.kolom_voor_veld(veld).titel
                    rij[t] = eerder[t]
        if rng.random() < 0.02:
            rij[fmt.kolom_voor_veld('bsn').titel] = geldig_bsn(rng)
        rijen.append(rij)
    return rijen


def _regels(fmt, rng) -> list[dict]:
    """One row per rule across columns: ages, dates, numbers that lost a leading zero."""
    vo = fmt.schoolsoort == 'VO'
    gevallen = [dict(geboortedatum=d) for d in (dt.date(2000, 1, 1), dt.date(2024, 1, 1), dt.date(1899, 1, 1),
                                                dt.date(2013, 1, 1), dt.date(1980, 1, 1), dt.date(2027, 1, 1))]
    nul = _bsn_met_nul(rng)
    gevallen += [dict(bsn=int(nul)), dict(bsn=nul[1:]), dict(bsn=None, onderwijsnummer=None), dict(bsn=nul)]
    if not vo:
        gevallen += [dict(geboortedatum=dt.date(1980, 1, 1), leerweg='BOL'),
                     dict(geboortedatum=dt.date(1980, 1, 1), leerweg='BBL'),
                     dict(cohort=VANDAAG.year + 1), dict(leerjaar=5), dict(leerjaar=0)]
        if 'verwachte_einddatum' in fmt.velden:
            gevallen += [dict(geboortedatum=dt.date(2005, 1, 1), verwachte_einddatum=dt.date(2004, 1, 1)),
                         dict(verwachte_einddatum=VANDAAG.replace(year=VANDAAG.year - 1))]
    else:
        gevallen += [dict(onderwijsniveau=n, leerjaar=j) for n in ('HAVO', 'VWO', 'VMBO-KB', 'HAVO/VWO')
                     for j in (1, 2, 3, 4, 5, 6)]
    rijen = []
    for i, overrides in enumerate(gevallen):
        rij = leerling(fmt, rng, vandaag=VANDAAG, **overrides)
        rij[fmt.kolommen[0].titel] = f'R{i:04d}'
        rijen.append(rij)
    return rijen


def _bsn_met_nul(rng) -> str:
    """A valid BSN that starts with 0 (Excel drops the zero when the column holds numbers)."""
    while True:
        basis = [0] + [rng.randint(0, 9) for _ in range(7)]
        laatste = sum((9 - i) * d for i, d in enumerate(basis)) % 11
        if laatste <= 9:
            return ''.join(map(str, basis + [laatste]))


def _rijen_als_lijsten(fmt, rijen, rng) -> list[list]:
    """The rows as lists, with empty rows, a repeated title row and a value beside the titles."""
    uit = [[r.get(t) for t in fmt.titels] for r in rijen]
    for _ in range(3):
        uit.insert(rng.randrange(len(uit)), [None] * len(fmt.titels))
    uit.insert(rng.randrange(1, len(uit)), list(fmt.titels))
    uit[rng.randrange(len(uit))] += [None, 'naast de lijst']
    return uit


def _varianten(fmt, rng):
    """(name, rows, make_xlsx options, with csv) of one format."""
    schoon = _lijst(fmt, rng, 40, 0)
    fout = _lijst(fmt, rng, 160, 1.2)
    yield 'schoon', schoon, {}, True
    yield 'fouten', fout, {}, True
    yield 'rommel', _rijen_als_lijsten(fmt, _lijst(fmt, rng, 60, 0.5), rng), {}, True
    titels = list(fmt.titels)
    hernoemd = titels[:]
    hernoemd[1] = hernoemd[1].upper() + ' '
    hernoemd[4] = 'Roepnaam'
    yield 'titels_hernoemd', fout[:30], {'titels': hernoemd}, True
    yield 'titel_ontbreekt', [{t: v for t, v in r.items() if t != titels[3]} for r in fout[:20]], \
        {'titels': titels[:3] + titels[4:]}, True
    yield 'titel_extra', fout[:20], {'titels': titels + ['Opmerking']}, True
    yield 'titels_in_rij_3', fout[:20], {'boven': [['Leerlinglijst 2026'], []]}, True
    yield 'verborgen_samengevoegd', fout[:25], {'hidden': [3, 7], 'merged': ['B30:C30']}, False
    yield 'regels', _regels(fmt, rng), {'marker': (fmt.naam, 0)}, True
    yield 'titel_dubbel', fout[:10], {'titels': titels[:5] + [titels[2]] + titels[6:]}, True
    yield 'alleen_titels', [], {}, True
    ander = next(f for f in FORMATS.values() if f.naam != fmt.naam and f.schoolsoort == fmt.schoolsoort)
    yield 'ander_format', [leerling(ander, rng, vandaag=VANDAAG) for _ in range(5)], \
        {'titels': list(ander.titels)}, True


def gevallen():
    """(name, format, bytes) of every generated file, always the same."""
    for fmt in FORMATS.values():
        rng = random.Random(f'verschil-{fmt.naam}')
        for naam, rijen, opties, met_csv in _varianten(fmt, rng):
            yield f'{fmt.naam}/{naam}.xlsx', fmt, make_xlsx(fmt, rijen, **opties)
            if met_csv:
                csv_opties = {'titels': opties['titels']} if 'titels' in opties else {}
                if 'boven' in opties:
                    continue
                yield f'{fmt.naam}/{naam}.csv', fmt, make_csv(fmt, rijen, **csv_opties)


def _json_waarde(v):
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return v


def uitkomst(data: bytes, fmt) -> dict:
    """`check --json`'s output for the file, plus the clean columns (dates as ISO text)."""
    r = check_bytes(data, fmt, vandaag=VANDAAG)
    uit = r.to_json()
    uit['kolommen'] = {veld: [_json_waarde(v) for v in waarden] for veld, waarden in r.kolommen.items()}
    return uit


def main(argv):
    if argv[1:] != ['--schrijf']:
        print('gebruik: python -m tests.verschil --schrijf   (schrijft', PAD, ')')
        return 2
    alles = {naam: uitkomst(data, fmt) for naam, fmt, data in gevallen()}
    PAD.parent.mkdir(exist_ok=True)
    PAD.write_text(json.dumps(alles, ensure_ascii=False, indent=0, sort_keys=True) + '\n')
    print(f'{len(alles)} gevallen geschreven naar {PAD}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
