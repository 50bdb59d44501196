"""The shortcuts over whole columns give exactly what the plain definitions give.

(The per-rule column fast paths, `lezen.snel`, are gone: every cell goes through its parser, once
per distinct value. What remains here: column reading equals the parser cell by cell, and the
C scans of the reader.)
"""
from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lijsten.formats import FORMATS, GEEN
from portal.lijsten.reader import Sheet
from portal.lijsten.validate import _kolom_lezen, check_sheet
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
    """Whichever path _kolom_lezen takes (over the column or over its set), each cell ends up
    with the parser's clean value, and exactly the cells with findings are reported."""
    fmt = FORMATS['VO-overstapper']
    for k in fmt.kolommen:
        kolom = tuple(LASTIG * 3 + [None, 4.0, 7, dt.date(2010, 5, 3)])
        for waarden in (kolom, tuple(v for v in kolom if isinstance(v, str))):
            schoon, slecht, per_rij = _kolom_lezen(waarden, k.lezen)
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
    """In C (_snel.eerste) and in Python alike; 1, 1.0 and True are one value, as in a dict."""
    from portal.lijsten import validate
    assert validate._eerste(waarden) == _eerste_gewoon(waarden)
    assert _snel.eerste(waarden) == _eerste_gewoon(waarden)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(validate, '_snel', None)
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
        schoon, slecht, per_rij = _kolom_lezen(list(waarden), k.lezen)
        for i, v in enumerate(waarden):
            s, m = k.lezen(v)
            assert schoon[i] == s and type(schoon[i]) is type(s), (k.titel, v)
            assert ((slecht.get(i) if per_rij else slecht.get(v)) or GEEN) == m, (k.titel, v)


def test_age_rule_per_date_still_looks_at_the_leerweg_of_each_row():
    """One date, decided once for both leerwegen: only the BOL rows of a 31-year-old are unusual."""
    from portal.lijsten.validate import _regels_geboortedatum
    oud, jong = dt.date(1994, 1, 1), dt.date(2008, 1, 1)
    kolommen = {'geboortedatum': [oud, oud, jong, oud, None], 'leerweg': ['BBL', 'BOL', 'BOL', None, 'BOL']}
    gemeld = []
    _regels_geboortedatum(kolommen, lambda code, i, veld, waarde=None, **p: gemeld.append((code, i, p)),
                          FORMATS['MBO-overstapper'], dt.date(2025, 3, 1))
    assert gemeld == [('age_unusual', 1, {'leeftijd': 31, 'schoolsoort': 'het mbo'})]


# --- the C scans of the reader (portal/lijsten/_snel.c) -------------------------------------------
import csv  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

from portal.lijsten import _snel, reader  # noqa: E402   (bin/setup builds _snel; this fails without it)
from portal.lijsten.reader import Bestandsfout, Limieten, read_sheet  # noqa: E402


def _zonder_c(data):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(reader, '_snel', None)
        try:
            return read_sheet(data)
        except Bestandsfout as e:
            return e.code


def _gelezen(data):
    try:
        return read_sheet(data)
    except Bestandsfout as e:
        return e.code


def _zelfde_sheet(a, b):
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
    else:
        assert a.rijen == b.rijen and a.soort == b.soort


CSV_TEKENS = st.text(alphabet='ab;,\t\r\n" é1', max_size=60)
VELD_MAX = csv.field_size_limit()


def _kolommen(data, sep=';', max_cols=200, max_rows=50_000):
    return _snel.csv_kolommen(data, sep, max_cols, max_rows, VELD_MAX)


def _csv_module(tekst, sep=';'):
    rijen = list(csv.reader(io.StringIO(tekst, newline=''), delimiter=sep, quotechar='"', doublequote=True,
                            strict=False))
    while rijen and rijen[-1] == []:
        rijen.pop()                 # empty trailing lines: the reader drops those rows anyway
    return rijen


@settings(max_examples=1000, deadline=None)
@given(CSV_TEKENS, st.sampled_from([';', ',', '\t']))
def test_c_csv_scan_gives_what_the_csv_module_gives(tekst, sep):
    kolommen = _kolommen(tekst.encode(), sep)
    if kolommen is not None:
        rijen = _csv_module(tekst, sep)
        assert len(set(map(len, rijen))) == 1
        assert [list(k) for k in zip(*rijen)] == kolommen


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet='ab;"\r\n é', max_size=6), min_size=3, max_size=3), min_size=1, max_size=6),
       st.sampled_from(['\r\n', '\n', '\r']))
def test_c_csv_scan_reads_what_csv_writer_wrote_as_the_csv_module_does(rijen, eol):
    for quoting in (csv.QUOTE_MINIMAL, csv.QUOTE_ALL):
        uit = io.StringIO()
        csv.writer(uit, delimiter=';', quoting=quoting, lineterminator=eol).writerows(rijen)
        tekst = uit.getvalue()
        gelezen = _csv_module(tekst)        # (a lone \r is only quoted when it is the line end)
        kolommen = _kolommen(tekst.encode())
        if gelezen and [] not in gelezen and len(set(map(len, gelezen))) == 1:
            assert kolommen == [list(k) for k in zip(*gelezen)]
        else:
            assert kolommen is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(['', 'a', ' ', 'Zoë', '06-12345678', 'van der', '1']),
                         min_size=3, max_size=3), min_size=1, max_size=8),
       st.sampled_from(['\r\n', '\n', '\r']), st.booleans())
def test_read_sheet_with_and_without_the_c_scan_is_the_same(rijen, eol, slot):
    titels = 'Leerlingnummer;Voornaam;Achternaam'
    tekst = eol.join([titels] + [';'.join(r) for r in rijen]) + (eol if slot else '')
    for data in (tekst.encode(), b'\xef\xbb\xbf' + tekst.encode(), tekst.encode('cp1252')):
        _zelfde_sheet(_gelezen(data), _zonder_c(data))


def test_c_scan_reads_the_usual_export_and_shares_equal_values():
    data = 'Klas;Naam\r\n4B;Zoë\r\n4B;Jan\r\n"4B";Zoë\r\n'.encode()
    kolommen = _kolommen(data)
    assert kolommen == [['Klas', '4B', '4B', '4B'], ['Naam', 'Zoë', 'Jan', 'Zoë']]
    assert kolommen[0][1] is kolommen[0][3] and kolommen[1][1] is kolommen[1][3]
    assert read_sheet(data).alleen_tekst


def test_c_scan_follows_the_csv_module_on_quotes():
    tekst = 'a;b\r\n"x;""y""";"z\r\nz"\r\n"p"q"r;s"t\r\n'
    assert _kolommen(tekst.encode()) == [list(k) for k in zip(*_csv_module(tekst))]
    assert _kolommen(tekst.encode()) == [['a', 'x;"y"', 'pq"r'], ['b', 'z\r\nz', 's"t']]
    # A quote left open runs to the end of the text; a separator at the very end adds a field.
    assert _kolommen(b'a\r\n"open;end') == [['a', 'open;end']] == [list(k) for k in zip(*_csv_module('a\r\n"open;end'))]
    assert _kolommen(b'a;b\nc;') == [['a', 'c'], ['b', '']]


@pytest.mark.parametrize('data', [
    b'a;b\n\nc;d',          # an empty line: the csv module gives [] for it
    b'a;b\nc;d;e',          # rows of other widths
    b'a;b\r\r\nc;d',        # \r then \r\n: an empty line too
    b'\xff;b\nc;d',         # not UTF-8
    b'',
])
def test_c_scan_declines_what_it_does_not_know(data):
    assert _kolommen(data) is None


def test_c_scan_declines_more_rows_columns_or_longer_fields_than_allowed():
    assert _kolommen(b'a;b;c\n1;2;3', max_cols=2) is None
    assert _kolommen(b'a\n1\n2\n3', max_rows=2) is None
    assert _kolommen(b'a\n1\n2', max_rows=2) == [['a', '1', '2']]
    lang = b'x' * (VELD_MAX + 1)
    assert _kolommen(b'a\n' + lang) is None and _kolommen(b'a\n"' + lang + b'"') is None
    assert _kolommen(b'a\n' + lang[1:]) == [['a', lang[1:].decode()]]


def test_c_scan_of_many_distinct_values_still_gives_each_its_own_text():
    waarden = [f'L{i:07d}' for i in range(20_000)]
    data = '\n'.join(['Leerlingnummer;Klas'] + [f'{w};4B' for w in waarden]).encode()
    kolommen = _kolommen(data)
    assert kolommen[0][1:] == waarden and set(map(id, kolommen[1][1:])) == {id(kolommen[1][1])}


def _celrefs_regex(xml, p, digits):
    return not re.search(rb'<' + re.escape(p) + rb'(?:c|row)(?! r="[A-Z]?[0-9]{1,%d}")[\s>/]' % digits, xml)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b'<c r="A1"', b'<c r="AB1"', b'<c r="Z99999"', b'<c r="Z123456"', b'<c r=""',
                                 b'<c r="a1"', b'<c', b'<cols', b'<row r="12"', b'<row', b'<rowBreaks', b'<x:c r="A1"',
                                 b'<c t="s" r="A1"', b' ', b'>', b'/>', b'\t', b'\n', b'"', b'r=', b'<', b'A', b'1',
                                 b'<c  r="A1"', b'<c\tr="A1"']), max_size=12),
       st.sampled_from([b'', b'x:']), st.integers(1, 6))
def test_c_cell_reference_scan_equals_the_regular_expression(delen, prefix, digits):
    xml = b''.join(delen)
    assert _snel.celrefs_gewoon(xml, prefix, digits) == _celrefs_regex(xml, prefix, digits)


def test_a_cell_far_out_is_still_found_by_the_c_scan():
    xml = b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>' \
          b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    assert not _snel.celrefs_gewoon(xml, b'', 5)
    assert _snel.celrefs_gewoon(xml.replace(b'1048576', b'3').replace(b'XFD', b'B'), b'', 5)
    assert Limieten().max_rows == 50_000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(['', 'a', 'Zoë', 1.0, 1, -0.0, 0.0, True, None, float('inf'),
                                          dt.date(2010, 5, 3), dt.datetime(2010, 5, 3), dt.time(8, 30),
                                          dt.datetime(2010, 5, 3, fold=1),
                                          dt.datetime(2010, 5, 3, 12, tzinfo=dt.timezone.utc),
                                          dt.datetime(2010, 5, 3, 13, tzinfo=dt.timezone(dt.timedelta(hours=1)))]),
                         min_size=2, max_size=2), min_size=1, max_size=10))
def test_c_transposition_equals_zip_and_shares_only_equal_values_of_one_type(rijen):
    kolommen = _snel.transponeer(rijen)
    verwacht = [list(k) for k in zip(*rijen)]
    assert kolommen == verwacht
    for kolom, origineel in zip(kolommen, verwacht):
        for v, w in zip(kolom, origineel):
            # -0.0 stays -0.0, 1 stays int, 13:00+01:00 is not replaced by the equal 12:00+00:00
            assert type(v) is type(w) and repr(v) == repr(w)


def test_c_transposition_declines_rows_of_other_widths():
    assert _snel.transponeer([['a', 'b'], ['c']]) is None
    assert _snel.transponeer([]) == []


def test_c_transposition_shares_equal_cells_of_a_column():
    a, b = ''.join(['4', 'B']), ''.join(['4', 'B'])
    x, y = float('3'), float('3')
    assert a is not b and x is not y
    kolommen = _snel.transponeer([[a, x], [b, y]])
    assert kolommen[0][0] is kolommen[0][1] and kolommen[1][0] is kolommen[1][1]


def test_c_transposition_of_values_made_to_collide_is_still_exact():
    """Floats whose hashes share their low bits pile up in one run of the table; past 32 steps a
    cell is simply not shared (a file cannot make the scan slow this way)."""
    rijen = [[float(8192 * (i % 300)), f'x{i % 300}'] for i in range(3000)]
    kolommen = _snel.transponeer(rijen)
    assert kolommen == [list(k) for k in zip(*rijen)]
    assert len(set(map(id, kolommen[1]))) == 300          # the texts are shared as usual


def test_c_transposition_runs_no_code_of_a_cells_own():
    """An aware datetime's tzinfo is Python code (utcoffset, used by hash and ==); such cells are
    not shared, so no cell can change the rows while they are transposed."""
    class Raar(dt.tzinfo):
        def utcoffset(self, d):
            for rij in rijen:
                rij.clear()
            return dt.timedelta(0)
    rijen = [[dt.datetime(2020, 1, 1, tzinfo=Raar()), f'x{i}'] for i in range(3)]
    kolommen = _snel.transponeer(rijen)
    assert [len(k) for k in kolommen] == [3, 3] and kolommen[1] == ['x0', 'x1', 'x2']


def test_c_scan_limits_at_their_edges():
    import sys
    assert _kolommen(b'a', max_cols=0) is None
    assert _kolommen(b'a\n1', max_rows=sys.maxsize) == [['a', '1']]
    assert _kolommen(b'""x') == [['x']]
