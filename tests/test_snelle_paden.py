"""The shortcuts over whole columns give exactly what the plain definitions give.

(The per-rule column fast paths, `lezen.snel`, are gone: every cell goes through its parser, once
per distinct value, and the reader's C module is gone. What remains here: column reading equals
the parser cell by cell.)
"""
from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lijsten.formats import FORMATS, GEEN
from portal.lijsten.reader import Sheet
from portal.lijsten.validate import kolom_lezen, check_sheet
from tests.builders import geldig_bsn, geldig_onderwijsnummer

LASTIG = [
    '', ' ', '  a', 'a ', 'a  b', 'a b', '\u00a0x', 'x\u200b', 'Zoë', 'Çelik', "D'Artagnan", 'Jan-Piet', 'J.', 'IJ.',
    'J.H.', 'jh', 'Th.', 'A' * 20, 'A' * 21, 'a' * 200, 'a' * 201, 'x' * 81, '4B', '3-1', '=1+1', 'a\nb', 'a\tb',
    '123456782', '12345678', '123456789', '000000000', '１２３４５６７８２', '123.456.782', '1,23457E+08', '101222331',
    '1234 AB', '1234AB', '1234 ab', '1234 SA', '0123 AB', '06-12345678', '0612345678', '06 12345678', '06-1234567',
    '06-02345678', '+31612345678', '020-1234567', '06-12345678 / 06-87654321', 'j.berg@voorbeeld.nl',
    'J.Berg@Voorbeeld.NL', 'jan@', 'a@b.test', 'a@b.invalid', 'x@voorbeeld.nl.', 'a..b@voorbeeld.nl',
    'a' * 65 + '@voorbeeld.nl', 'a' * 60 + '@' + 'b' * 60 + '.' + 'c' * 60 + '.' + 'd' * 60 + '.' + 'e' * 20 + '.nl',
    '25187', '2518', '251870', 'L0000001', 'ABC-123', 'ABC_123', 'abc 123', '-', 'van der', 'Van Der',
    '03-05-2010', '3-5-2010', '31-02-2010', '29-02-2012', '29-02-2011', '00-01-2010', '01-13-2010', '01-01-0000',
    '01-01-1850', '01-01-10', '01-01-20100', '2010-05-03', '03/05/2010', ' 03-05-2010', '03-05-2010 ', '٠٣-٠٥-٢٠١٠',
]


def test_column_reading_equals_the_parser_cell_by_cell():
    """Whichever path kolom_lezen takes (over the column or over its set), each cell ends up
    with the parser's clean value, and exactly the cells with findings are reported."""
    fmt = FORMATS['VO-overstapper']
    for k in fmt.kolommen:
        kolom = tuple(LASTIG * 3 + [None, 4.0, 7, dt.date(2010, 5, 3)])
        for waarden in (kolom, tuple(v for v in kolom if isinstance(v, str))):
            schoon, slecht, per_rij = kolom_lezen(waarden, k.lezen)
            for i, v in enumerate(waarden):
                s, m = k.lezen(v) if v is not None else (None, GEEN)
                assert schoon[i] == s, (k.titel, v)
                gevonden = slecht.get(i) if per_rij else slecht.get(v)
                assert (gevonden or GEEN) == m, (k.titel, v)


def test_a_sheet_checked_by_columns_reports_each_cell_where_it_is():
    """A larger sheet (so the whole-column paths run) with one mistake per column kind."""
    fmt = FORMATS['VO-overstapper']
    titels = list(fmt.titels)
    rng = random.Random(3)
    bsns = list(dict.fromkeys(geldig_bsn(rng) for _ in range(400)))[:300]
    rijen = [titels]
    for i in range(300):
        rij = dict(zip(titels, [f'L{i:05d}', bsns[i], None, 'J.', 'Jan', None, f'Berg{chr(97 + i % 26)}{chr(97 + i // 26)}',
                                'M', '03-05-2010', '1234 AB', 'Utrecht', f'06-{12345000 + i}', f'l{i}@voorbeeld.nl',
                                '4B', 4, 'VMBO-KB', None, None, 'MBO']))
        rijen.append([rij[t] for t in titels])
    t = {k.veld: k.titel for k in fmt.kolommen}
    fout = {('bsn', 10): '123456789', ('postcode', 20): '123 AB', ('telefoonnummer', 30): '12345',
            ('email', 40): 'jan@', ('leerlingnummer', 50): 'L 1', ('onderwijsnummer', 60): geldig_bsn(rng)}
    for (veld, i), waarde in fout.items():
        rijen[i][titels.index(t[veld])] = waarde
    rijen[70][titels.index(t['onderwijsnummer'])] = geldig_onderwijsnummer(rng)
    r = check_sheet(Sheet('xlsx', 'Leerlingen', rijen), fmt, vandaag=dt.date(2025, 3, 1))
    assert {(b.rij, b.kolom, b.code) for b in r.fouten} == {
        (11, t['bsn'], 'bsn_checksum'), (21, t['postcode'], 'postcode_format'), (31, t['telefoonnummer'], 'phone_invalid'),
        (41, t['email'], 'email_invalid'), (51, t['leerlingnummer'], 'invalid_characters'),
        (61, t['onderwijsnummer'], 'onderwijsnummer_is_bsn')}
    assert [(b.rij, b.code) for b in r.waarschuwingen] == [(71, 'bsn_and_onderwijsnummer')]
    assert r.leerlingen[0]['telefoonnummer'] == '+31612345000'
    assert r.leerlingen[69]['onderwijsnummer'] is None and r.leerlingen[69]['bsn'] == bsns[69]
    assert [l['rij'] for l in r.leerlingen] == list(range(2, 302))


def test_long_voorletters_with_a_wrong_character_are_answered_not_hung():
    # Before: the pattern had nested quantifiers and took exponential time on this value.
    from portal.lijsten.formats import lees_voorletters
    assert lees_voorletters('a' * 40 + '@') == (None, (('voorletters_format', {}),))


def test_an_idna_label_with_double_hyphen_is_left_to_email_validator():
    # email-validator refuses 'aa--' at the start of a label (IDNA); the fast paths used to accept it.
    from portal.lijsten.formats import lees_email
    assert lees_email('a@aa--a.aa') == (None, (('email_invalid', {}),))


# --- The shortcuts over whole columns equal their plain definitions ------------------------------
def _eerste_gewoon(waarden):
    gezien, uit = {}, []
    for i, v in enumerate(waarden):
        if v is not None:
            f = gezien.setdefault(v, i)
            if f != i:
                uit.append((i, f))
    return uit


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(['a', 'b', 'A', 'c1', '', 1.0, True, dt.date(2010, 1, 1)]),
                          st.integers(0, 3)), max_size=60))
def test_repeated_values_are_found_with_their_first_row(waarden):
    """1, 1.0 and True are one value, as in a dict."""
    from portal.lijsten import validate
    assert validate._eerste(waarden) == _eerste_gewoon(waarden)


NAMEN = st.sampled_from(['Jan', 'jan', 'JAN', 'Piet', 'Zoë', 'ZOË', 'Straße', 'STRASSE', None])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMEN, st.sampled_from([None, 'van', 'de']), NAMEN,
                          st.sampled_from([None, dt.date(2010, 1, 1), dt.date(2010, 1, 2)])), max_size=60))
def test_possible_duplicate_persons_compare_names_casefolded(rijen):
    """The hash-first search gives what comparing every row's casefolded key gives."""
    from portal.lijsten.validate import _dubbele_personen
    voornaam, tussenvoegsel, achternaam, geboortedatum = (list(k) for k in zip(*rijen)) if rijen else ([],) * 4
    sleutels = [None if a is None or g is None else ((v or '').casefold(), t, a.casefold(), g)
                for v, t, a, g in rijen]
    assert _dubbele_personen(voornaam, tussenvoegsel, achternaam, geboortedatum) == _eerste_gewoon(sleutels)


def test_same_person_written_in_other_case_is_a_possible_duplicate():
    from portal.lijsten.validate import _dubbele_personen
    d = dt.date(2010, 5, 3)
    assert _dubbele_personen(['Jan', 'JAN', 'Jan'], [None, None, 'van'], ['Berg', 'berg', 'Berg'], [d, d, d]) == [(1, 0)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(['Jan', 'J4n', '', 'x?', 'Zoë', 'van der', 'VMBO-KB', 'HAVO']), min_size=1, max_size=80))
def test_column_patches_give_the_parser_value_per_cell(waarden):
    """Rare values to replace are patched in a copy; frequent ones mapped; equal ones left."""
    fmt = FORMATS['VO-overstapper']
    for k in fmt.kolommen:
        schoon, slecht, per_rij = kolom_lezen(list(waarden), k.lezen)
        for i, v in enumerate(waarden):
            s, m = k.lezen(v)
            assert schoon[i] == s and type(schoon[i]) is type(s), (k.titel, v)
            assert ((slecht.get(i) if per_rij else slecht.get(v)) or GEEN) == m, (k.titel, v)


def test_age_rule_per_date_still_looks_at_the_leerweg_of_each_row():
    """One date, decided once for both leerwegen: only the BOL rows of a 31-year-old are unusual."""
    from portal.lijsten.validate import REGELS, Rijen
    [regel] = [r for r in REGELS if 'age_unusual' in r.codes]
    oud, jong = dt.date(1994, 1, 1), dt.date(2008, 1, 1)
    kolommen = {'geboortedatum': [oud, oud, jong, oud, None], 'leerweg': ['BBL', 'BOL', 'BOL', None, 'BOL'],
                'achternaam': ['a'] * 5}
    gemeld = []
    rijen = Rijen(kolommen, {v: set() for v in kolommen}, lambda code, i, veld, waarde=None, **p: gemeld.append((code, i, p)),
                  FORMATS['MBO-overstapper'], dt.date(2025, 3, 1), list(range(2, 7)))
    regel.check(rijen.voor(regel))
    assert gemeld == [('age_unusual', 1, {'leeftijd': 31, 'schoolsoort': 'het mbo'})]


def test_every_rule_declares_codes_of_the_catalog_and_reads_only_its_columns():
    """A rule is given only the columns it declares: reading another one fails."""
    from portal.lijsten.errors import CATALOG
    from portal.lijsten.validate import REGELS, Rijen
    for regel in REGELS:
        assert set(regel.codes) <= set(CATALOG), regel.codes
    fmt = FORMATS['VO-overstapper']
    rijen = Rijen({v: [None] for v in fmt.velden}, {v: set() for v in fmt.velden}, lambda *a, **k: None, fmt,
                  dt.date(2025, 3, 1), [2])
    assert set(rijen.voor(REGELS[0]).kolommen) == {'bsn', 'onderwijsnummer'}
