"""The validator: every finding as (row, column, code), from generated files read by the real reader."""
from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.lijsten.errors import CATALOG, Bevinding
from portal.lijsten.formats import FORMATS
from portal.lijsten.reader import Sheet
from portal.lijsten.validate import check_bytes, check_record, check_sheet, schooljaar_start
from tests.builders import (VANDAAG, geldig_bsn, geldig_onderwijsnummer, leerling, leerlingen,
                            make_csv, make_xlsx, titel)

VO_O = FORMATS['VO-overstapper']
VO_N = FORMATS['VO-niet-overstapper']
MBO_O = FORMATS['MBO-overstapper']
MBO_N = FORMATS['MBO-niet-overstapper']


def check(fmt, rows, **opts):
    return check_bytes(make_xlsx(fmt, rows, **opts), fmt, vandaag=VANDAAG)


def gevonden(resultaat) -> set[tuple]:
    return {(b.rij, b.kolom, b.code) for b in resultaat.fouten + resultaat.waarschuwingen}


def met_rij3(fmt, seed=3, **overrides):
    """Two valid students, then (spreadsheet row 4) one with the overrides."""
    rijen = leerlingen(fmt, 2, seed=seed)
    slecht = leerling(fmt, random.Random(seed + 100), **overrides)
    if 'leerlingnummer' not in overrides:
        slecht[fmt.kolommen[0].titel] = 'X999'
    return rijen + [slecht]


def bsn_met_nul(rng) -> str:
    while True:
        basis = [0] + [rng.randint(0, 9) for _ in range(7)]
        laatste = sum((9 - i) * d for i, d in enumerate(basis)) % 11
        if laatste <= 9:
            return ''.join(map(str, basis + [laatste]))


@pytest.mark.parametrize('fmt', list(FORMATS.values()), ids=lambda f: f.naam)
@pytest.mark.parametrize('maker', ['xlsx', 'csv'])
def test_valid_list_has_no_findings(fmt, maker):
    rijen = leerlingen(fmt, 25)
    data = make_xlsx(fmt, rijen) if maker == 'xlsx' else make_csv(fmt, rijen)
    r = check_bytes(data, fmt, vandaag=VANDAAG)
    assert gevonden(r) == set()
    assert r.ok and r.rijen == 25
    assert [l['rij'] for l in r.leerlingen] == list(range(2, 27))
    eerste = r.leerlingen[0]
    assert set(eerste) == set(fmt.velden) | {'rij'}
    assert isinstance(eerste['geboortedatum'], dt.date) and isinstance(eerste['leerjaar'], int)
    assert eerste['telefoonnummer'].startswith('+316')


# --- Every cell and row code: (row, column, code) -----------------------------------------------
VERLEDEN = VANDAAG.replace(year=VANDAAG.year - 1)
CEL_GEVALLEN = [
    # (format, overrides, veld of the expected column, code)
    (VO_O, dict(voornaam=None), 'voornaam', 'required'),
    (VO_O, dict(klas=None), 'klas', 'required'),
    (VO_O, dict(mentor='x' * 101), 'mentor', 'too_long'),
    (VO_O, dict(voorletters='A.B.C.D.E.F.G.H.I.J.K.'), 'voorletters', 'too_long'),
    (VO_O, dict(voornaam='Jan3'), 'voornaam', 'invalid_characters'),
    (VO_O, dict(achternaam='Berg!'), 'achternaam', 'invalid_characters'),
    (VO_O, dict(leerlingnummer='12 34#'), 'leerlingnummer', 'invalid_characters'),
    (VO_O, dict(woonplaats='=HYPERLINK("x")'), 'woonplaats', 'formula_without_value'),
    (VO_O, dict(klas='#N/A'), 'klas', 'cell_error_value'),
    (VO_O, dict(klas=dt.date(2026, 1, 3)), 'klas', 'unexpected_date_value'),
    (MBO_O, dict(klas=dt.date(2026, 2, 1)), 'klas', 'unexpected_date_value'),
    (VO_O, dict(bsn=123456782.5), 'bsn', 'number_not_whole'),
    (VO_O, dict(bsn=None), 'bsn', 'identifier_missing'),
    (VO_O, dict(bsn='1,23457E+08'), 'bsn', 'bsn_scientific_notation'),
    (VO_O, dict(bsn='12345678a'), 'bsn', 'bsn_format'),
    (VO_O, dict(bsn='1234567'), 'bsn', 'bsn_length'),
    (VO_O, dict(bsn='123456789'), 'bsn', 'bsn_checksum'),
    (VO_O, dict(bsn='101222331'), 'bsn', 'bsn_is_onderwijsnummer'),
    (VO_O, dict(bsn=None, onderwijsnummer='2012345'), 'onderwijsnummer', 'onderwijsnummer_format'),
    (VO_O, dict(bsn=None, onderwijsnummer='101222332'), 'onderwijsnummer', 'onderwijsnummer_checksum'),
    (VO_O, dict(bsn=None, onderwijsnummer='123456782'), 'onderwijsnummer', 'onderwijsnummer_is_bsn'),
    (VO_O, dict(onderwijsnummer='101222331'), 'onderwijsnummer', 'bsn_and_onderwijsnummer'),
    (VO_O, dict(voorletters='J4'), 'voorletters', 'voorletters_format'),
    (VO_O, dict(tussenvoegsel=None, achternaam='van Dijk'), 'achternaam', 'tussenvoegsel_in_achternaam'),
    (VO_O, dict(tussenvoegsel='vanne'), 'tussenvoegsel', 'tussenvoegsel_unknown'),
    (VO_O, dict(geslacht='Q'), 'geslacht', 'geslacht_invalid'),
    (VO_O, dict(geboortedatum='31-02-2010'), 'geboortedatum', 'date_invalid'),
    (VO_O, dict(geboortedatum='03-05-10'), 'geboortedatum', 'date_two_digit_year'),
    (VO_O, dict(geboortedatum=40000), 'geboortedatum', 'date_serial_converted'),
    (VO_O, dict(geboortedatum=dt.date(2027, 1, 1)), 'geboortedatum', 'date_in_future'),
    (VO_O, dict(geboortedatum='01-01-1890'), 'geboortedatum', 'date_implausible'),
    (VO_O, dict(geboortedatum=dt.date(2024, 1, 1)), 'geboortedatum', 'date_implausible'),
    (VO_O, dict(geboortedatum=dt.date(2000, 1, 1)), 'geboortedatum', 'age_unusual'),
    (MBO_O, dict(geboortedatum=dt.date(1980, 1, 1), leerweg='BOL'), 'geboortedatum', 'age_unusual'),
    (MBO_N, dict(geboortedatum=dt.date(2013, 1, 1)), 'geboortedatum', 'age_unusual'),
    (VO_O, dict(postcode='0123 AB'), 'postcode', 'postcode_format'),
    (VO_O, dict(postcode='1234 SS'), 'postcode', 'postcode_format'),
    (VO_O, dict(postcode=None), 'postcode', 'postcode_missing'),
    (MBO_O, dict(postcode=None), 'postcode', 'postcode_missing'),
    (VO_O, dict(telefoonnummer='12345'), 'telefoonnummer', 'phone_invalid'),
    (VO_O, dict(telefoonnummer='06-12345678 / 030-1234567'), 'telefoonnummer', 'phone_multiple'),
    (VO_O, dict(email='jan@'), 'email', 'email_invalid'),
    (VO_O, dict(email='a@voorbeeld.nl; b@voorbeeld.nl'), 'email', 'email_multiple'),
    (VO_O, dict(leerjaar='vier'), 'leerjaar', 'leerjaar_invalid'),
    (VO_O, dict(leerjaar='4e'), 'leerjaar', 'leerjaar_invalid'),
    (VO_O, dict(leerjaar=4.5), 'leerjaar', 'leerjaar_invalid'),
    (VO_O, dict(onderwijsniveau='HAVO', leerjaar=6), 'leerjaar', 'leerjaar_out_of_range'),
    (VO_O, dict(onderwijsniveau='LWOO'), 'onderwijsniveau', 'onderwijsniveau_invalid'),
    (VO_N, dict(onderwijsniveau='HAVO/VWO', leerjaar=3), 'onderwijsniveau', 'brugklas_niveau_leerjaar'),
    (VO_O, dict(onderwijsniveau='HAVO', leerjaar=4), 'leerjaar', 'overstapper_not_exam_year'),
    (VO_N, dict(onderwijsniveau='VWO', leerjaar=6), 'leerjaar', 'niet_overstapper_exam_year'),
    (VO_O, dict(vervolgwens='STUDEREN'), 'vervolgwens', 'vervolgwens_invalid'),
    (MBO_O, dict(vervolgwens='VWO'), 'vervolgwens', 'vervolgwens_invalid'),
    (MBO_O, dict(crebocode='1234'), 'crebocode', 'crebo_format'),
    (MBO_O, dict(niveau='5'), 'niveau', 'mbo_niveau_invalid'),
    (MBO_O, dict(leerweg='BL'), 'leerweg', 'leerweg_invalid'),
    (MBO_O, dict(cohort='2023-2025'), 'cohort', 'cohort_invalid'),
    (MBO_O, dict(cohort=2009), 'cohort', 'cohort_out_of_range'),
    (MBO_N, dict(cohort=schooljaar_start(VANDAAG) + 2), 'cohort', 'cohort_out_of_range'),
    (MBO_N, dict(leerjaar=5), 'leerjaar', 'mbo_leerjaar_high'),
    (MBO_N, dict(leerjaar=7), 'leerjaar', 'leerjaar_out_of_range'),
    (MBO_O, dict(geboortedatum=dt.date(2005, 1, 1), verwachte_einddatum=dt.date(2004, 1, 1)),
     'verwachte_einddatum', 'einddatum_before_birth'),
    (MBO_O, dict(verwachte_einddatum=VERLEDEN), 'verwachte_einddatum', 'einddatum_in_past'),
]


@pytest.mark.parametrize('fmt,overrides,veld,code', CEL_GEVALLEN,
                         ids=[f'{c[3]}-{c[0].naam}-{"-".join(c[1])}' for c in CEL_GEVALLEN])
def test_cell_and_row_codes(fmt, overrides, veld, code):
    r = check(fmt, met_rij3(fmt, **overrides))
    assert (4, titel(fmt, veld), code) in gevonden(r)
    # Nothing at all on the two valid rows above it.
    assert not [b for b in r.fouten + r.waarschuwingen if b.rij in (2, 3)]
    assert r.ok == (CATALOG[code].niveau == 'W')


def test_cell_findings_carry_letter_and_value():
    r = check(VO_O, met_rij3(VO_O, bsn='123456789'))
    (b,) = r.fouten
    assert (b.cel, b.waarde) == (f'{chr(65 + VO_O.titels.index("BSN"))}4', '123456789')
    assert b.to_dict() == {'code': 'bsn_checksum', 'row': 4, 'column': 'BSN', 'value': '123456789',
                           'message': b.bericht}
    assert '123456789' in b.bericht and 'rij 4' in b.bericht


def test_every_finding_of_a_row_is_reported_in_one_pass():
    r = check(VO_O, met_rij3(VO_O, bsn='123456789', voornaam='J4n', geslacht='Q', postcode='12',
                             email='x@', leerjaar='vier'))
    assert {(rij, code) for rij, _, code in gevonden(r)} == {
        (4, 'bsn_checksum'), (4, 'invalid_characters'), (4, 'geslacht_invalid'), (4, 'postcode_format'),
        (4, 'email_invalid'), (4, 'leerjaar_invalid')}


def test_bsn_with_eight_digits_gets_a_leading_zero():
    bsn = bsn_met_nul(random.Random(0))
    assert bsn[1] != '0'
    for waarde in (bsn[1:], int(bsn)):              # text of 8 digits, or an Excel number
        r = check(VO_O, met_rij3(VO_O, bsn=waarde))
        assert gevonden(r) == {(4, 'BSN', 'bsn_leading_zero_restored')}
        assert r.leerlingen[2]['bsn'] == bsn
        assert r.waarschuwingen[0].waarde == bsn


def test_bsn_separators_and_excel_numbers_are_accepted():
    bsn = geldig_bsn(random.Random(8))
    for waarde in (f'{bsn[:4]}.{bsn[4:6]}.{bsn[6:]}', f'{bsn[:3]} {bsn[3:6]} {bsn[6:]}', int(bsn), float(bsn)):
        r = check(VO_O, met_rij3(VO_O, bsn=waarde))
        assert r.ok and gevonden(r) == set(), waarde
        assert r.leerlingen[2]['bsn'] == bsn


def test_both_numbers_valid_uses_the_bsn():
    rijen = met_rij3(VO_O, onderwijsnummer=geldig_onderwijsnummer(random.Random(2)))
    r = check(VO_O, rijen)
    assert r.leerlingen[2]['bsn'] and r.leerlingen[2]['onderwijsnummer'] is None


def test_onderwijsnummer_alone_is_enough():
    r = check(VO_O, met_rij3(VO_O, bsn=None, onderwijsnummer=geldig_onderwijsnummer(random.Random(3))))
    assert r.ok and gevonden(r) == set()


def test_duplicates_name_the_first_row():
    rijen = leerlingen(VO_O, 4)
    lln, bsn_t, on_t = (titel(VO_O, v) for v in ('leerlingnummer', 'bsn', 'onderwijsnummer'))
    rijen[2][lln] = rijen[0][lln]                   # row 4 repeats row 2's leerlingnummer
    rijen[3][bsn_t] = rijen[1][bsn_t]               # row 5 repeats row 3's BSN
    on = geldig_onderwijsnummer(random.Random(9))
    rijen[0][on_t] = rijen[1][on_t] = on
    rijen[0][bsn_t] = rijen[1][bsn_t] = None
    rijen[3][bsn_t] = geldig_bsn(random.Random(77))
    rijen += [dict(rijen[3], **{lln: '777', bsn_t: rijen[3][bsn_t]})]
    r = check(VO_O, rijen)
    assert {(b.rij, b.kolom, b.code, b.params.get('eerste_rij')) for b in r.fouten} == {
        (4, 'Leerlingnummer', 'duplicate_leerlingnummer', 2),
        (3, 'Onderwijsnummer', 'duplicate_onderwijsnummer', 2),
        (6, 'BSN', 'duplicate_bsn', 5)}
    # Same name and birth date already reported as the same BSN: no extra warning.
    assert not [b for b in r.waarschuwingen if b.code == 'possible_duplicate_person']


def test_possible_duplicate_person():
    rijen = leerlingen(VO_O, 3)
    for veld in ('voornaam', 'tussenvoegsel', 'achternaam', 'geboortedatum'):
        rijen[2][titel(VO_O, veld)] = rijen[0][titel(VO_O, veld)]
    r = check(VO_O, rijen)
    (b,) = r.waarschuwingen
    assert (b.rij, b.kolom, b.code, b.params['andere_rij']) == (4, 'Achternaam', 'possible_duplicate_person', 2)


# --- Clean-up (formats.md §4) ----------------------------------------------------------------------
def test_clean_up_is_silent_and_normalises():
    r = check(VO_O, met_rij3(
        VO_O, voornaam='\u00a0 Anne  Marie\u200b ', voorletters='a m', tussenvoegsel='Van Der',
        geslacht='meisje', onderwijsniveau='m.a.v.o.', leerjaar='4', postcode='1234ab',
        telefoonnummer='+31 6 1234 5678', email='Anne@Voorbeeld.NL', vervolgwens='mbo',
        geboortedatum='3.5.2010', klas=4, leerlingnummer=1234.0, woonplaats='Cafe\u0301'))
    assert gevonden(r) == set()
    l = r.leerlingen[2]
    assert (l['voornaam'], l['voorletters'], l['tussenvoegsel'], l['geslacht'], l['onderwijsniveau']) == \
        ('Anne Marie', 'A.M.', 'van der', 'V', 'VMBO-TL')
    assert (l['postcode'], l['telefoonnummer'], l['email'], l['vervolgwens']) == \
        ('1234 AB', '+31612345678', 'Anne@voorbeeld.nl', 'MBO')
    assert (l['geboortedatum'], l['klas'], l['leerlingnummer'], l['leerjaar']) == \
        (dt.date(2010, 5, 3), '4', '1234', 4)
    assert l['woonplaats'] == 'Café'


@pytest.mark.parametrize('tekst', ['3-5-2010', '03/05/2010', '3.5.2010', '2010-05-03', '03-05-2010'])
def test_date_forms(tekst):
    r = check(VO_N, met_rij3(VO_N, geboortedatum=tekst, onderwijsniveau='HAVO', leerjaar=3))
    assert gevonden(r) == set()
    assert r.leerlingen[2]['geboortedatum'] == dt.date(2010, 5, 3)


def test_excel_serial_date_is_read_with_a_warning():
    r = check(VO_N, met_rij3(VO_N, geboortedatum=40301, onderwijsniveau='HAVO', leerjaar=3))
    (b,) = r.waarschuwingen
    assert (b.rij, b.kolom, b.code, b.params['datum']) == (4, 'Geboortedatum', 'date_serial_converted', '03-05-2010')
    assert r.leerlingen[2]['geboortedatum'] == dt.date(2010, 5, 3)


@pytest.mark.parametrize('waarde,verwacht', [('entree', 1), ('N2', 2), ('niveau 3', 3), (4, 4)])
def test_mbo_niveau_aliases(waarde, verwacht):
    r = check(MBO_N, met_rij3(MBO_N, niveau=waarde, leerweg='b.b.l.', cohort='2023/2024'))
    assert gevonden(r) == set()
    assert (r.leerlingen[2]['niveau'], r.leerlingen[2]['leerweg'], r.leerlingen[2]['cohort']) == (verwacht, 'BBL', 2023)


def test_cohort_limit_follows_the_schooljaar_starting_in_august():
    assert schooljaar_start(dt.date(2026, 7, 31)) == 2025
    assert schooljaar_start(dt.date(2026, 8, 1)) == 2026
    rijen = met_rij3(MBO_N, cohort=2027)
    assert (4, 'Cohort', 'cohort_out_of_range') in gevonden(
        check_bytes(make_xlsx(MBO_N, rijen), MBO_N, vandaag=dt.date(2026, 7, 31)))
    assert gevonden(check_bytes(make_xlsx(MBO_N, rijen), MBO_N, vandaag=dt.date(2026, 8, 1))) == set()


# --- Titles and the sheet ----------------------------------------------------------------------------
def test_titles_ignore_case_spaces_and_order():
    titels = [f' \u00a0{t.upper()}\u200b ' for t in reversed(VO_O.titels)]
    rijen = [list(reversed([r[t] for t in VO_O.titels])) for r in leerlingen(VO_O, 3)]
    r = check(VO_O, rijen, titels=titels)
    assert r.ok and gevonden(r) == set() and r.rijen == 3


def test_column_errors_and_row_errors_come_in_one_result():
    """#11.3: a renamed, missing, unknown or doubled column does not hide the row errors of the
    columns that were recognised (a renamed column is read as the column it most likely is)."""
    titels = list(VO_O.titels)
    titels[titels.index('Geboortedatum')] = 'Geboorte datum'     # renamed
    titels[titels.index('E-mailadres')] = 'Email'                 # renamed (close)
    titels.remove('Mentor')                                      # missing
    titels += ['Opmerkingen', 'Klas']                            # unknown, duplicate
    rijen = met_rij3(VO_O, bsn='123456789', geboortedatum='31-02-2010', email='jan@')
    for r in rijen:
        r['Geboorte datum'] = r.pop('Geboortedatum')
        r['Email'] = r.pop('E-mailadres')
    r = check(VO_O, rijen, titels=titels)
    assert gevonden(r) == {(1, 'Geboortedatum', 'header_renamed'), (1, 'E-mailadres', 'header_renamed'),
                           (1, 'Mentor', 'header_missing'), (1, 'Opmerkingen', 'header_unknown'),
                           (1, 'Klas', 'header_duplicate'),
                           (4, 'BSN', 'bsn_checksum'), (4, 'Geboortedatum', 'date_invalid'),
                           (4, 'E-mailadres', 'email_invalid')}
    renamed = next(b for b in r.fouten if b.kolom == 'Geboortedatum' and b.rij == 1)
    assert renamed.waarde == 'Geboorte datum' and 'bedoelde u Geboortedatum' in renamed.bericht
    assert r.rijen == 3 and not r.ok
    geboorte = next(b for b in r.fouten if b.code == 'date_invalid')
    assert geboorte.cel == f'I4'                       # the cell of the renamed column


def test_a_missing_column_gives_no_row_errors_of_its_own():
    """A missing required column is one header_missing, not a 'required' in every row; a missing
    BSN column does not make every row 'identifier_missing' either."""
    for weg in ('Voornaam', 'BSN', 'Tussenvoegsel', 'Postcode'):
        titels = [t for t in VO_O.titels if t != weg]
        rijen = leerlingen(VO_O, 3)
        if weg == 'Tussenvoegsel':
            rijen[0]['Achternaam'] = 'van Berg'
        r = check(VO_O, rijen, titels=titels)
        assert gevonden(r) == {(1, weg, 'header_missing')}, weg
        assert r.rijen == 3


def test_no_recognised_column_at_all_stops_after_the_titles():
    titels = ['Naam', 'Adres', 'Telefoon nr', 'Notitie']
    r = check(VO_O, [['a', 'b', 'c', 'd']], titels=titels)
    assert {c for _, _, c in gevonden(r)} <= {'header_missing', 'header_unknown', 'header_renamed'}
    assert all(b.rij in (1, None) for b in r.fouten)


def test_titles_of_another_format_give_one_error_naming_both():
    r = check(VO_O, leerlingen(MBO_N, 3), titels=list(MBO_N.titels))
    (b,) = r.fouten
    assert b.code == 'wrong_format' and b.params == {'gevonden': 'MBO-niet-overstapper', 'gekozen': 'VO-overstapper'}
    assert 'MBO-niet-overstapper' in b.bericht and 'VO-overstapper' in b.bericht


def test_marker_of_another_format_is_named():
    # Only the columns both VO formats share: the marker decides which format the file is.
    gedeeld = [t for t in VO_O.titels if t in VO_N.titels]
    rijen = leerlingen(VO_O, 2)
    r = check(VO_N, rijen, titels=gedeeld, marker=('VO-overstapper', 1))
    assert [(b.code, b.params['gevonden']) for b in r.fouten] == [('wrong_format', 'VO-overstapper')]
    r = check(VO_N, rijen, titels=gedeeld)
    # The missing column, and (#11.3) the rows checked as well: overstappers are in their exam year.
    assert gevonden(r) == {(1, 'LOB-activiteit', 'header_missing'),
                           (2, 'Leerjaar', 'niet_overstapper_exam_year'), (3, 'Leerjaar', 'niet_overstapper_exam_year')}


def test_outdated_marker_is_a_warning():
    r = check(VO_O, leerlingen(VO_O, 2), marker=('VO-overstapper', 0))
    assert gevonden(r) == {(None, None, 'format_outdated')} and r.ok


def test_titles_below_row_one():
    r = check(VO_O, leerlingen(VO_O, 2), boven=[['Leerlinglijst 2026'], []])
    assert gevonden(r) == {(3, None, 'header_not_in_first_row')}


def test_sheet_level_findings():
    rijen = leerlingen(VO_O, 6)
    rijen[2] = {}                                               # empty row 4
    rijen[4] = {t: t for t in VO_O.titels}                      # titles again in row 6
    data = [list(r.values()) if r else [] for r in rijen]
    data[0] = [rijen[0][t] for t in VO_O.titels] + [None, 'losse notitie']   # beyond the titles
    data[1] = [rijen[1][t] for t in VO_O.titels]
    r = check(VO_O, data, merged=['A7:B7'], hidden=[3])
    breedte = len(VO_O.titels)
    letter = chr(ord('A') + breedte + 1)
    assert gevonden(r) >= {(2, None, 'data_outside_columns'), (6, None, 'duplicate_header_row'),
                           (7, None, 'merged_cells'), (None, None, 'empty_rows_skipped'),
                           (None, None, 'hidden_rows_included')}
    assert next(b for b in r.fouten if b.code == 'data_outside_columns').letter == letter
    assert next(b for b in r.waarschuwingen if b.code == 'empty_rows_skipped').params['aantal'] == 1
    assert r.rijen == 4


def test_only_titles_is_no_data_rows():
    r = check(MBO_O, [])
    assert gevonden(r) == {(None, None, 'no_data_rows')} and not r.ok


def test_empty_sheet_object_is_file_empty():
    r = check_sheet(Sheet('csv', None, []), VO_O, vandaag=VANDAAG)
    assert [b.code for b in r.fouten] == ['file_empty']


def test_file_level_error_from_the_reader_is_one_finding():
    r = check_bytes(b'%PDF-1.4 hallo', VO_O, vandaag=VANDAAG)
    assert r.rijen == 0 and [b.code for b in r.fouten] == ['file_type_unsupported']


# --- CSV variants -------------------------------------------------------------------------------------
@pytest.mark.parametrize('sep', [';', ',', '\t'])
@pytest.mark.parametrize('encoding', ['utf-8-sig', 'utf-8', 'cp1252'])
def test_csv_separators_and_encodings(sep, encoding):
    rijen = leerlingen(VO_O, 4)
    rijen[0][titel(VO_O, 'achternaam')] = 'Çelik'
    rijen[1][titel(VO_O, 'voornaam')] = 'Zoë'
    rijen[2][titel(VO_O, 'mentor')] = 'mevr. De Vries, T.'        # a comma inside a cell
    r = check_bytes(make_csv(VO_O, rijen, sep=sep, encoding=encoding), VO_O, vandaag=VANDAAG)
    assert gevonden(r) == set() and r.rijen == 4
    assert (r.leerlingen[0]['achternaam'], r.leerlingen[1]['voornaam']) == ('Çelik', 'Zoë')


def test_csv_row_errors_have_spreadsheet_rows():
    rijen = leerlingen(MBO_N, 3)
    rijen[1][titel(MBO_N, 'crebocode')] = '12a45'
    r = check_bytes(make_csv(MBO_N, rijen), MBO_N, vandaag=VANDAAG)
    assert gevonden(r) == {(3, 'Crebocode', 'crebo_format')}


# --- Manual entry --------------------------------------------------------------------------------------
def _als_veld(fmt, rij):
    return {k.veld: (None if rij[k.titel] is None else str(rij[k.titel]) if not isinstance(rij[k.titel], dt.date)
                     else rij[k.titel].strftime('%d-%m-%Y')) for k in fmt.kolommen}


def test_check_record_same_rules_without_rows():
    waarden = _als_veld(VO_O, leerling(VO_O, random.Random(4)))
    schoon, bevindingen = check_record(VO_O, waarden, vandaag=VANDAAG)
    assert bevindingen == [] and schoon['bsn'] == waarden['bsn'] and 'rij' not in schoon
    waarden.update(bsn='', onderwijsnummer='', geslacht='Z', postcode='')
    schoon, bevindingen = check_record(VO_O, waarden, vandaag=VANDAAG)
    assert {(b.rij, b.kolom, b.code) for b in bevindingen} == {
        (None, 'BSN', 'identifier_missing'), (None, 'Geslacht', 'geslacht_invalid'),
        (None, 'Postcode', 'postcode_missing')}
    for b in bevindingen:
        assert 'rij' not in b.bericht.lower() and '{' not in b.bericht and 'None' not in b.bericht


def test_messages_without_a_row_read_well():
    # The manual-entry form shows cell and row messages without a row number.
    for code, soort in CATALOG.items():
        if soort.groep != 'Cel en rij':
            continue
        params = {n: '7' for n in re.findall(r'\{(\w+)\}', soort.bericht)}
        b = Bevinding(code, None, 'Kolom', 'w', 'A', params)
        assert not re.search(r'\brij\s*[(),;.]|\(\s*\)|None|\{', b.bericht), (code, b.bericht)


def test_messages_name_row_and_column():
    for code, soort in CATALOG.items():
        if soort.groep == 'Cel en rij':
            assert '{rij}' in soort.bericht, code
        assert re.search(r'Traceback|Error|None|\bstr\b|\bint\b', soort.bericht) is None, code
        assert soort.oplossing.endswith('.'), code


# --- Properties ----------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), naam=st.sampled_from(list(FORMATS)))
def test_random_valid_students_pass(seed, naam):
    fmt = FORMATS[naam]
    waarden = _als_veld(fmt, leerling(fmt, random.Random(seed)))
    _, bevindingen = check_record(fmt, waarden, vandaag=VANDAAG)
    assert bevindingen == []


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), positie=st.integers(0, 8), verschil=st.integers(1, 9))
def test_bsn_with_one_digit_changed_fails(seed, positie, verschil):
    bsn = geldig_bsn(random.Random(seed))
    fout = bsn[:positie] + str((int(bsn[positie]) + verschil) % 10) + bsn[positie + 1:]
    waarden = _als_veld(VO_O, leerling(VO_O, random.Random(seed), bsn=fout))
    _, bevindingen = check_record(VO_O, waarden, vandaag=VANDAAG)
    assert [(b.kolom, b.code) for b in bevindingen if b.is_fout] in (
        [('BSN', 'bsn_checksum')], [('BSN', 'bsn_is_onderwijsnummer')])


# --- Every code is tested somewhere ----------------------------------------------------------------------
# The three 'Systeem' codes compare with what the database holds; the wizard's tests cover them.
LATER_GETEST = {'duplicate_submission', 'already_registered', 'registered_elsewhere'}


def test_every_catalog_code_has_a_test():
    # The reader's hostile files and their expected codes live in tests/hostile.py.
    tekst = ''.join(p.read_text(encoding='utf-8') for p in Path(__file__).parent.rglob('*.py'))
    zonder = [c for c in CATALOG if c not in LATER_GETEST and f"'{c}'" not in tekst and f'"{c}"' not in tekst]
    assert zonder == []


@pytest.mark.parametrize('veld, waarde, tekens', [
    ('leerlingnummer', 'L 12#', 'spatie #'),
    ('voornaam', 'J4n@4', '4 @'),
    ('achternaam', 'de\u0007 Vr\u0001ies', 'onzichtbaar teken'),
])
def test_invalid_characters_are_named_as_a_person_reads_them(veld, waarde, tekens):
    fmt = FORMATS['VO-overstapper']
    rij = dict(zip(fmt.velden, leerlingen(fmt, 1)[0].values()))
    rij[veld] = waarde
    _, bevindingen = check_record(fmt, rij, vandaag=VANDAAG)
    assert [b.bericht for b in bevindingen if b.code == 'invalid_characters'] == [
        f'{titel(fmt, veld)} bevat tekens die niet zijn toegestaan: {tekens}.']


# --- every cell type in every column (#10.4) ------------------------------------------------------
from tests.builders import Excelfout  # noqa: E402

# Every kind of cell a spreadsheet can hold, as make_xlsx writes it.
CELSOORTEN = {
    'getal': 12345, 'negatief': -7, 'decimaal': 3.25, 'nul': 0, 'groot': 1e20, 'waar': True, 'onwaar': False,
    'datum': dt.date(2010, 5, 3), 'datumtijd': dt.datetime(2010, 5, 3, 14, 30), 'tijd': dt.time(8, 15),
    'foutwaarde': Excelfout('#N/A'), 'formule': '=1+1', 'leeg': None, 'spatie': ' ', 'onzichtbaar': '\u200b',
    'lang': 'x' * 32_767,
}


def _alle_cellen_van_een_soort(fmt, kolom, waarde, n=2):
    rijen = leerlingen(fmt, n)
    for r in rijen:
        r[kolom.titel] = waarde
    return rijen


def _goed_gevormd(r):
    """No finding may carry an unknown code or an unfilled placeholder."""
    for b in r.fouten + r.waarschuwingen:
        assert b.code in CATALOG
        assert not re.search(r'\{[a-z_]+\}', b.bericht.replace(b.waarde or '\0', '')), b.bericht
        assert ' None' not in b.bericht.replace(b.waarde or '\0', ''), b.bericht


@pytest.mark.parametrize('fmt', list(FORMATS.values()), ids=lambda f: f.naam)
@pytest.mark.parametrize('soort', list(CELSOORTEN))
def test_every_cell_type_in_every_column_is_answered_with_findings_not_a_crash(fmt, soort):
    """Each column of each format filled (all rows: the whole column is of one type, which is
    what crashed the e-mail column) with each cell type: the check ends, and a value that cannot
    be used is named on its own cell."""
    waarde = CELSOORTEN[soort]
    for kolom in fmt.kolommen:
        r = check(fmt, _alle_cellen_van_een_soort(fmt, kolom, waarde))
        _goed_gevormd(r)
        op_de_cel = {(b.rij, b.code) for b in r.fouten if b.kolom == kolom.titel}
        if soort == 'foutwaarde':
            assert op_de_cel == {(2, 'cell_error_value'), (3, 'cell_error_value')}, kolom.titel
        elif soort == 'formule':
            assert op_de_cel == {(2, 'formula_without_value'), (3, 'formula_without_value')}, kolom.titel
        elif soort == 'lang':
            assert {rij for rij, _ in op_de_cel} == {2, 3}, kolom.titel
        elif soort in ('leeg', 'spatie', 'onzichtbaar') and kolom.verplicht:
            assert op_de_cel == {(2, 'required'), (3, 'required')}, kolom.titel
        elif soort in ('datum', 'datumtijd', 'tijd') and kolom.soort != 'datum':
            assert {rij for rij, _ in op_de_cel} == {2, 3}, kolom.titel


def _celwaarden():
    # (Control characters cannot be stored in an .xlsx at all.)
    tekst = st.text(st.characters(blacklist_categories=('Cs', 'Cc')), max_size=12) | st.sampled_from(['06-12345678', 'a@b.nl', '=HYPERLINK("x")', '-1', '+31 6 1'])
    return (st.sampled_from(list(CELSOORTEN.values())) | tekst | st.integers(-10**12, 10**12)
            | st.floats(allow_nan=True, allow_infinity=True) | st.booleans() | st.dates() | st.times())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(FORMATS.values())), st.data())
def test_mixed_cell_types_in_any_column_never_crash_the_check(fmt, data):
    """A property: any mix of cell types in any columns, in .xlsx and .csv alike."""
    rijen = leerlingen(fmt, 3)
    for kolom in data.draw(st.lists(st.sampled_from(fmt.kolommen), min_size=1, max_size=4, unique=True)):
        for r in rijen:
            r[kolom.titel] = data.draw(_celwaarden())
    _goed_gevormd(check(fmt, rijen))
    csv_rijen = [{k: (v if not isinstance(v, float) or v == v else 'NaN') for k, v in r.items()} for r in rijen]
    _goed_gevormd(check_bytes(make_csv(fmt, csv_rijen), fmt, vandaag=VANDAAG))


# --- formula-like text (#10.9) -----------------------------------------------------------------
FORMULE_ACHTIG = ['=HYPERLINK("http://evil.example","x")', '=1+1', '+1+1', '-2+3', '@SUM(1)']


@pytest.mark.parametrize('maker', [make_csv, make_xlsx], ids=['csv', 'xlsx'])
@pytest.mark.parametrize('fmt', list(FORMATS.values()), ids=lambda f: f.naam)
def test_formula_like_text_is_refused_on_its_cell_in_every_column_that_keeps_text(fmt, maker):
    """Text starting with =, +, - or @ never passes silently into the stored list: every column
    that keeps the text as typed refuses it on that cell; a column whose own rule reads the value
    (a code, a number, a date, a phone number) answers with its own finding or reads it."""
    for waarde in FORMULE_ACHTIG:
        rijen = leerlingen(fmt, 2)
        for r in rijen:
            r.update(dict.fromkeys(fmt.titels, waarde))
        data = maker(fmt, rijen)
        if maker is make_xlsx:
            # openpyxl would write '=…' as a formula: store it as the text cell a CSV gives.
            data = _als_tekstcellen(data)
        r = check_bytes(data, fmt, vandaag=VANDAAG)
        kolommen_met_fout = {b.kolom for b in r.fouten if b.rij == 2}
        assert kolommen_met_fout >= {k.titel for k in fmt.kolommen if k.verplicht}, waarde
        for veld in fmt.velden:
            if veld == 'onderwijsnummer':
                continue          # BSN and onderwijsnummer both given: the BSN's error stands for the row
            assert all(v is None for v in r.kolommen.get(veld, [None])) or not r.ok, (veld, waarde)
        assert not r.ok
        # Nothing formula-like is kept as a clean value.
        for veld, waarden in r.kolommen.items():
            for v in waarden:
                assert not (isinstance(v, str) and v.startswith(('=', '@', '-'))) or veld == 'rij', (veld, v)


def _als_tekstcellen(data: bytes) -> bytes:
    import io as _io
    from openpyxl import load_workbook
    wb = load_workbook(_io.BytesIO(data))
    for rij in wb.active.iter_rows(min_row=2):
        for cel in rij:
            if cel.data_type == 'f':
                tekst = cel.value
                cel.value = None
                cel.value = tekst
                cel.data_type = 's'
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize('veld, waarde', [
    ('mentor', '=HYPERLINK("http://evil.example","x")'), ('profiel_sector', '=HYPERLINK("http://e.x","x")'),
    ('klas', '=1+1'), ('klas', '+1+1'), ('tussenvoegsel', '-2+3'), ('tussenvoegsel', '@SUM(1)'),
    ('leerlingnummer', '-123'), ('voornaam', '-Jan'), ('klas', -5),
])
def test_formula_like_text_gives_invalid_characters_on_its_cell(veld, waarde):
    r = check_bytes(make_csv(VO_O, met_rij3(VO_O, **{veld: waarde})), VO_O, vandaag=VANDAAG)
    assert (4, titel(VO_O, veld), 'invalid_characters') in gevonden(r)
    (b,) = [b for b in r.fouten if b.rij == 4 and b.kolom == titel(VO_O, veld)]
    assert 'formule' in b.bericht and 'Haal het teken aan het begin weg' in b.bericht
    assert not r.ok


@pytest.mark.parametrize('veld, waarde, schoon', [
    ('telefoonnummer', '+31 6 12345678', '+31612345678'), ('telefoonnummer', '+32 470 12 34 56', '+32470123456'),
    ('onderwijsniveau', '-HAVO', 'HAVO'), ('mentor', '-', '-'), ('klas', '4-B', '4-B'),
])
def test_a_value_the_columns_own_rule_reads_stays_valid(veld, waarde, schoon):
    rijen = met_rij3(VO_O, **{veld: waarde})
    r = check_bytes(make_csv(VO_O, rijen), VO_O, vandaag=VANDAAG)
    assert {(rij, k, c) for rij, k, c in gevonden(r) if rij == 4} <= {(4, 'Leerjaar', 'overstapper_not_exam_year')}
    assert r.kolommen[veld][2] == schoon


# --- messages that say why (#11.8) -----------------------------------------------------------------
def test_a_mobile_number_in_a_range_that_does_not_exist_says_so():
    r = check(VO_O, met_rij3(VO_O, telefoonnummer='06-94641177'))
    assert gevonden(r) == {(4, 'Telefoonnummer', 'phone_invalid')}
    bericht = r.fouten[0].bericht
    assert 'geen Nederlands mobiel nummer begint met 06-9' in bericht
    assert '06-1 t/m 06-5 of 06-8' in bericht and 'vul het in als' not in bericht


def test_a_duplicate_names_each_row_once():
    rijen = leerlingen(VO_O, 3)
    rijen[2][titel(VO_O, 'bsn')] = rijen[0][titel(VO_O, 'bsn')]
    r = check(VO_O, rijen)
    assert gevonden(r) == {(4, 'BSN', 'duplicate_bsn')}
    bericht = r.fouten[0].bericht
    assert bericht.count('rij 4') == 1 and bericht.count('rij 2') == 1 and '(rij' not in bericht


@pytest.mark.parametrize('tekst, datum', [('3 mei 2009', dt.date(2009, 5, 3)), ('03 mei 2009', dt.date(2009, 5, 3)),
                                          ('3 Mrt. 2010', dt.date(2010, 3, 3)), ('12 oktober 2011', dt.date(2011, 10, 12))])
def test_a_date_written_out_in_dutch_is_read_as_that_date(tekst, datum):
    r = check_bytes(make_csv(VO_O, met_rij3(VO_O, geboortedatum=tekst)), VO_O, vandaag=VANDAAG)
    assert not {f for f in gevonden(r) if f[1] == 'Geboortedatum' and f[2] == 'date_invalid'}
    assert r.kolommen['geboortedatum'][2] == datum


def test_a_dutch_date_that_does_not_exist_is_still_invalid():
    r = check_bytes(make_csv(VO_O, met_rij3(VO_O, geboortedatum='31 februari 2010')), VO_O, vandaag=VANDAAG)
    assert (4, 'Geboortedatum', 'date_invalid') in gevonden(r)


@pytest.mark.parametrize('waarde, code', [('jan@@school', 'email_invalid'), ('a@b@voorbeeld.nl', 'email_invalid'),
                                          ('a@voorbeeld.nl; b@voorbeeld.nl', 'email_multiple'),
                                          ('a@voorbeeld.nl b@voorbeeld.nl', 'email_multiple')])
def test_one_wrong_address_is_invalid_and_two_addresses_are_multiple(waarde, code):
    r = check(VO_O, met_rij3(VO_O, email=waarde))
    assert gevonden(r) == {(4, 'E-mailadres', code)}


# --- findings bounded for storage and display (#10.3) -------------------------------------------------
def test_summary_per_code_keeps_exact_counts_and_the_first_cells_in_sheet_order():
    import json
    from portal.lijsten.validate import samenvatting, samenvatting_json
    rijen = leerlingen(VO_O, 3000)
    for i, r in enumerate(rijen):
        r[titel(VO_O, 'bsn')] = '123456789'                    # bsn_checksum in every row
        if i % 2:
            r[titel(VO_O, 'postcode')] = None                   # postcode_missing in every 2nd row
    rijen[1500][titel(VO_O, 'geslacht')] = 'Q'
    r = check_bytes(make_csv(VO_O, rijen), VO_O, vandaag=VANDAAG)
    # (Generated names and birth dates may meet by chance: those warnings are left out here.)
    r.waarschuwingen = [b for b in r.waarschuwingen if b.code != 'possible_duplicate_person']
    groepen = samenvatting(r.fouten + r.waarschuwingen)
    assert [(g.code, g.niveau, g.aantal) for g in groepen] == [
        ('bsn_checksum', 'E', 3000), ('geslacht_invalid', 'E', 1), ('postcode_missing', 'W', 1500)]
    eerste = groepen[0].eerste
    assert [(b.rij, b.kolom) for b in eerste] == [(rij, 'BSN') for rij in range(2, 22)]
    assert groepen[0].meer == 2980 and groepen[1].meer == 0
    assert [b.rij for b in groepen[2].eerste] == list(range(3, 43, 2))
    assert [len(g.eerste) for g in samenvatting(r.bevindingen, n=5)] == [5, 1, 5]

    uit = r.samenvatting_json(n=20)
    assert (uit['ok'], uit['rows'], uit['errors'], uit['warnings']) == (False, 3000, 3001, 1500)
    assert [(g['code'], g['level'], g['count'], len(g['findings'])) for g in uit['per_code']] == [
        ('bsn_checksum', 'E', 3000, 20), ('geslacht_invalid', 'E', 1, 1), ('postcode_missing', 'W', 1500, 20)]
    assert uit['per_code'][1]['findings'][0] == {'code': 'geslacht_invalid', 'row': 1502, 'column': 'Geslacht',
                                                'value': 'Q', 'message': groepen[1].eerste[0].bericht}
    tekst = json.dumps(uit, ensure_ascii=False)
    assert len(tekst) < 25_000 < len(json.dumps(r.to_json(), ensure_ascii=False))
    assert samenvatting_json([]) == {'errors': 0, 'warnings': 0, 'per_code': []}


@pytest.mark.parametrize('maker', [make_xlsx, make_csv], ids=['xlsx', 'csv'])
@pytest.mark.parametrize('fmt', list(FORMATS.values()), ids=lambda f: f.naam)
def test_titles_in_other_case_or_with_spaces_are_matched_and_their_values_read(fmt, maker):
    """#11.3: ' VOORNAAM ' and ' BSN ' are the columns Voornaam and BSN, and their values are read
    (no 'required' or 'identifier_missing' in every row)."""
    titels = [f' {t.upper()} ' if t in ('Voornaam', 'BSN') else t.lower() for t in fmt.titels]
    rijen = leerlingen(fmt, 4)
    r = check_bytes(maker(fmt, rijen, titels=titels), fmt, vandaag=VANDAAG)
    assert gevonden(r) == set()
    assert list(r.kolommen['voornaam']) == [x['Voornaam'] for x in rijen]
    assert list(r.kolommen['bsn']) == [x['BSN'] for x in rijen]
    fout = [dict(x) for x in rijen]
    fout[1]['BSN'] = '123456789'
    r = check_bytes(maker(fmt, fout, titels=titels), fmt, vandaag=VANDAAG)
    assert gevonden(r) == {(3, 'BSN', 'bsn_checksum')}


def test_true_and_1_in_one_column_are_two_different_cells():
    """A set holds TRUE and 1 as one value; the check must not give the 1 the finding of TRUE."""
    rijen = leerlingen(MBO_O, 3)
    rijen[0]['Niveau'], rijen[1]['Niveau'], rijen[2]['Niveau'] = True, 1, 4.0
    r = check(MBO_O, rijen)
    assert {f for f in gevonden(r) if f[1] == 'Niveau'} == {(2, 'Niveau', 'mbo_niveau_invalid')}
    assert list(r.kolommen['niveau']) == [None, 1, 4]
