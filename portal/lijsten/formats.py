"""THE schema of the four leerlinglijst formats (../shared/spec/formats.md).

Every column title, rule, allowed code and example lives here once. The template writer, the
validator, the manual-entry form, the help pages and the tests all read them from FORMATS.

A column's `lezen` turns one cell value into a clean value. It never looks at other columns and
never raises on bad input; it returns `(schoon, meldingen)`, where `meldingen` is a tuple of
`(code, params)` pairs (codes from errors.CATALOG; params may carry 'waarde' to show a value
other than the raw cell). `schoon` is None for an empty cell or a value that cannot be used.
Because `lezen` is a pure function of the cell, the validator caches it per distinct value.
The columns whose values differ in every row (leerlingnummer, BSN, postcode, …) have a `Kolomregel`
as their `lezen` instead: the same rule as polars expressions over the whole column, which one cell
calls as a column of one.
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
import polars as pl
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
_FORMULE = re.compile(r'[=+\-@].', re.S)


def formule_achtig(s: str):
    """The finding for a text that Excel may run as a formula (=, +, - or @ in front, as in
    '=HYPERLINK(…)', '+1+1', '-2+3', '@SUM(1)'), or None. One character alone ('-' for "none")
    is plain text in Excel too. Only for columns that keep the text as typed: a column whose own
    rule turns the value into something else (a phone number, a BSN, a code) needs no such check."""
    if _FORMULE.match(s):
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


# ---------------------------------------------------------------------------------------------
# Rules over a whole column: the columns whose values are all different
# ---------------------------------------------------------------------------------------------
# A leerlingnummer, BSN, onderwijsnummer, postcode, phone number, e-mail address or crebocode
# differs in (nearly) every row, so reading once per distinct value (validate.kolom_lezen) saves
# nothing there. Their rules are written once, as polars expressions over the column `s` of clean
# texts (None for an empty cell): polars runs them over 50,000 cells at once, and one cell (the
# manual form, a correction in the browser) is a column of one.
# Printable ASCII in words of one space apart (none at either end, none doubled): such a text is
# as schoon_tekst leaves it.
_AL_SCHOON = r'^[!-~]+(?: [!-~]+)*$'
_S = pl.col('s')
_TEKST_OF_LEEG = {str, type(None)}


@dataclass(frozen=True)
class Melding:
    """A code of a column rule for the rows where `waar` holds, with the params that `params`
    makes of the row's text (called only for those rows). An error (`fout`) leaves no clean value."""
    code: str
    waar: pl.Expr
    params: Callable[[str], dict] = lambda s: {}
    fout: bool = True


@dataclass(frozen=True)
class Kolomregel:
    """A column's rule over all its cells at once. `schoon` is the clean value; `meldingen` the
    codes, in the order they are reported. Where `voor_anders` holds, the cell's text goes to
    `anders` (text → (schoon, meldingen)): what no pattern decides, left to the library that
    knows it (phonenumbers, email-validator). `hulp` are the columns these expressions read
    besides `s`, in steps (a dict of named expressions per step, each reading the steps before).
    Called with one cell, it is that cell's `lezen`."""
    schoon: pl.Expr
    meldingen: tuple[Melding, ...] = ()
    hulp: tuple[dict[str, pl.Expr], ...] = ()
    id_kolom: bool = False
    voor_anders: pl.Expr | None = None
    anders: Callable[[str], tuple] | None = None

    def __call__(self, v):
        s, m = _als_tekst(v, id_kolom=self.id_kolom)
        if m or s is None:
            return None, m
        schoon, meldingen = self.teksten([s])
        return schoon[0], meldingen.get(0, GEEN)

    def kolom(self, waarden, bijzonder: Callable = lambda v: None) -> tuple[list, dict]:
        """Raw cells → (clean values, {position: meldingen}). A text goes through schoon_tekst
        only when it is not clean already; another value becomes a text as in every column
        (_als_tekst), unless `bijzonder` has meldingen for it (an error value, a formula)."""
        meldingen, getypt = {}, {}
        if set(map(type, waarden)) <= _TEKST_OF_LEEG:        # a CSV, or a text column of a sheet
            teksten = waarden
        else:
            teksten = [v if v.__class__ is str else None for v in waarden]
        for i, v in enumerate(() if teksten is waarden else waarden):
            if v is not None and v.__class__ is not str:
                sleutel = (v.__class__, v)          # TRUE and 1 are equal, but not one cell
                if sleutel not in getypt:
                    m = bijzonder(v)
                    getypt[sleutel] = (None, m) if m else _als_tekst(v, id_kolom=self.id_kolom)
                teksten[i], m = getypt[sleutel]
                if m:
                    meldingen[i] = m
        s = pl.Series('s', teksten, dtype=pl.String)
        df = self._lees(s)
        gelezen = s
        if df['vies'].any():
            # Texts schoon_tekst would change (spaces at the ends, invisible characters): clean
            # those, and read the column again.
            plekken = df['vies'].arg_true()
            s = df['s'].scatter(plekken, [schoon_tekst(t) or None for t in df['s'].gather(plekken).to_list()])
            df = self._lees(s)
        schoon, gevonden = self._uitkomst(df, gelezen, teksten)
        meldingen.update(gevonden)
        return schoon, meldingen

    def teksten(self, teksten) -> tuple[list, dict]:
        """Clean texts (None for empty) → (clean values, {position: meldingen})."""
        return self._uitkomst(self._lees(pl.Series('s', teksten, dtype=pl.String)))

    def _lees(self, s: pl.Series) -> pl.DataFrame:
        """The rule over the texts `s` ('' is an empty cell), in one query: the clean value, a
        column per code, and `vies`, the texts that are not clean yet."""
        vlaggen = [m.waar.fill_null(False).alias(f'm{j}') for j, m in enumerate(self.meldingen)]
        if self.voor_anders is not None:
            vlaggen.append(self.voor_anders.fill_null(False).alias('anders'))
        vies = (~_S.str.contains(_AL_SCHOON)).fill_null(False)
        lf = pl.LazyFrame({'s': s}).with_columns(s=pl.when(_S != '').then(_S)).with_columns(vies=vies)
        for stap in self.hulp:
            lf = lf.with_columns(**stap)
        return lf.select(_S, pl.col('vies'), self.schoon.alias('schoon'), *vlaggen).collect(
            optimizations=pl.QueryOptFlags.none())

    def _uitkomst(self, df: pl.DataFrame, gelezen: pl.Series | None = None, teksten=None) -> tuple[list, dict]:
        """The clean values as a list, and the meldingen. Given the texts read (`teksten`, and as
        the column `gelezen`), a clean value that is its cell's text keeps that text's str: only
        the values that differ are made (most of a column's clean values are its texts, and making
        50,000 new str objects per column was most of a rule's time)."""
        schoon = _lijst(df['schoon'], gelezen, teksten)
        meldingen = {}
        vlaggen = df.select(pl.exclude('s', 'vies', 'schoon'))
        if not vlaggen.width or not vlaggen.select(pl.any_horizontal(pl.all())).to_series().any():
            return schoon, meldingen
        for j, m in enumerate(self.meldingen):
            plekken = df[f'm{j}'].arg_true()
            for i, tekst in zip(plekken.to_list(), df['s'].gather(plekken).to_list()):
                meldingen[i] = meldingen.get(i, GEEN) + ((m.code, m.params(tekst)),)
                if m.fout:
                    schoon[i] = None
        if self.anders is not None:
            plekken = df['anders'].arg_true()
            for i, tekst in zip(plekken.to_list(), df['s'].gather(plekken).to_list()):
                schoon[i], m = self.anders(tekst)
                if m:
                    meldingen[i] = m
        return schoon, meldingen


def _lijst(schoon: pl.Series, gelezen: pl.Series | None, teksten) -> list:
    """`schoon` as a list, reusing the str objects of `teksten` (the list `gelezen` was made of)
    where they are equal."""
    if gelezen is None:
        return schoon.to_list()
    anders = (~schoon.eq_missing(gelezen)).arg_true()
    if len(anders) * 4 > len(gelezen):
        return schoon.to_list()
    uit = list(teksten)
    for i, v in zip(anders.to_list(), schoon.gather(anders).to_list()):
        uit[i] = v
    return uit


_LEERLINGNUMMER_FOUT = r'[^A-Za-z0-9-]'
_ZOALS_FORMULE = _S.str.contains('(?s)^' + _FORMULE.pattern)

lees_leerlingnummer = Kolomregel(
    schoon=_S, id_kolom=True, meldingen=(
        Melding('invalid_characters', _S.str.contains(_LEERLINGNUMMER_FOUT),
                lambda s: _ongeldige_tekens(re.findall(_LEERLINGNUMMER_FOUT, s))[1]),
        Melding('invalid_characters', ~_S.str.contains(_LEERLINGNUMMER_FOUT) & _ZOALS_FORMULE,   # '-123'
                lambda s: formule_achtig(s)[1]),
        Melding('too_long', _S.str.len_chars() > 20, lambda s: {'max': 20})))

_BSN_SCHEIDING = r'[ .\-]'


def _elfproef_rest(getal: pl.Expr) -> pl.Expr:
    """The 11-proef's remainder of a number of at most 9 digits, read with leading zeros to 9
    (stdnum.nl.bsn.checksum): 0 for a BSN, 5 for an onderwijsnummer."""
    som = sum((getal // 10 ** (8 - i) % 10) * w for i, w in enumerate((9, 8, 7, 6, 5, 4, 3, 2, -1)))
    return (som + 11) % 11


def _cijfers(s: str) -> str:
    return re.sub(_BSN_SCHEIDING, '', s)


_NUMMER, _ALLEEN_CIJFERS, _REST = pl.col('nummer'), pl.col('alleen_cijfers'), pl.col('rest')
_NUMMER_HULP = (      # the columns the BSN and onderwijsnummer rules read
    {'nummer': _S.str.replace_all(_BSN_SCHEIDING, '')},                     # '123.456.782' → '123456782'
    {'alleen_cijfers': _NUMMER.str.contains('^[0-9]+$'), 'lengte': _NUMMER.str.len_chars()},
    {'rest': _elfproef_rest(pl.when(_ALLEEN_CIJFERS & (pl.col('lengte') <= 9)).then(_NUMMER.cast(pl.Int64)))})
_NEGEN = _ALLEEN_CIJFERS & (pl.col('lengte') == 9)
_ACHT = _ALLEEN_CIJFERS & (pl.col('lengte') == 8)                  # Excel dropped a leading zero
_AANGEVULD = pl.concat_str(pl.lit('0'), _NUMMER)
_IS_BSN = _NEGEN & (_REST == 0) & (_NUMMER != '000000000')
_NEGEN_MET_10 = _NEGEN & _NUMMER.str.starts_with('10')         # the form of an onderwijsnummer
_IS_ONDERWIJSNUMMER = _NEGEN_MET_10 & (_REST == 5)
_AANGEVULD_BSN = _ACHT & (_REST == 0) & (_NUMMER != '00000000')
_WETENSCHAPPELIJK = _S.str.contains(r'^[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+$')      # 1,23457E+08

lees_bsn = Kolomregel(
    schoon=pl.when(_IS_BSN).then(_NUMMER).when(_AANGEVULD_BSN).then(_AANGEVULD), id_kolom=True, hulp=_NUMMER_HULP,
    meldingen=(
        Melding('bsn_scientific_notation', _WETENSCHAPPELIJK),
        Melding('bsn_format', ~_WETENSCHAPPELIJK & ~_ALLEEN_CIJFERS),
        Melding('bsn_is_onderwijsnummer', _IS_ONDERWIJSNUMMER),
        Melding('bsn_checksum', (_NEGEN & ~_IS_BSN & ~_IS_ONDERWIJSNUMMER) | (_ACHT & ~_AANGEVULD_BSN),
                lambda s: {'waarde': _cijfers(s)}),
        Melding('bsn_leading_zero_restored', _AANGEVULD_BSN, lambda s: {'waarde': '0' + _cijfers(s)}, fout=False),
        Melding('bsn_length', _ALLEEN_CIJFERS & ~_NEGEN & ~_ACHT, lambda s: {'aantal': len(_cijfers(s))})))

lees_onderwijsnummer = Kolomregel(
    schoon=pl.when(_IS_ONDERWIJSNUMMER).then(_NUMMER), id_kolom=True, hulp=_NUMMER_HULP, meldingen=(
        Melding('onderwijsnummer_is_bsn', _IS_BSN),
        Melding('onderwijsnummer_checksum', _NEGEN_MET_10 & ~_IS_ONDERWIJSNUMMER, lambda s: {'waarde': _cijfers(s)}),
        Melding('onderwijsnummer_format', _S.is_not_null() & ~_IS_BSN & ~_NEGEN_MET_10)))

_POSTCODE = pl.col('postcode')
_POSTCODE_LETTERS = _POSTCODE.struct.field('2').str.to_uppercase()
_IS_POSTCODE = _POSTCODE.struct.field('1').is_not_null() & ~_POSTCODE_LETTERS.is_in(['SA', 'SD', 'SS'])

lees_postcode = Kolomregel(
    schoon=pl.when(_IS_POSTCODE).then(pl.concat_str(_POSTCODE.struct.field('1'), pl.lit(' '), _POSTCODE_LETTERS)),
    meldingen=(Melding('postcode_format', _S.is_not_null() & ~_IS_POSTCODE),),
    hulp=({'postcode': _S.str.extract_groups(r'^([1-9][0-9]{3}) ?([A-Za-z]{2})$')},))

_TELEFOON_WEG = r'[ \-().]'
_MOBIEL = pl.col('mobiel')
_MOBIEL_VORM = re.compile(r'^(?:0|\+31|0031)6([0-9])[0-9]{7}\Z')
_MEER_NUMMERS = re.compile(r'[,;/]|\s(?:of|en|en/of)\s|\s{2,}', re.I)


def _telefoon(s: str) -> tuple:
    """A phone number that is not a Dutch mobile one: phonenumbers decides."""
    delen = [d for d in _MEER_NUMMERS.split(s) if d and sum(c.isdigit() for c in d) >= 6]
    if len(delen) >= 2 or (sum(c.isdigit() for c in s) >= 18 and not _MEER_NUMMERS.search(s)
                           and ' ' in s.strip()):
        return _fout('phone_multiple')
    try:
        nummer = phonenumbers.parse(s, 'NL')
    except phonenumbers.NumberParseException:
        return _fout('phone_invalid')
    if not phonenumbers.is_valid_number(nummer):
        reeks = _MOBIEL_VORM.match(re.sub(_TELEFOON_WEG, '', s))
        if reeks:
            # In the form of a mobile number, in a range that does not exist (06-9…): say so.
            return _fout('phone_invalid', soort='mobiel_reeks', begin=f'06-{reeks.group(1)}')
        return _fout('phone_invalid')
    return phonenumbers.format_number(nummer, phonenumbers.PhoneNumberFormat.E164), GEEN


# A Dutch mobile number (phonenumbers' pattern for them) in any common notation is +316…;
# every other number is left to phonenumbers.
lees_telefoon = Kolomregel(schoon=pl.concat_str(pl.lit('+31'), _MOBIEL), id_kolom=True,
                           voor_anders=_S.is_not_null() & _MOBIEL.is_null(), anders=_telefoon,
                           hulp=({'mobiel': _S.str.replace_all(_TELEFOON_WEG, '').str.extract(
                               r'^(?:0|\+31|0031)(6[1-58][0-9]{7})$', 1)},))

# The common shape of an address: letters, digits and _%+- in dot-separated parts, a domain of
# such labels (none with '--' in its 3rd and 4th place, as Punycode's 'xn--': IDNA rules apply
# there) and a TLD of letters that is not for special use. It is a strict subset of what
# email-validator accepts; every other text is left to email-validator.
_EMAIL_VORM = (r'^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*'
               r'@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$')
_EMAIL_DELEN, _EMAIL_DOMEIN = pl.col('delen'), pl.col('delen').struct.field('field_1')
_IS_EMAIL = (_S.str.contains(_EMAIL_VORM) & ~_EMAIL_DOMEIN.str.contains(r'(?:^|\.)[A-Za-z0-9]{2}--')
             & (_S.str.len_chars() <= 254) & (_EMAIL_DELEN.struct.field('field_0').str.len_chars() <= 64)
             & ~_EMAIL_DOMEIN.str.extract(r'\.([A-Za-z]+)$', 1).str.to_lowercase().is_in(
                 ['arpa', 'invalid', 'local', 'localhost', 'onion', 'test']))
_MEER_ADRESSEN = re.compile(r'[,;/\s]+')


def _email(s: str) -> tuple:
    """An address of another shape, or more than one: email-validator decides."""
    if sum('@' in d for d in _MEER_ADRESSEN.split(s)) >= 2:
        return _fout('email_multiple')         # 'a@x.nl; b@y.nl' (but 'jan@@school' is one wrong address)
    try:
        return validate_email(s, check_deliverability=False).normalized, GEEN
    except EmailNotValidError:
        return _fout('email_invalid')


lees_email = Kolomregel(
    schoon=pl.when(pl.col('is_email')).then(
        pl.concat_str(_EMAIL_DELEN.struct.field('field_0'), pl.lit('@'), _EMAIL_DOMEIN.str.to_lowercase())),
    voor_anders=_S.is_not_null() & ~pl.col('is_email'), anders=_email,
    hulp=({'delen': _S.str.split_exact('@', 1)}, {'is_email': _IS_EMAIL}))


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


lees_crebo = Kolomregel(schoon=_S, id_kolom=True,
                        meldingen=(Melding('crebo_format', ~_S.str.contains(r'^[0-9]{5}$')),))


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
