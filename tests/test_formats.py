"""The schema: the four formats of formats.md, and the parsers' contract."""
from __future__ import annotations

import random

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.lijsten.errors import CATALOG
from portal.lijsten.formats import (FORMATS, GEMEENSCHAPPELIJK, SCHOOLSOORTEN, SOORTEN, format_voor,
                                    lees_bsn, lees_email, lees_onderwijsnummer, lees_telefoon,
                                    lees_voorletters, telefoon_tonen)
from tests.builders import geldig_bsn, geldig_onderwijsnummer

VELDEN = {'leerlingnummer', 'bsn', 'onderwijsnummer', 'voorletters', 'voornaam', 'tussenvoegsel', 'achternaam',
          'geslacht', 'geboortedatum', 'postcode', 'woonplaats', 'telefoonnummer', 'email', 'klas', 'leerjaar',
          'onderwijsniveau', 'profiel_sector', 'mentor', 'vervolgwens', 'lob_activiteit', 'crebocode',
          'opleidingsnaam', 'niveau', 'leerweg', 'cohort', 'studieloopbaanbegeleider', 'verwachte_einddatum'}


def test_four_formats_with_the_spec_column_counts_and_common_columns_first():
    assert {f.naam: len(f.kolommen) for f in FORMATS.values()} == {
        'VO-overstapper': 19, 'VO-niet-overstapper': 18, 'MBO-overstapper': 23, 'MBO-niet-overstapper': 22}
    for f in FORMATS.values():
        assert f.kolommen[:13] == GEMEENSCHAPPELIJK
        assert len(set(f.titels)) == len(f.titels) and len(set(f.velden)) == len(f.velden)
        assert set(f.velden) <= VELDEN
        assert f is format_voor(f.schoolsoort, f.soort)
    assert {(s, o) for s in SCHOOLSOORTEN for o in SOORTEN} == {(f.schoolsoort, f.soort) for f in FORMATS.values()}


def test_every_column_explains_itself_and_its_example_is_clean():
    for f in FORMATS.values():
        for k in f.kolommen:
            assert k.uitleg and k.voorbeeld and k.soort in ('tekst', 'id', 'naam', 'datum', 'code', 'getal')
            schoon, meldingen = k.lezen(k.voorbeeld)
            assert schoon is not None, k.titel
            # An example may only draw the warnings a lone cell cannot avoid.
            assert all(CATALOG[c].niveau == 'W' for c, _ in meldingen), (k.titel, meldingen)


def test_parsers_only_use_catalog_codes():
    vreemd = ['', ' ', 'x' * 300, '12 ab', '#', '1,5', '2010-13-45', 3.5, -1, 0, True, '@@', '3-1']
    for f in FORMATS.values():
        for k in f.kolommen:
            for v in vreemd:
                schoon, meldingen = k.lezen(v)
                for code, params in meldingen:
                    assert code in CATALOG and isinstance(params, dict), (k.titel, v, code)


@pytest.mark.parametrize('tekst,verwacht', [('jh', 'J.H.'), ('J H', 'J.H.'), ('J.H', 'J.H.'), ('ij', 'IJ.'),
                                            ('IJ.', 'IJ.'), ('a.ij.', 'A.IJ.'), ('Th.', 'Th.'), ('J.H.', 'J.H.')])
def test_voorletters_are_normalised(tekst, verwacht):
    assert lees_voorletters(tekst) == (verwacht, ())


def test_bsn_length_is_checked_before_padding():
    # stdnum would pad '1234567' with zeros; a 7-digit BSN must be a length error instead.
    assert lees_bsn('1234567')[1][0][0] == 'bsn_length'
    assert lees_bsn('1234567890')[1][0][0] == 'bsn_length'


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9))
def test_generated_numbers_are_valid_and_distinct_kinds(seed):
    rng = random.Random(seed)
    bsn, on = geldig_bsn(rng), geldig_onderwijsnummer(rng)
    assert lees_bsn(bsn) == (bsn, ()) and lees_onderwijsnummer(on) == (on, ())
    assert lees_bsn(on)[1][0][0] == 'bsn_is_onderwijsnummer'
    assert lees_onderwijsnummer(bsn)[1][0][0] == 'onderwijsnummer_is_bsn'


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r'\A(0|\+31|0031)6[0-9]{8}\Z'))
def test_phone_fast_path_agrees_with_phonenumbers(nummer):
    schoon, meldingen = lees_telefoon(nummer)
    p = phonenumbers.parse(nummer, 'NL')
    if phonenumbers.is_valid_number(p):
        assert schoon == phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164)
    else:
        assert meldingen[0][0] == 'phone_invalid'


def test_phone_is_shown_dutch_style():
    assert telefoon_tonen('+31612345678') == '06 12345678'


@settings(max_examples=300, deadline=None)
@given(st.emails() | st.from_regex(r'\A[a-z.]{1,8}@[a-z.\-]{1,10}\.[a-z]{2,4}\Z'))
def test_email_fast_path_agrees_with_email_validator(adres):
    schoon, meldingen = lees_email(adres)
    try:
        verwacht = validate_email(adres, check_deliverability=False).normalized
    except EmailNotValidError:
        assert meldingen and meldingen[0][0] == 'email_invalid'
    else:
        assert (schoon.lower(), meldingen) == (verwacht.lower(), ())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.from_regex(r'\A[0-9]{8,9}\Z'), min_size=1, max_size=50))
def test_the_elfproef_over_a_column_agrees_with_stdnum(nummers):
    """The 11-proef is written as a polars expression over the column: it must be stdnum's, for
    9 digits and for 8 (a BSN whose leading zero Excel dropped)."""
    from stdnum.nl import bsn, onderwijsnummer
    bsns, _ = lees_bsn.kolom(nummers)
    onderwijsnummers, _ = lees_onderwijsnummer.kolom(nummers)
    for nummer, als_bsn, als_onderwijsnummer in zip(nummers, bsns, onderwijsnummers):
        assert (als_bsn is not None) == bsn.is_valid(nummer.zfill(9)), nummer
        assert (als_onderwijsnummer is not None) == (len(nummer) == 9 and onderwijsnummer.is_valid(nummer))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e)))
def test_a_text_the_column_rules_take_as_clean_is_left_as_it_is_by_schoon_tekst(tekst):
    """Kolomregel.kolom sends only texts outside _AL_SCHOON to schoon_tekst, and every printable
    text schoon_tekst would change is outside it."""
    import re
    from portal.lijsten.formats import _AL_SCHOON, schoon_tekst
    if re.fullmatch(_AL_SCHOON, tekst):
        assert schoon_tekst(tekst) == tekst
    else:
        assert schoon_tekst(tekst) != tekst or tekst == ''
