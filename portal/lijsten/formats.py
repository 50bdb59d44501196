"""THE schema of the four leerlinglijst formats (../shared/spec/formats.md).

Every column title, rule, allowed code and example lives here once. The template writer, the
validator, the manual-entry form, the help pages and the tests all read them from FORMATS.

A column's `lezen` turns one cell value into a clean value. It never looks at other columns and
never raises on bad input; it returns `(schoon, meldingen)`, where `meldingen` is a tuple of
`(code, params)` pairs (codes from errors.CATALOG; params may carry 'waarde' to show a value
other than the raw cell). `schoon` is None for an empty cell or a value that cannot be used.
Because `lezen` is a pure function of the cell, the validator caches it per distinct value.
Rules that need other columns or today's date live in validate.py.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

import phonenumbers
from email_validator import EmailNotValidError, validate_email

SCHOOLSOORTEN = ('VO', 'MBO')


def schooljaar_start(dag: dt.date) -> int:
    """The year in which the schooljaar of `dag` started: it runs from 1 August to 31 July."""
    return dag.year if dag.month >= 8 else dag.year - 1

SOORTEN = {'overstapper': 'Potentiële overstapper', 'niet-overstapper': 'Niet-overstapper'}

GEEN: tuple = ()          # no findings; shared so the happy path allocates nothing

# ---------------------------------------------------------------------------------------------
# Clean-up (formats.md §4)
# ---------------------------------------------------------------------------------------------
_ZERO_WIDTH = dict.fromkeys(map(ord, '\u200b\u200c\u200d\u2060\ufeff\u00ad'), None)
_SPATIES = {ord(c): ' ' for c in '\u00a0\u2007\u202f\t\r\n\u2009\u2002\u2003'}
_VERTALING = {**_ZERO_WIDTH, **_SPATIES}
_MEER_SPATIES = re.compile(r' {2,}')
_MAANDEN = ('januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus',
            'september', 'oktober', 'november', 'december')


def schoon_tekst(s: str) -> str:
    """Strip (NBSP and zero-width included), Unicode NFC, collapse inner runs of spaces."""
    if s.isascii() and s.isprintable():
        s = s.strip()
    else:
        s = unicodedata.normalize('NFC', s.translate(_VERTALING)).strip()
    if '  ' in s:
        s = _MEER_SPATIES.sub(' ', s)
    return s


def datum_tekst(d: dt.date) -> str:
    return f'{d.day:02d}-{d.month:02d}-{d.year:04d}'


def _getal_tekst(x: float) -> str:
    """A number as the user saw it in Excel (Dutch decimal comma)."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return str(x).replace('.', ',')


def waarde_tekst(v) -> str:
    """Any cell value as a short text for a message."""
    if v is None:
        return ''
    if isinstance(v, bool):
        return 'WAAR' if v else 'ONWAAR'
    if isinstance(v, dt.datetime):
        return datum_tekst(v) if not (v.hour or v.minute or v.second) else v.strftime('%d-%m-%Y %H:%M')
    if isinstance(v, dt.date):
        return datum_tekst(v)
    if isinstance(v, dt.time):
        return v.strftime('%H:%M')
    if isinstance(v, (int, float)):
        return _getal_tekst(v)
    tekst = getattr(v, 'tekst', None)      # reader.Foutwaarde
    if isinstance(tekst, str):
        return tekst
    return str(v)


def _fout(code: str, **params) -> tuple:
    return (None, ((code, params),))


def _is_datum(v) -> bool:
    return isinstance(v, (dt.date, dt.time))


def _als_tekst(v, *, id_kolom: bool = False):
    """Common first step: a cell value → (text or None, meldingen or None).

    Returns (None, GEEN) for empty; (None, meldingen) when the value cannot become text.
    """
    if type(v) is str:
        s = schoon_tekst(v)
        return (s or None), GEEN
    if v is None:
        return None, GEEN
    if isinstance(v, bool):
        return ('WAAR' if v else 'ONWAAR'), GEEN
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return None, (('number_not_whole', {'waarde': _getal_tekst(v)}),)
        if v == int(v):
            return str(int(v)), GEEN
        if id_kolom:
            return None, (('number_not_whole', {'waarde': _getal_tekst(v)}),)
        return _getal_tekst(v), GEEN
    if _is_datum(v):
        return None, (('unexpected_date_value', {'waarde': _datum_voor_melding(v)}),)
    # Foutwaarde / FormuleZonderWaarde are handled by the validator before lezen is called.
    return schoon_tekst(str(v)) or None, GEEN


def _datum_voor_melding(v) -> str:
    if isinstance(v, dt.time):
        return v.strftime('%H:%M')
    return f'{v.day} {_MAANDEN[v.month - 1]} {v.year}'


# ---------------------------------------------------------------------------------------------
# Parsers, one per kind of column
# ---------------------------------------------------------------------------------------------
_FORMULE_BEGIN = ('=', '+', '-', '@')


def formule_achtig(s: str):
    """The finding for a text that Excel may run as a formula (=, +, - or @ in front, as in
    '=HYPERLINK(…)', '+1+1', '-2+3', '@SUM(1)'), or None. One character alone ('-' for "none")
    is plain text in Excel too. Only for columns that keep the text as typed: a column whose own
    rule turns the value into something else (a phone number, a BSN, a code) needs no such check."""
    if len(s) > 1 and s.startswith(_FORMULE_BEGIN):
        return ('invalid_characters', {'soort': 'formule', 'tekens': s[0]})
    return None


def tekst_lezer(max_len: int) -> Callable:
    def lezen(v):
        s, m = _als_tekst(v)
        if m:
            return None, m
        if s is None:
            return None, GEEN
        formule = formule_achtig(s)
        if formule:
            return None, (formule,)
        if len(s) > max_len:
            return s, (('too_long', {'max': max_len}),)
        return s, GEEN
    return lezen


_NIET_IN_NAAM = re.compile(r"[^\w \-'’.]|[\d_]")


def _ongeldige_tekens(gevonden: list[str]) -> tuple[str, dict]:
    """invalid_characters, naming each character once as a person reads it: a space as 'spatie',
    one that cannot be seen (a control character) as 'onzichtbaar teken'."""
    tekens = ' '.join(dict.fromkeys('spatie' if c == ' ' else c if c.isprintable() else 'onzichtbaar teken'
                                    for c in gevonden))
    return ('invalid_characters', {'tekens': tekens})


def naam_lezer(max_len: int = 200) -> Callable:
    """Letters (any script), space, - ' ’ . — no digits or other punctuation."""
    def lezen(v):
        s, m = _als_tekst(v)
        if m:
            return None, m
        if s is None:
            return None, GEEN
        meldingen = []
        fout = _NIET_IN_NAAM.findall(s)
        if fout:
            meldingen.append(_ongeldige_tekens(fout))
        else:
            fout = formule_achtig(s)            # '-Jan': the characters are allowed, not in front
            if fout:
                meldingen.append(fout)
        if len(s) > max_len:
            meldingen.append(('too_long', {'max': max_len}))
        return (None if fout else s), tuple(meldingen)
    return lezen


_LEERLINGNUMMER_FOUT = re.compile(r'[^A-Za-z0-9-]')


def lees_leerlingnummer(v):
    s, m = _als_tekst(v, id_kolom=True)
    if m or s is None:
        return None, m
    meldingen = []
    fout = _LEERLINGNUMMER_FOUT.findall(s)
    if fout:
        meldingen.append(_ongeldige_tekens(fout))
    elif formule_achtig(s):                      # '-123', '-A1'
        meldingen.append(formule_achtig(s))
    if len(s) > 20:
        meldingen.append(('too_long', {'max': 20}))
    return (None if meldingen else s), tuple(meldingen)



_BSN_SCHEIDING = re.compile(r'[ .\-]')
_WETENSCHAPPELIJK = re.compile(r'^[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+$')
_NEGEN_CIJFERS = re.compile(r'^[0-9]{9}$')


def elfproef_rest(n: str) -> int:
    """stdnum.nl.bsn.checksum for 9 ASCII digits, without its per-digit generator (it is the
    hottest line of a 50,000-row check). tests/test_formats.py holds it equal to stdnum's."""
    d = n.encode()
    return (9 * d[0] + 8 * d[1] + 7 * d[2] + 6 * d[3] + 5 * d[4] + 4 * d[5] + 3 * d[6] + 2 * d[7]
            - d[8] - 43 * 48) % 11


def _is_bsn(n: str) -> bool:
    # Only for exactly 9 digits: stdnum's validate would pad short input with zeros.
    return elfproef_rest(n) == 0 and n != '000000000'


def _is_onderwijsnummer(n: str) -> bool:
    return n.startswith('10') and elfproef_rest(n) == 5


def lees_bsn(v):
    s, m = _als_tekst(v, id_kolom=True)
    if m or s is None:
        return None, m
    if _NEGEN_CIJFERS.match(s):
        cijfers = s
    else:
        if _WETENSCHAPPELIJK.match(s):
            return _fout('bsn_scientific_notation')
        cijfers = _BSN_SCHEIDING.sub('', s)
        if not cijfers.isascii() or not cijfers.isdigit():
            return _fout('bsn_format')
    if len(cijfers) == 9:
        if _is_bsn(cijfers):
            return cijfers, GEEN
        if _is_onderwijsnummer(cijfers):
            return _fout('bsn_is_onderwijsnummer')
        return _fout('bsn_checksum', waarde=cijfers)
    if len(cijfers) == 8:
        aangevuld = '0' + cijfers
        if _is_bsn(aangevuld):
            return aangevuld, (('bsn_leading_zero_restored', {'waarde': aangevuld}),)
        return _fout('bsn_checksum', waarde=cijfers)
    return _fout('bsn_length', aantal=len(cijfers))


def lees_onderwijsnummer(v):
    s, m = _als_tekst(v, id_kolom=True)
    if m or s is None:
        return None, m
    cijfers = _BSN_SCHEIDING.sub('', s)
    if len(cijfers) == 9 and cijfers.isascii() and cijfers.isdigit():
        if _is_onderwijsnummer(cijfers):
            return cijfers, GEEN
        if _is_bsn(cijfers):
            return _fout('onderwijsnummer_is_bsn')
        if cijfers.startswith('10'):
            return _fout('onderwijsnummer_checksum', waarde=cijfers)
    return _fout('onderwijsnummer_format')


_VOORLETTERS_GOED = re.compile(r'^(?:(?:IJ|[A-Z]|[A-Z][a-z]{1,2})\.)+$')
# Letters in runs separated by spaces, dots or hyphens. (It used to read `[ .\-]*` inside the
# group, the same language, but a long run of letters followed by a wrong character then took
# exponential time: 'aaaa…a@' in Voorletters hung the check.)
_VOORLETTERS_TEKENS = re.compile(r"^[^\W\d_]+(?:[ .\-]+[^\W\d_]+)*[ .]*$")
_VOORLETTER_STUK = re.compile(r'([^\W\d_]+)(\.?)')


def lees_voorletters(v):
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    if _VOORLETTERS_GOED.match(s):
        schoon = s
    else:
        if not _VOORLETTERS_TEKENS.match(s):
            return _fout('voorletters_format')
        letters = []
        for stuk, punt in _VOORLETTER_STUK.findall(s):
            # 'Th.', 'Chr.': an abbreviated name written with a capital and a dot stays one initial.
            if punt and 2 <= len(stuk) <= 3 and stuk[0].isupper() and stuk[1:].islower() \
                    and stuk.upper() != 'IJ':
                letters.append(stuk)
                continue
            i = 0
            while i < len(stuk):
                if stuk[i:i + 2].upper() == 'IJ':
                    letters.append('IJ')
                    i += 2
                else:
                    letters.append(stuk[i].upper())
                    i += 1
        schoon = ''.join(f'{x}.' for x in letters)
    if len(schoon) > 20:
        return schoon, (('too_long', {'max': 20}),)
    return schoon, GEEN



TUSSENVOEGSELS = frozenset("""
van|de|der|den|het|'t|te|ter|ten|van de|van der|van den|van het|van 't|van ter|van ten|in|in de|in den|
in het|in 't|op|op de|op den|op het|op 't|op ten|uit|uit de|uit den|uit het|uit 't|aan|aan de|aan den|
aan het|aan 't|bij|bij de|bij den|bij het|bij 't|onder|onder de|onder den|over|over de|voor|voor de|
voor den|voor in 't|vanden|vander|vd|v.d.|v/d|von|von der|von dem|zu|la|le|les|l'|d'|du|des|del|della|
di|da|dos|das|do|el|al|ten|tot|tot de|tot den|onder het|uijt de|uijt den|de la|de le|de los|del|
van la|van le|van de l'|'s|'s-|dei|degli|lo|mc|mac|o'
""".replace('\n', '').split('|')) - {''}

# Surnames that start like this are likely to carry a prefix that belongs in Tussenvoegsel.
_TUSSEN_BEGIN = frozenset(['van', 'de', 'der', 'den', 'het', "'t", 'te', 'ter', 'ten', 'von',
                           'in', 'op', 'uit', 'aan', 'bij', 'vd', 'v.d.'])


def lees_tussenvoegsel(v):
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    formule = formule_achtig(s)
    if formule:
        return None, (formule,)
    s = s.lower().replace('’', "'")
    meldingen = []
    if len(s) > 10:
        meldingen.append(('too_long', {'max': 10}))
    elif s not in TUSSENVOEGSELS:
        meldingen.append(('tussenvoegsel_unknown', {}))
    return s, tuple(meldingen)


def achternaam_begint_met_tussenvoegsel(achternaam: str) -> bool:
    woorden = achternaam.lower().replace('’', "'").split(' ')
    return len(woorden) > 1 and woorden[0] in _TUSSEN_BEGIN


def _sleutel(s: str) -> str:
    return s.lower().replace('.', '').replace(' ', '').replace('-', '').replace('_', '')


def code_lezer(codes: tuple[str, ...], aliassen: dict[str, str], code: str,
               met_lijst: bool = False) -> Callable:
    """Case-insensitive, dots/spaces/hyphens ignored; aliases map to a code."""
    tabel = {_sleutel(c): c for c in codes}
    tabel.update({_sleutel(a): c for a, c in aliassen.items()})
    params = {'lijst': ', '.join(codes)} if met_lijst else {}

    def lezen(v):
        s, m = _als_tekst(v)
        if m or s is None:
            return None, m
        gevonden = tabel.get(_sleutel(s))
        if gevonden is None:
            return _fout(code, **params)
        return gevonden, GEEN
    lezen.tabel = tabel
    return lezen


def _heel_getal(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    if isinstance(v, str):
        s = schoon_tekst(v)
        if s.isascii() and s.isdigit():
            return int(s)
        if s.startswith('-') and s[1:].isdigit() and s.isascii():
            return int(s)
        if s.endswith((',0', '.0')) and s[:-2].isdigit() and s.isascii():
            return int(s[:-2])
    return None


def lees_leerjaar(v):
    if isinstance(v, str):
        s = schoon_tekst(v)
        if not s:
            return None, GEEN
    elif v is None:
        return None, GEEN
    n = _heel_getal(v)
    if n is None:
        return _fout('leerjaar_invalid')
    return n, GEEN


_POSTCODE = re.compile(r'^([1-9][0-9]{3}) ?([A-Za-z]{2})$')
_POSTCODE_NIET = frozenset(['SA', 'SD', 'SS'])


def lees_postcode(v):
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    p = _POSTCODE.match(s)
    if not p or p.group(2).upper() in _POSTCODE_NIET:
        return _fout('postcode_format')
    return f'{p.group(1)} {p.group(2).upper()}', GEEN



_TELEFOON_WEG = re.compile(r'[ \-().]')
_MOBIEL = re.compile(r'^(?:0|\+31|0031)(6[1-58][0-9]{7})\Z')   # phonenumbers' NL mobile pattern
_MOBIEL_VORM = re.compile(r'^(?:0|\+31|0031)6([0-9])[0-9]{7}\Z')
_MEER_NUMMERS = re.compile(r'[,;/]|\s(?:of|en|en/of)\s|\s{2,}', re.I)


def lees_telefoon(v):
    s, m = _als_tekst(v, id_kolom=True)
    if m or s is None:
        return None, m
    kort = _TELEFOON_WEG.sub('', s)
    snel = _MOBIEL.match(kort)
    if snel:
        return '+31' + snel.group(1), GEEN
    delen = [d for d in _MEER_NUMMERS.split(s) if d and sum(c.isdigit() for c in d) >= 6]
    if len(delen) >= 2 or (sum(c.isdigit() for c in s) >= 18 and not _MEER_NUMMERS.search(s)
                           and ' ' in s.strip()):
        return _fout('phone_multiple')
    try:
        nummer = phonenumbers.parse(s, 'NL')
    except phonenumbers.NumberParseException:
        return _fout('phone_invalid')
    if not phonenumbers.is_valid_number(nummer):
        reeks = _MOBIEL_VORM.match(kort)
        if reeks:
            # In the form of a mobile number, in a range that does not exist (06-9…): say so.
            return _fout('phone_invalid', soort='mobiel_reeks', begin=f'06-{reeks.group(1)}')
        return _fout('phone_invalid')
    return phonenumbers.format_number(nummer, phonenumbers.PhoneNumberFormat.E164), GEEN


def telefoon_tonen(e164: str) -> str:
    """+31612345678 → 06 12345678 (national format for Dutch numbers)."""
    try:
        nummer = phonenumbers.parse(e164, 'NL')
    except phonenumbers.NumberParseException:
        return e164
    if nummer.country_code == 31 and str(nummer.national_number).startswith('6'):
        n = str(nummer.national_number)
        return f'0{n[0]} {n[1:]}'
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if nummer.country_code == 31 \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(nummer, fmt)


# A strict subset of what email-validator accepts; anything else goes to email-validator itself.
# (A label with '--' in its 3rd and 4th place, like 'aa--b' or Punycode's 'xn--', is left to it:
# IDNA rules apply there.)
_EMAIL_SNEL = re.compile(
    r'^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*'
    r'@((?:(?![A-Za-z0-9]{2}--)[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))\Z')
_MEER_ADRESSEN = re.compile(r'[,;/\s]+')
_SPECIAL_USE = frozenset(['arpa', 'invalid', 'local', 'localhost', 'onion', 'test'])


def lees_email(v):
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    if sum('@' in d for d in _MEER_ADRESSEN.split(s)) >= 2:
        return _fout('email_multiple')         # 'a@x.nl; b@y.nl' (but 'jan@@school' is one wrong address)
    snel = _EMAIL_SNEL.match(s)
    if snel and len(s) <= 254 and s.index('@') <= 64 and snel.group(2).lower() not in _SPECIAL_USE:
        if s[-1] != '.':
            lokaal, domein = s.split('@')
            return f'{lokaal}@{domein.lower()}', GEEN
    try:
        return validate_email(s, check_deliverability=False).normalized, GEEN
    except EmailNotValidError:
        return _fout('email_invalid')


_DATUM_DMJ = re.compile(r'^([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]+)$')
_DATUM_JMD = re.compile(r'^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$')
_EXCEL_NUL = dt.date(1899, 12, 30)
_DATUM_WOORD = re.compile(r'^([0-9]{1,2})[ \-]([^\W\d_]+)\.?[ \-]([0-9]{2}|[0-9]{4})$')
_MAAND_NAMEN = {**{m: i for i, m in enumerate(_MAANDEN, start=1)},
                **{m[:3]: i for i, m in enumerate(_MAANDEN, start=1)},
                'mrt': 3, 'sept': 9, 'okt': 10}


def _serieel(n: float):
    if 1 <= n < 2958466:
        d = _EXCEL_NUL + dt.timedelta(days=int(n))
        return d, (('date_serial_converted', {'waarde': _getal_tekst(n), 'datum': datum_tekst(d)}),)
    return _fout('date_invalid', waarde=_getal_tekst(n))


def lees_datum(v):
    """Real Excel dates; d-m-jjjj, d/m/jjjj, d.m.jjjj, jjjj-mm-dd; Excel serial numbers (warning)."""
    if isinstance(v, dt.datetime):
        return v.date(), GEEN
    if isinstance(v, dt.date):
        return v, GEEN
    if isinstance(v, bool) or isinstance(v, dt.time):
        return _fout('date_invalid', waarde=waarde_tekst(v))
    if isinstance(v, (int, float)):
        return _serieel(v)
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    p = _DATUM_DMJ.match(s)
    if p:
        dag, maand, jaar = int(p.group(1)), int(p.group(3)), p.group(4)
        if len(jaar) <= 2:
            return _fout('date_two_digit_year')
        if len(jaar) != 4:
            return _fout('date_invalid')
        jaar = int(jaar)
    else:
        p = _DATUM_JMD.match(s)
        if p:
            jaar, maand, dag = int(p.group(1)), int(p.group(2)), int(p.group(3))
        elif s.isascii() and s.isdigit() and 4 <= len(s) <= 6:
            return _serieel(int(s))
        elif (p := _DATUM_WOORD.match(s)) and p.group(2).casefold() in _MAAND_NAMEN:
            # '3 mei 2009', '03 mrt. 2009': a date written out in Dutch is that date.
            dag, maand, jaar = int(p.group(1)), _MAAND_NAMEN[p.group(2).casefold()], p.group(3)
            if len(jaar) <= 2:
                return _fout('date_two_digit_year')
            jaar = int(jaar)
        else:
            if ' ' in s and _DATUM_JMD.match(s.split(' ')[0]):        # '2010-05-03 00:00:00'
                return lees_datum(s.split(' ')[0])
            return _fout('date_invalid')
    try:
        return dt.date(jaar, maand, dag), GEEN
    except ValueError:
        return _fout('date_invalid')


_CREBO = re.compile(r'^[0-9]{5}\Z')


def lees_crebo(v):
    s, m = _als_tekst(v, id_kolom=True)
    if m or s is None:
        return None, m
    if not _CREBO.match(s):
        return _fout('crebo_format')
    return s, GEEN



_NIVEAU_TEKST = re.compile(r'^(?:niveau|n)?\s*([1-4])$', re.I)


def lees_mbo_niveau(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v in (1, 2, 3, 4):
            return int(v), GEEN
        return _fout('mbo_niveau_invalid')
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    if s.lower() in ('entree', 'entreeopleiding', 'niveau entree'):
        return 1, GEEN
    p = _NIVEAU_TEKST.match(s)
    if not p:
        return _fout('mbo_niveau_invalid')
    return int(p.group(1)), GEEN


_COHORT_TWEE = re.compile(r'^([0-9]{4})\s*[-/]\s*([0-9]{4})$')


def lees_cohort(v):
    """2024, 2023-2024 or 2023/2024 (consecutive years) → start year. The range check needs
    today's date and lives in validate.py."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        n = _heel_getal(v)
        if n is None or not 1000 <= n <= 9999:
            return _fout('cohort_invalid')
        return n, GEEN
    s, m = _als_tekst(v)
    if m or s is None:
        return None, m
    if len(s) == 4 and s.isascii() and s.isdigit():
        return int(s), GEEN
    p = _COHORT_TWEE.match(s)
    if p and int(p.group(2)) == int(p.group(1)) + 1:
        return int(p.group(1)), GEEN
    return _fout('cohort_invalid')


# ---------------------------------------------------------------------------------------------
# Codes
# ---------------------------------------------------------------------------------------------
GESLACHTEN = ('M', 'V', 'O')
GESLACHT_ALIASSEN = {'man': 'M', 'jongen': 'M', 'vrouw': 'V', 'meisje': 'V',
                     'x': 'O', 'anders': 'O', 'onbekend': 'O'}
ONDERWIJSNIVEAUS = ('PRO', 'VMBO-BB', 'VMBO-KB', 'VMBO-GL', 'VMBO-TL', 'VMBO-GT', 'HAVO', 'VWO', 'VSO',
                    'VMBO-BB/KB', 'VMBO-KB/GT', 'VMBO-GT/HAVO', 'HAVO/VWO')
BRUGKLAS_NIVEAUS = frozenset(['VMBO-BB/KB', 'VMBO-KB/GT', 'VMBO-GT/HAVO', 'HAVO/VWO'])
ONDERWIJSNIVEAU_ALIASSEN = {'mavo': 'VMBO-TL', 'atheneum': 'VWO', 'gymnasium': 'VWO',
                            'praktijkonderwijs': 'PRO'}
# Leerjaar range per onderwijsniveau (formats.md §2).
LEERJAREN = {'PRO': (1, 6), 'VMBO-BB': (1, 4), 'VMBO-KB': (1, 4), 'VMBO-GL': (1, 4), 'VMBO-TL': (1, 4),
             'VMBO-GT': (1, 4), 'HAVO': (1, 5), 'VWO': (1, 6), 'VSO': (1, 8),
             **{c: (1, 2) for c in BRUGKLAS_NIVEAUS}}
EXAMENJAAR = {'VMBO-BB': 4, 'VMBO-KB': 4, 'VMBO-GL': 4, 'VMBO-TL': 4, 'VMBO-GT': 4, 'HAVO': 5, 'VWO': 6}
MBO_LEERJAREN = (1, 6)
VERVOLGWENSEN_VO = ('MBO', 'HAVO', 'VWO', 'HBO', 'WO', 'WERK', 'ANDERS', 'ONBEKEND')
VERVOLGWENSEN_MBO = ('MBO', 'HBO', 'WERK', 'ANDERS', 'ONBEKEND')
LEERWEGEN = ('BOL', 'BBL')
MBO_NIVEAUS = (1, 2, 3, 4)
COHORT_VANAF = 2010


# ---------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kolom:
    titel: str                 # exactly as in the spec
    veld: str                  # model field name
    verplicht: bool = False
    lezen: Callable[[object], tuple] = field(default=None, repr=False, compare=False)
    max_len: int | None = None
    waarden: tuple = ()        # allowed codes (for dropdowns and the Toelichting)
    voorbeeld: str = ''
    uitleg: str = ''           # Dutch, for the template's Toelichting and the help page
    soort: str = 'tekst'       # 'tekst' | 'id' | 'naam' | 'datum' | 'code' | 'getal'
    aliassen: tuple = ()       # (alias, code) pairs, for the Toelichting

    @property
    def als_tekst_opmaken(self) -> bool:
        """Identifier and class columns are formatted as Text in the template."""
        return self.soort == 'id' or self.veld == 'klas'


@dataclass(frozen=True)
class Format:
    naam: str                  # 'VO-overstapper', …
    schoolsoort: str           # 'VO' | 'MBO'
    soort: str                 # 'overstapper' | 'niet-overstapper'
    versie: int
    kolommen: tuple[Kolom, ...]

    def kolom(self, titel: str) -> Kolom:
        for k in self.kolommen:
            if k.titel == titel:
                return k
        raise KeyError(titel)

    def kolom_voor_veld(self, veld: str) -> Kolom:
        for k in self.kolommen:
            if k.veld == veld:
                return k
        raise KeyError(veld)

    @property
    def titels(self) -> tuple[str, ...]:
        return tuple(k.titel for k in self.kolommen)

    @property
    def velden(self) -> tuple[str, ...]:
        return tuple(k.veld for k in self.kolommen)

    @property
    def is_overstapper(self) -> bool:
        return self.soort == 'overstapper'

    @property
    def soort_label(self) -> str:
        return SOORTEN[self.soort]


def _code_uitleg(codes, aliassen) -> str:
    tekst = 'Kies uit: ' + ', '.join(str(c) for c in codes) + '.'
    if aliassen:
        tekst += ' Ook goed: ' + ', '.join(f'{a} (= {c})' for a, c in aliassen.items()) + '.'
    return tekst


GEMEENSCHAPPELIJK = (
    Kolom('Leerlingnummer', 'leerlingnummer', True, lees_leerlingnummer, 20, voorbeeld='123456', soort='id',
          uitleg='Het nummer van de leerling in uw leerlingadministratie: letters, cijfers en koppeltekens, '
                 'maximaal 20 tekens. Elk leerlingnummer komt één keer voor in de lijst.'),
    Kolom('BSN', 'bsn', False, lees_bsn, 9, voorbeeld='123456782', soort='id',
          uitleg='Het burgerservicenummer: 9 cijfers die voldoen aan de elfproef. Vul het BSN of het '
                 'onderwijsnummer in; als beide er staan, wordt het BSN gebruikt. Een BSN van 8 cijfers krijgt '
                 'een 0 ervoor.'),
    Kolom('Onderwijsnummer', 'onderwijsnummer', False, lees_onderwijsnummer, 9, voorbeeld='101222331', soort='id',
          uitleg='Alleen voor leerlingen zonder BSN: 9 cijfers, beginnend met 10.'),
    Kolom('Voorletters', 'voorletters', True, lees_voorletters, 20, voorbeeld='J.H.', soort='naam',
          uitleg='Hoofdletters met een punt erachter, zoals J.H.; IJ. is één voorletter. Maximaal 20 tekens.'),
    Kolom('Voornaam', 'voornaam', True, naam_lezer(200), 200, voorbeeld='Jan', soort='naam',
          uitleg='De roepnaam van de leerling: letters, spaties, koppeltekens, punten en apostrofs; geen cijfers.'),
    Kolom('Tussenvoegsel', 'tussenvoegsel', False, lees_tussenvoegsel, 10, voorbeeld='van der', soort='naam',
          uitleg='Bijvoorbeeld van, de of van der, in kleine letters; maximaal 10 tekens. Laat leeg als er '
                 'geen tussenvoegsel is.'),
    Kolom('Achternaam', 'achternaam', True, naam_lezer(200), 200, voorbeeld='Berg', soort='naam',
          uitleg='De achternaam zonder tussenvoegsel: letters, spaties, koppeltekens en apostrofs.'),
    Kolom('Geslacht', 'geslacht', True,
          code_lezer(GESLACHTEN, GESLACHT_ALIASSEN, 'geslacht_invalid'), 1, GESLACHTEN, 'V', soort='code',
          aliassen=tuple(GESLACHT_ALIASSEN.items()),
          uitleg='M (man), V (vrouw) of O (onbekend of anders).'),
    Kolom('Geboortedatum', 'geboortedatum', True, lees_datum, voorbeeld='03-05-2010', soort='datum',
          uitleg='De geboortedatum als dd-mm-jjjj, bijvoorbeeld 03-05-2010. Niet in de toekomst; de leerling '
                 'is minstens 4 jaar oud.'),
    Kolom('Postcode', 'postcode', False, lees_postcode, 7, voorbeeld='1234 AB', soort='tekst',
          uitleg='Een Nederlandse postcode: 4 cijfers en 2 letters, zoals 1234 AB. Laat leeg bij een '
                 'buitenlands adres.'),
    Kolom('Woonplaats', 'woonplaats', False, naam_lezer(80), 80, voorbeeld='Utrecht', soort='naam',
          uitleg='De woonplaats van de leerling, maximaal 80 tekens.'),
    Kolom('Telefoonnummer', 'telefoonnummer', False, lees_telefoon, 20, voorbeeld='06-12345678', soort='id',
          uitleg='Eén Nederlands of buitenlands telefoonnummer, bijvoorbeeld 06-12345678 of +32 470 12 34 56.'),
    Kolom('E-mailadres', 'email', False, lees_email, 254, voorbeeld='j.berg@voorbeeld.nl', soort='tekst',
          uitleg='Eén e-mailadres van de leerling.'),
)


def _vo_kolommen(overstapper: bool) -> tuple[Kolom, ...]:
    vo = (
        Kolom('Klas', 'klas', True, tekst_lezer(20), 20, voorbeeld='4B', soort='tekst',
              uitleg='De klas van de leerling, maximaal 20 tekens. De kolom is opgemaakt als Tekst, zodat '
                     'Excel 3-1 niet in een datum verandert.'),
        Kolom('Leerjaar', 'leerjaar', True, lees_leerjaar, voorbeeld='4', soort='getal',
              uitleg='Het leerjaar als heel getal: PRO 1-6, VMBO 1-4, HAVO 1-5, VWO 1-6, VSO 1-8, '
                     'brugklascombinaties 1-2.'),
        Kolom('Onderwijsniveau', 'onderwijsniveau', True,
              code_lezer(ONDERWIJSNIVEAUS, ONDERWIJSNIVEAU_ALIASSEN, 'onderwijsniveau_invalid', True),
              15, ONDERWIJSNIVEAUS, 'VMBO-KB', soort='code', aliassen=tuple(ONDERWIJSNIVEAU_ALIASSEN.items()),
              uitleg=_code_uitleg(ONDERWIJSNIVEAUS, ONDERWIJSNIVEAU_ALIASSEN)),
    )
    mentor = Kolom('Mentor', 'mentor', False, tekst_lezer(100), 100, voorbeeld='mevr. De Vries',
                   uitleg='De naam van de mentor, maximaal 100 tekens.')
    if overstapper:
        return GEMEENSCHAPPELIJK + vo + (
            Kolom('Profiel/sector', 'profiel_sector', False, tekst_lezer(50), 50, voorbeeld='Zorg en welzijn',
                  uitleg='Het profiel of de sector van de leerling, maximaal 50 tekens.'),
            mentor,
            Kolom('Vervolgwens', 'vervolgwens', False,
                  code_lezer(VERVOLGWENSEN_VO, {}, 'vervolgwens_invalid', True), 10, VERVOLGWENSEN_VO, 'MBO',
                  soort='code', uitleg=_code_uitleg(VERVOLGWENSEN_VO, {})),
        )
    return GEMEENSCHAPPELIJK + vo + (mentor, _LOB)


_LOB = Kolom('LOB-activiteit', 'lob_activiteit', False, tekst_lezer(200), 200, voorbeeld='Meeloopdag mbo',
             uitleg='Een activiteit voor loopbaanoriëntatie en -begeleiding, maximaal 200 tekens.')


def _mbo_kolommen(overstapper: bool) -> tuple[Kolom, ...]:
    mbo = (
        Kolom('Crebocode', 'crebocode', True, lees_crebo, 5, voorbeeld='25187', soort='id',
              uitleg='De crebocode van de opleiding: 5 cijfers.'),
        Kolom('Opleidingsnaam', 'opleidingsnaam', False, tekst_lezer(150), 150, voorbeeld='Verzorgende IG',
              uitleg='De naam van de opleiding, maximaal 150 tekens.'),
        Kolom('Niveau', 'niveau', True, lees_mbo_niveau, 1, MBO_NIVEAUS, '3', soort='code',
              aliassen=(('Entree', 1), ('niveau 2', 2), ('N2', 2)),
              uitleg='1 (Entree), 2, 3 of 4. Ook goed: Entree, niveau 2, N2.'),
        Kolom('Leerweg', 'leerweg', True, code_lezer(LEERWEGEN, {}, 'leerweg_invalid'), 3, LEERWEGEN, 'BOL',
              soort='code', uitleg='BOL (beroepsopleidende leerweg) of BBL (beroepsbegeleidende leerweg).'),
        Kolom('Cohort', 'cohort', True, lees_cohort, voorbeeld='2024', soort='getal',
              uitleg='Het jaar waarin de leerling met de opleiding begon, bijvoorbeeld 2024 (2024-2025 mag ook). '
                     'Vanaf 2010 tot en met het volgende schooljaar.'),
        Kolom('Leerjaar', 'leerjaar', True, lees_leerjaar, voorbeeld='2', soort='getal',
              uitleg='Het leerjaar als heel getal van 1 tot en met 6.'),
        Kolom('Klas/groep', 'klas', False, tekst_lezer(20), 20, voorbeeld='VIG2A', soort='tekst',
              uitleg='De klas of groep, maximaal 20 tekens. De kolom is opgemaakt als Tekst.'),
        Kolom('Studieloopbaanbegeleider', 'studieloopbaanbegeleider', False, tekst_lezer(100), 100,
              voorbeeld='J. Smit', uitleg='De naam van de studieloopbaanbegeleider, maximaal 100 tekens.'),
    )
    if overstapper:
        return GEMEENSCHAPPELIJK + mbo + (
            Kolom('Verwachte einddatum', 'verwachte_einddatum', False, lees_datum, voorbeeld='31-07-2027',
                  soort='datum', uitleg='De datum waarop de leerling de opleiding naar verwachting afrondt, '
                                        'als dd-mm-jjjj.'),
            Kolom('Vervolgwens', 'vervolgwens', False,
                  code_lezer(VERVOLGWENSEN_MBO, {}, 'vervolgwens_invalid', True), 10, VERVOLGWENSEN_MBO, 'HBO',
                  soort='code', uitleg=_code_uitleg(VERVOLGWENSEN_MBO, {})),
        )
    return GEMEENSCHAPPELIJK + mbo + (_LOB,)


FORMATS: dict[str, Format] = {
    f.naam: f for f in (
        Format('VO-overstapper', 'VO', 'overstapper', 1, _vo_kolommen(True)),
        Format('VO-niet-overstapper', 'VO', 'niet-overstapper', 1, _vo_kolommen(False)),
        Format('MBO-overstapper', 'MBO', 'overstapper', 1, _mbo_kolommen(True)),
        Format('MBO-niet-overstapper', 'MBO', 'niet-overstapper', 1, _mbo_kolommen(False)),
    )
}
assert [len(f.kolommen) for f in FORMATS.values()] == [19, 18, 23, 22]


def max_lengte(veld: str) -> int:
    """The longest value a column of `veld` may hold in any format (for the database's columns)."""
    return max(k.max_len for f in FORMATS.values() for k in f.kolommen if k.veld == veld and k.max_len)


def format_voor(schoolsoort: str, soort: str) -> Format:
    """The format for a schoolsoort ('VO'|'MBO') and soort ('overstapper'|'niet-overstapper')."""
    schoolsoort = schoolsoort.upper()
    if schoolsoort not in SCHOOLSOORTEN or soort not in SOORTEN:
        raise KeyError(f'{schoolsoort}-{soort}')
    return FORMATS[f'{schoolsoort}-{soort}']
