"""Safe reading of an uploaded leerlinglijst: bytes → one sheet of cell values.

The type is decided by the content, never by the file name. Every way a hostile or
broken file can fail ends in a `Bestandsfout` with a code of the error catalog; no
traceback, no unbounded memory, no hang.

An .xlsx is checked before any XML reaches a parser: the zip directory (member count,
declared sizes, compression ratio, duplicate and encrypted members), and every XML member
is inflated through a bounded decompressor (zipfile finds it, zlib inflates it, never beyond
its declared size), so a zip that lies about its sizes is caught before calamine (which
trusts the directory) reads it. The work is bounded by cells: a sheet larger than
Limieten.max_sheet_bytes unpacked, or with more than Limieten.max_cells cells, is refused
before any value is read. A formula cell is read as FORMULE_ZONDER_WAARDE, cached value or
not, so that the check names it and refuses the list (a formula must not reach the helpdesk).

The values come from calamine (Rust): through fastexcel as Arrow columns when every column
holds one type (the usual list), else through python-calamine, cell by cell as typed. What
calamine does not tell us (error values, merged ranges, hidden rows, the template marker)
comes from regular expressions over the raw XML bytes.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import html
import io
import logging
import re
import zipfile
import zlib
from itertools import compress, repeat
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as SafeET
import fastexcel
import polars as pl
import python_calamine

# fastexcel logs at WARNING level when it guesses a column's type; an upload's columns are not
# worth a log line each (a mixed column is read through python-calamine instead).
logging.getLogger("fastexcel").setLevel(logging.ERROR)

__all__ = [
    "Limieten", "FormuleZonderWaarde", "Foutwaarde", "Bestandsfout", "Sheet",
    "read_sheet", "kolomletter", "kolomindex", "assert_defusedxml", "MARKER_NAAM",
]

MARKER_NAAM = "LEERLINGLIJST_FORMAT"


@dataclass(frozen=True)
class Limieten:
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 50_000            # data rows (the title row not counted)
    max_cols: int = 200
    max_cell_chars: int = 32_767
    max_unpacked_bytes: int = 300 * 1024 * 1024   # sum of declared member sizes
    max_members: int = 1_000
    max_ratio: int = 200              # compression ratio per (large) member
    # The work a sheet may cost: 50,000 rows of twice the widest format; a real list of 50,000
    # rows is 50-60 MB of sheet XML.
    max_cells: int = 2_500_000
    max_sheet_bytes: int = 150 * 1024 * 1024


class FormuleZonderWaarde:
    """A formula cell without a cached value. One instance: compare with `is` or isinstance."""
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "FormuleZonderWaarde()"

    def __str__(self):
        return ""


FORMULE_ZONDER_WAARDE = FormuleZonderWaarde()


@dataclass(frozen=True)
class Foutwaarde:
    """An Excel error value like '#N/A' or '#REF!'."""
    tekst: str

    def __str__(self):
        return self.tekst


class Bestandsfout(Exception):
    """A file-level finding that stops reading; `code` is a code of errors.md."""

    def __init__(self, code: str, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __repr__(self):
        return f"Bestandsfout({self.code!r}, **{self.params!r})"


class Sheet:
    """One sheet of cell values, as rows (`rijen`) and as columns (`kolommen`).

    rijen[i] is spreadsheet row i+1, and column j is letter j (A=0); kolommen[j][i] is the same
    cell. The reader makes whichever is cheaper and the other is built on first use (the
    validator works on columns only). Both are padded to one width / one height.

    In `rijen` an empty cell is None and a whole number an int. `kolommen` may hold the cells as
    read, for speed: an empty cell may be '' and a whole number a float (5.0); the validator's
    parsers treat those alike.
    """

    def __init__(self, soort: str, naam: str | None, rijen: list[list] | None = None,
                 merged: list[str] | None = None, hidden_rows: set[int] | None = None,
                 marker: tuple[str, int] | None = None, *, kolommen: list | None = None,
                 langste: int | None = None):
        self.soort = soort                  # 'xlsx' or 'csv'
        self.langste = langste              # the longest text, when the reader measured it
        self.naam = naam
        self._rijen = rijen
        self._kolommen = kolommen
        self.merged = merged if merged is not None else []
        self.hidden_rows = hidden_rows if hidden_rows is not None else set()
        self.marker = marker

    @property
    def rijen(self) -> list[list]:
        if self._rijen is None:
            self._rijen = _normalise(zip(*self._kolommen)) if self._kolommen else []
        return self._rijen

    @property
    def kolommen(self) -> list[tuple]:
        if self._kolommen is None:
            rijen = self._rijen or []
            breedte = max(map(len, rijen), default=0)
            if rijen and min(map(len, rijen)) < breedte:
                rijen = [r + [None] * (breedte - len(r)) if len(r) < breedte else r for r in rijen]
            self._kolommen = _transponeer(rijen)
        return self._kolommen

    def __repr__(self):
        return f"Sheet(soort={self.soort!r}, naam={self.naam!r}, rijen={len(self.rijen)})"


def kolomletter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def kolomindex(letters: str | bytes) -> int:
    """'A' → 0, 'AA' → 26 (inverse of kolomletter)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def assert_defusedxml() -> None:
    """Fail loudly at start-up when the XML defences are not in place."""
    try:
        from defusedxml import EntitiesForbidden
    except Exception as exc:  # pragma: no cover - only when the install is broken
        raise RuntimeError("defusedxml is niet beschikbaar; uploads kunnen niet veilig worden gelezen") from exc
    bom = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    try:
        SafeET.fromstring(bom)
    except EntitiesForbidden:
        return
    raise RuntimeError("defusedxml weigert geen XML-entities; uploads kunnen niet veilig worden gelezen")


# ---------------------------------------------------------------------------
# Entry point

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_MAGIC_UNSUPPORTED = [
    (b"%PDF", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"{\\rtf", "rtf"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gz"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
]


def read_sheet(data: bytes, limieten: Limieten = Limieten()) -> Sheet:
    """Read the data sheet of an uploaded file. Raises Bestandsfout for every file-level problem."""
    if data is None or len(data) == 0:
        raise Bestandsfout("file_empty")
    if len(data) > limieten.max_bytes:
        raise Bestandsfout("file_too_large", max=_mb(limieten.max_bytes))
    try:
        if data[:4] == _ZIP:
            sheet = _read_ooxml(bytes(data), limieten)
        elif data[:8] == _OLE2:
            fout = _ole2_fout(data)
            if fout.code != "file_type_xls":
                raise fout
            from .andere_bestanden import lees_xls  # .xls: issue 13
            sheet = lees_xls(bytes(data), limieten)
        else:
            for magic, soort in _MAGIC_UNSUPPORTED:
                if data[:len(magic)] == magic:
                    raise Bestandsfout("file_type_unsupported", soort=soort)
            sheet = _read_csv(bytes(data), limieten)
        if sheet.langste is None or sheet.langste > limieten.max_cell_chars:
            cel = _te_lange_cel(sheet.kolommen, limieten)
            if cel:
                raise _cel_te_lang(limieten, cel)
        return sheet
    except Bestandsfout:
        raise
    except MemoryError:
        raise Bestandsfout("file_unsafe") from None
    except RecursionError:
        raise Bestandsfout("file_unsafe") from None
    except Exception:
        # Whatever else a broken file can provoke: it is unreadable, not our crash.
        raise Bestandsfout("file_corrupt") from None


def _cel_te_lang(limieten: Limieten, cel: str | None) -> Bestandsfout:
    # Excel keeps at most 32,767 characters in a cell: a longer one was not typed in a list.
    maximum = f"{limieten.max_cell_chars:,}".replace(",", ".")
    if cel is None:                       # (a CSV the csv module cannot read to the end)
        return Bestandsfout("file_corrupt", soort="waarde_te_lang", max=maximum)
    return Bestandsfout("file_corrupt", soort="cel_te_lang", max=maximum, cel=cel)


def _te_lange_cel(kolommen, limieten: Limieten) -> str | None:
    """The first cell (as 'D14') holding more than max_cell_chars characters, or None."""
    if _langste_tekst(kolommen) <= limieten.max_cell_chars:
        return None
    for j, kolom in enumerate(kolommen):          # rare: only now walk the cells
        for i, v in enumerate(kolom):
            if isinstance(v, str) and len(v) > limieten.max_cell_chars:
                return f"{kolomletter(j)}{i + 1}"
    return None


def _langste_tekst(kolommen) -> int:
    return max(map(_langste_in, kolommen), default=0)


def _langste_in(kolom) -> int:
    try:
        return max(map(len, filter(None, kolom)), default=0)    # a column of texts and Nones
    except TypeError:                                   # numbers or dates among them
        return max(map(len, compress(kolom, map(isinstance, kolom, repeat(str)))), default=0)


def _mb(n: int) -> int | float:
    mb = n / (1024 * 1024)
    return int(mb) if mb == int(mb) else round(mb, 1)


def _ole2_fout(data: bytes) -> Bestandsfout:
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return Bestandsfout("file_encrypted")
    if "WordDocument".encode("utf-16-le") in data:
        return Bestandsfout("file_type_unsupported", soort="doc")
    if "PowerPoint Document".encode("utf-16-le") in data:
        return Bestandsfout("file_type_unsupported", soort="ppt")
    return Bestandsfout("file_type_xls")


# ---------------------------------------------------------------------------
# CSV

_SEPARATORS = (";", ",", "\t")


def _decode_text(data: bytes) -> tuple[str, bytes]:
    """→ (the text, the same text as UTF-8: the upload itself when it is UTF-8, the usual case)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with BOM, tab separated.
        tekst = data.decode("utf-16")
        return tekst, tekst.encode("utf-8")
    if b"\x00" in data:
        raise Bestandsfout("file_type_unsupported")
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError:
        pass
    try:
        tekst = data.decode("cp1252")
    except UnicodeDecodeError:
        raise Bestandsfout("file_type_unsupported") from None
    return tekst, tekst.encode("utf-8")


_MARKUP = re.compile(r"\A\s*<(?:!doctype|html|\?xml|head|body|table|div|meta|!--)", re.I)


_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")


def _read_csv(data: bytes, limieten: Limieten) -> Sheet:
    tekst, utf8 = _decode_text(data)
    if _MARKUP.match(tekst[:1000]):
        soort = "html" if re.match(r"\A\s*<(?:!doctype\s+html|html|head|body|table|div|meta)", tekst[:1000], re.I) else "xml"
        raise Bestandsfout("file_type_unsupported", soort=soort)
    if "\x00" in tekst or _BINARY.search(tekst, 0, 8192):
        # Control characters do not occur in a real text export: this is some binary file.
        raise Bestandsfout("file_type_unsupported")
    sep = _detect_separator(tekst)
    gelezen = _csv_kolommen(tekst, utf8, sep, limieten)
    if gelezen is not None:
        return Sheet(soort="csv", naam=None, kolommen=gelezen[0], langste=gelezen[1])
    reader = csv.reader(io.StringIO(tekst, newline=""), delimiter=sep, quotechar='"', doublequote=True, strict=False)
    try:
        rijen = list(reader)
    except csv.Error as e:
        if "field limit" in str(e):         # over csv.field_size_limit(), far over max_cell_chars
            raise _cel_te_lang(limieten, _te_lange_csv_cel(utf8, sep, limieten)) from None
        raise
    if rijen and max(map(len, rijen)) > limieten.max_cols:
        for i, ruwe in enumerate(rijen):
            if len(ruwe) > limieten.max_cols:
                if any(v.strip() for v in ruwe[limieten.max_cols:]):
                    raise Bestandsfout("file_corrupt")
                rijen[i] = ruwe[:limieten.max_cols]
    _trim_trailing(rijen)
    if not _has_content(rijen):
        raise Bestandsfout("file_empty")
    _check_rows(rijen, limieten)
    _pad(rijen)
    # Columns, not rows: the validator works per column and takes '' for empty, so the cells
    # need no clean-up pass here (Sheet.rijen makes it when someone asks for rows).
    return Sheet(soort="csv", naam=None, kolommen=_transponeer(rijen))


_LOSSE_CR = re.compile("\r(?!\n)")       # a line break of a lone CR (old Mac), not CRLF


def _csv_kolommen(tekst: str, utf8: bytes, sep: str, limieten: Limieten) -> tuple[list[list], int] | None:
    """The columns as polars' CSV reader gives them (Rust; '' or None for empty, every cell a
    text), when it reads the file as the csv module does: None for what polars refuses and the
    csv module reads leniently (rows of other widths, a stray quote) and for line breaks of a
    lone CR, which polars does not take for line breaks. The csv module reads those files."""
    if _LOSSE_CR.search(tekst):
        return None
    try:
        df = pl.read_csv(utf8, separator=sep, has_header=False, infer_schema=False, quote_char='"')
    except Exception:
        return None
    if df.width > limieten.max_cols:
        return None
    kolommen = [kolom.to_list() for kolom in df.get_columns()]
    _kolommen_afronden(kolommen, limieten)
    return kolommen, _langste_in_polars(df)


def _langste_in_polars(df: pl.DataFrame) -> int:
    """The longest text of a DataFrame's text columns (counted as Python's len counts)."""
    return max((kolom.str.len_chars().max() or 0 for kolom in df.get_columns() if kolom.dtype == pl.String),
               default=0)


def _te_lange_csv_cel(utf8: bytes, sep: str, limieten: Limieten) -> str | None:
    """Where the field lies that the csv module refused for its length (over its field limit):
    polars' reader has no such limit. None when polars cannot read the file either."""
    try:
        df = pl.read_csv(utf8, separator=sep, has_header=False, infer_schema=False,
                         truncate_ragged_lines=True, quote_char='"')
    except Exception:
        return None
    lengtes = df.select(pl.all().str.len_chars())
    for j, kolom in enumerate(lengtes.get_columns()):
        rijen = (kolom > limieten.max_cell_chars).arg_true()
        if len(rijen):
            return f"{kolomletter(j)}{rijen[0] + 1}"
    return None


def _detect_separator(tekst: str) -> str:
    # The title row decides: titles rarely hold a separator, data cells often hold commas.
    eerste = tekst.lstrip("\ufeff").split("\n", 1)[0]
    # Do not count separators inside quotes.
    eerste = re.sub(r'"[^"]*"', "", eerste)
    tellingen = {sep: eerste.count(sep) for sep in _SEPARATORS}
    beste = max(_SEPARATORS, key=lambda s: tellingen[s])
    return beste if tellingen[beste] > 0 else ";"


def _trim_trailing(rijen: list[list]) -> None:
    while rijen and not _row_has_content(rijen[-1]):
        rijen.pop()


def _row_has_content(rij) -> bool:
    for v in rij:
        if v is None:
            continue
        if isinstance(v, str) and not v.strip():
            continue
        return True
    return False


def _pad(rijen: list[list]) -> None:
    """Give every row the same length, so rij[j] is safe for every column j."""
    if not rijen:
        return
    breedtes = set(map(len, rijen))         # one pass (calamine's grid: one width)
    if len(breedtes) == 1:
        return
    breedte = max(breedtes)
    for rij in rijen:
        if len(rij) < breedte:
            rij.extend([None] * (breedte - len(rij)))


def _has_content(rijen) -> bool:
    return any(_row_has_content(r) for r in rijen)


def _check_rows(rijen: list[list], limieten: Limieten) -> None:
    if len(rijen) - 1 > limieten.max_rows:
        aantal = sum(1 for r in rijen[1:] if _row_has_content(r))
        if aantal > limieten.max_rows:
            raise Bestandsfout("too_many_rows", aantal=aantal, max=limieten.max_rows)


# ---------------------------------------------------------------------------
# OOXML (.xlsx)

_CT_ODS = b"application/vnd.oasis.opendocument.spreadsheet"
_STRICT = b"http://purl.oclc.org/ooxml/"
_SMALL_MEMBER = 1024 * 1024      # below this, a high compression ratio is harmless


class _Zip:
    """The members of an upload's zip, checked before anything is inflated."""

    def __init__(self, data: bytes, limieten: Limieten):
        self.data = data
        self.limieten = limieten
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, IndexError, KeyError):
            raise Bestandsfout("file_corrupt") from None
        if len(infos) > limieten.max_members:
            raise Bestandsfout("file_unsafe")
        seen = set()
        totaal = 0
        for info in infos:
            key = info.filename.replace("\\", "/").lower()
            if key in seen:
                raise Bestandsfout("file_unsafe")
            seen.add(key)
            if info.flag_bits & 0x1:
                raise Bestandsfout("file_unsafe")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise Bestandsfout("file_unsafe")
            if info.file_size < 0 or info.compress_size < 0:
                raise Bestandsfout("file_corrupt")
            totaal += info.file_size
            if info.file_size > _SMALL_MEMBER and info.file_size > limieten.max_ratio * max(info.compress_size, 1):
                raise Bestandsfout("file_unsafe")
            if info.header_offset + 30 + info.compress_size > len(data):
                raise Bestandsfout("file_corrupt")
        if totaal > limieten.max_unpacked_bytes:
            raise Bestandsfout("file_unsafe")
        self.zf = zf
        self.infos = {info.filename: info for info in infos}
        self.lower = {name.lower(): name for name in self.infos}

    def has(self, name: str) -> bool:
        return name.lower() in self.lower

    def info(self, name: str) -> zipfile.ZipInfo:
        return self.infos[self.lower[name.lower()]]

    def read(self, name: str) -> bytes:
        """One member, never inflated beyond its declared size, its CRC checked.

        zipfile finds the member's data (and checks its local header); the stream is asked
        for as stored, so that zlib, told the declared size, can tell a stream that holds more
        (a lying zip: zipfile itself would stop at the declared size and pass it).
        """
        info = self.info(name)
        size = info.file_size
        ruw = copy.copy(info)
        ruw.compress_type, ruw.file_size, ruw.CRC = zipfile.ZIP_STORED, info.compress_size, None
        try:
            with self.zf.open(ruw) as f:
                raw = f.read()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            raise Bestandsfout("file_corrupt") from None
        if len(raw) != info.compress_size:
            raise Bestandsfout("file_corrupt")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != size:
                raise Bestandsfout("file_unsafe")
            out = raw
        else:
            d = zlib.decompressobj(-15)
            try:
                out = d.decompress(raw, size + 1)
            except zlib.error:
                raise Bestandsfout("file_corrupt") from None
            if len(out) > size or (d.unconsumed_tail and not d.eof):
                # The stream inflates to more than the directory says: a lying zip.
                raise Bestandsfout("file_unsafe")
            if not d.eof:
                raise Bestandsfout("file_corrupt")      # truncated stream
            if len(out) != size:
                raise Bestandsfout("file_unsafe")
        if zlib.crc32(out) != info.CRC:
            raise Bestandsfout("file_corrupt")
        return out


_PROLOG = re.compile(rb"(?:\s|<\?.*?\?>|<!--.*?-->)*", re.S)


def _check_xml(xml: bytes) -> bytes:
    """Reject DTDs and entities (billion laughs, XXE, quadratic blow-up) in any XML member."""
    head = xml[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) == 4 and b"\x00" in head):
        try:
            text = xml.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise Bestandsfout("file_corrupt") from None
    else:
        text = xml
    if len(text) > _SMALL_MEMBER:
        # A DTD can only stand in the prolog, before the root element: look there only.
        m = _PROLOG.match(text)
        if text[m.end():m.end() + 2] == b"<!":
            raise Bestandsfout("file_unsafe")
    elif b"<!DOCTYPE" in text or b"<!ENTITY" in text or b"<!doctype" in text:
        raise Bestandsfout("file_unsafe")
    return text


def _parse_xml(xml: bytes):
    try:
        return SafeET.fromstring(xml)
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden,
            defusedxml.NotSupportedError):
        raise Bestandsfout("file_unsafe") from None
    except Exception:
        raise Bestandsfout("file_corrupt") from None


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_MARKER_RE = re.compile(
    rb'<(?:\w+:)?definedName\b[^>]*\bname="' + MARKER_NAAM.encode() + rb'"[^>]*>(.*?)</(?:\w+:)?definedName>', re.S)


def _read_ooxml(data: bytes, limieten: Limieten) -> Sheet:
    z = _Zip(data, limieten)
    if z.has("mimetype") and z.read("mimetype").strip().startswith(_CT_ODS):
        from .andere_bestanden import lees_ods  # .ods: issue 13; its XML inflated and checked here
        return lees_ods(data, {n: _check_xml(z.read(n)) for n in z.infos if n.lower().endswith(".xml")}, limieten)
    _check_pakket(z)
    xml_members = _xml_leden(z, limieten)
    workbook_xml = xml_members["xl/workbook.xml"]
    naam, sheet_xml = _choose_sheet(_bladen(workbook_xml, xml_members))
    prefix = _prefix(sheet_xml)
    _check_cellen(sheet_xml, prefix, limieten)          # first: a byte count bounds what follows
    rijtags = _check_dimensions(sheet_xml, prefix, limieten)
    formules = _formulecellen(sheet_xml, prefix)
    _check_formules_in_titels(formules)
    if rijtags is None:
        rijtags = _rijtags(sheet_xml, prefix, limieten)

    # Every member is checked and the sheet's extent is bounded: calamine may read it now.
    # (calamine applies the 1904 date system itself; checked in the tests.)
    gelezen = _fastexcel_kolommen(data, naam) if not formules and _gewoon(sheet_xml, prefix) else None
    rijen = langste = None
    if gelezen is not None:
        kolommen, langste = gelezen
        _kolommen_afronden(kolommen, limieten)
    else:
        rijen = _calamine(data, naam)
        if formules or _FOUTCEL.search(sheet_xml):
            # Cells calamine does not tell apart: rows with None and ints, the overlays put in.
            rijen = _normalise(rijen)
            _overlay_errors(rijen, sheet_xml, prefix)
            _overlay_formulas(rijen, formules)
        _trim_trailing(rijen)
        if not _has_content(rijen):
            raise Bestandsfout("file_empty")
        _check_rows(rijen, limieten)
        _pad(rijen)
        # The validator reads columns and takes '' and 5.0 as calamine gives them; Sheet.rijen
        # cleans them up when someone asks for rows.
        kolommen, rijen = _transponeer(rijen), None
    return Sheet(soort="xlsx", naam=naam, kolommen=kolommen, merged=_merged(sheet_xml, prefix),
                 hidden_rows=_hidden_rows(rijtags, prefix), marker=_marker(workbook_xml), langste=langste)


def _check_pakket(z: _Zip) -> None:
    """The package is a plain .xlsx: not another OpenDocument, a .docx, .pptx, .xlsb, Strict or with macros."""
    if z.has("mimetype"):  # an OpenDocument other than a spreadsheet (.ods is read above)
        raise Bestandsfout("file_type_unsupported")
    if z.has("word/document.xml"):
        raise Bestandsfout("file_type_unsupported", soort="docx")
    if z.has("ppt/presentation.xml"):
        raise Bestandsfout("file_type_unsupported", soort="pptx")
    if not z.has("[Content_Types].xml"):
        raise Bestandsfout("file_type_unsupported")
    content_types = _check_xml(z.read("[Content_Types].xml"))
    if (b"macroEnabled" in content_types or b"vbaProject" in content_types
            or any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in z.lower)):
        raise Bestandsfout("file_macros")
    if z.has("xl/workbook.bin") or b"sheet.binary" in content_types:
        raise Bestandsfout("file_type_unsupported", soort="xlsb")
    if _STRICT in content_types:
        raise Bestandsfout("file_strict_ooxml")
    if not z.has("xl/workbook.xml"):
        raise Bestandsfout("file_corrupt")


def _xml_leden(z: _Zip, limieten: Limieten) -> dict[str, bytes]:
    """Every XML member calamine may read, inflated (bounded, CRC-checked) and checked for DTDs;
    → the sheets and the workbook's own members, by lower-case name."""
    xml_members = {}
    for name in z.infos:
        low = name.lower()
        if low.startswith("xl/worksheets/") and z.info(name).file_size > limieten.max_sheet_bytes:
            # Refused before it is inflated: the work of a check is bounded by the sheet's size.
            raise _te_veel_cellen(limieten)
        if low.endswith((".xml", ".rels", ".vml")):
            xml = _check_xml(z.read(name))
            if _STRICT in xml[:4000] and low.startswith("xl/"):
                raise Bestandsfout("file_strict_ooxml")
            if low.startswith("xl/worksheets/") or low in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                xml_members[low] = xml
    return xml_members


def _bladen(workbook_xml: bytes, xml_members: dict[str, bytes]) -> list[tuple[str, bytes, bool]]:
    """(naam, sheet XML, zichtbaar) of every worksheet the workbook lists."""
    wb = _parse_xml(workbook_xml)
    if _STRICT.decode() in wb.tag:
        raise Bestandsfout("file_strict_ooxml")
    rels = {}
    if "xl/_rels/workbook.xml.rels" in xml_members:
        for rel in _parse_xml(xml_members["xl/_rels/workbook.xml.rels"]):
            if rel.get("Type") == _WORKSHEET_REL:
                rels[rel.get("Id")] = rel.get("Target") or ""
    bladen = []
    sheets_el = wb.find(f"{_NS_MAIN}sheets")
    for el in (sheets_el if sheets_el is not None else []):
        naam, target = el.get("name"), rels.get(el.get(f"{_NS_R}id"))
        if naam is None or target is None:
            continue      # a chart sheet or a dangling entry: no cells to read
        xml = xml_members.get(_resolve(target).lower())
        if xml is None:
            raise Bestandsfout("file_corrupt")
        bladen.append((naam, xml, el.get("state", "visible") == "visible"))
    if not bladen:
        raise Bestandsfout("file_corrupt")
    return bladen


def _kolommen_afronden(kolommen: list[list], limieten: Limieten) -> None:
    """Columns read by polars or fastexcel: trailing empty rows dropped, the row limit checked."""
    _trim_trailing_kolommen(kolommen)
    if not kolommen or not any(map(_row_has_content, kolommen)):
        raise Bestandsfout("file_empty")
    if len(kolommen[0]) - 1 > limieten.max_rows:
        _check_rows(list(map(list, zip(*kolommen))), limieten)


def _te_veel_cellen(limieten: Limieten) -> Bestandsfout:
    return Bestandsfout("file_too_large", soort="te_veel_cellen", max_cellen=_getal(limieten.max_cells),
                        max_rijen=_getal(limieten.max_rows))


def _getal(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _check_cellen(xml: bytes, p: bytes, limieten: Limieten) -> None:
    """At most max_cells cells: a sheet of 42,000 rows × 200 numbers passes every zip check, but
    checking it would cost gigabytes. Counting the cell tags is a byte count, no parse."""
    cellen = xml.count(b"<" + p + b"c ") + xml.count(b"<" + p + b"c>")
    if cellen > limieten.max_cells:
        raise _te_veel_cellen(limieten)


_MAX_GENOEMD = 5


def _formulecellen(xml: bytes, p: bytes) -> list[str]:
    """The references of the cells that hold a formula, cached value or not."""
    ep = re.escape(p)
    if not re.search(rb"<" + ep + rb"f[\s>/]", xml):
        return []
    cel = re.compile(rb"<" + ep + rb"c\b([^>]*)>(?:(?!</" + ep + rb"c>).)*?<" + ep + rb"f[\s>/]", re.S)
    refs = []
    for m in cel.finditer(xml):
        ref = _REF.search(m.group(1))
        refs.append((ref.group(1) + ref.group(2)).decode("ascii") if ref else "?")
    return refs


def _check_formules_in_titels(refs: list[str]) -> None:
    """A formula among the titles has no cell of its own to be named in: refuse the file."""
    in_titels = [r for r in refs if r == "?" or re.fullmatch(r"[A-Z]+1", r)]
    if not in_titels:
        return
    genoemd = ", ".join(in_titels[:_MAX_GENOEMD])
    if len(in_titels) > _MAX_GENOEMD:
        genoemd += f" en nog {len(in_titels) - _MAX_GENOEMD} andere"
    raise Bestandsfout("formula_without_value", soort="formule_titel", cellen=genoemd, aantal=len(in_titels))


def _overlay_formulas(rijen: list[list], refs: list[str]) -> None:
    """Every formula cell becomes FORMULE_ZONDER_WAARDE, cached value or not: the check names it
    (formula_without_value) and the list is not accepted, so a formula such as HYPERLINK(…&B2)
    never reaches the helpdesk's Excel with the original file."""
    for ref in refs:
        m = re.fullmatch(r"([A-Z]+)([0-9]+)", ref)
        _put(rijen, (int(m.group(2)) - 1, kolomindex(m.group(1))), FORMULE_ZONDER_WAARDE)


def _gewoon(xml: bytes, p: bytes) -> bool:
    """Can fastexcel's columns stand for the sheet as it is? They start at the first row and
    column that hold a value, so the sheet must have a value in row 1 and one in column A; and
    it must hold no error values (which come from the XML, cell by cell, below)."""
    ep = re.escape(p)
    waarde = rb'"[^>]*>\s*<' + ep + rb"(?:v|is)\b"
    eerste = re.search(rb"<" + ep + rb'c r="[A-Z]+([0-9]+)' + waarde, xml)
    return (eerste is not None and eerste.group(1) == b"1"
            and re.search(rb"<" + ep + rb'c r="A[0-9]+' + waarde, xml) is not None
            and _FOUTCEL.search(xml) is None)


def _fastexcel_kolommen(data: bytes, naam: str) -> tuple[list[list], int] | None:
    """The sheet as columns (title first), from fastexcel's Arrow columns; None when a column
    holds more than one type (text and numbers, say): fastexcel would turn them all into text,
    and the validator must see each cell as typed (python-calamine reads those sheets)."""
    try:
        blad = fastexcel.read_excel(data).load_sheet(naam, header_row=0, schema_sample_rows=None,
                                                     dtype_coercion="strict")
        df = pl.DataFrame(blad)
        titels = _titels(blad.available_columns())
    except fastexcel.UnsupportedColumnTypeCombinationError:
        return None
    except Exception:
        raise Bestandsfout("file_corrupt") from None
    kolommen = [[titel] + _python_waarden(kolom) for titel, kolom in zip(titels, df.get_columns())]
    return kolommen, max([_langste_in_polars(df)] + [len(t) for t in titels if t])


def _titels(kolommen) -> list:
    """The title row as in the sheet: fastexcel names an untitled column itself and gives a
    repeated title a suffix (BSN, BSN_1); both are undone."""
    titels, gezien = [], set()
    for kolom in kolommen:
        titel = kolom.name if str(kolom.column_name_from) == "looked_up" else None
        if titel is not None:
            m = re.fullmatch(r"(.*)_[0-9]+", titel, re.S)
            if m and m.group(1) in gezien:
                titel = m.group(1)
            gezien.add(titel)
        titels.append(titel)
    return titels


_NUL_DAG = dt.date(1900, 1, 1)


def _python_waarden(kolom: pl.Series) -> list:
    """A column's values as python-calamine gives them: a moment at midnight is a date, one
    before 1900 (a time of day only) a time."""
    waarden = kolom.to_list()
    if kolom.dtype == pl.Datetime:
        omzetting = {}
        for w in set(waarden):
            if w is None:
                continue
            if w.date() < _NUL_DAG:
                omzetting[w] = w.time()
            elif not (w.hour or w.minute or w.second or w.microsecond):
                omzetting[w] = w.date()
        waarden = [omzetting.get(w, w) for w in waarden]
    return waarden


def _trim_trailing_kolommen(kolommen: list[list]) -> None:
    while kolommen and kolommen[0] and not _row_has_content([k[-1] for k in kolommen]):
        for k in kolommen:
            k.pop()


def _calamine(data: bytes, naam: str) -> list[list]:
    """python-calamine's values of sheet `naam` (the grid as read: '' for empty, floats for numbers)."""
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return wb.get_sheet_by_name(naam).to_python(skip_empty_area=False)
    except BaseException as exc:  # calamine raises its own types, and Rust panics surface as PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise Bestandsfout("file_corrupt") from None


def _resolve(target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    parts = ["xl"]
    for p in target.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return "/".join(parts)


def _prefix(xml: bytes) -> bytes:
    """The namespace prefix of the sheet's elements ('' or e.g. 'x:'), found once."""
    m = re.search(rb"<(\w+:)?worksheet\b", xml[:5000])
    return (m.group(1) or b"") if m else b""


def _sheet_has_content(xml: bytes) -> bool:
    return re.search(rb"<(?:\w+:)?(?:v|t|f)\b[^>]*>[^<]", xml) is not None


def _choose_sheet(bladen):
    for naam, xml, _ in bladen:
        if naam == "Leerlingen":
            return naam, xml
    for naam, xml, _ in bladen:
        if naam.strip().lower() == "leerlingen":
            return naam, xml
    gevuld = [(naam, xml, zichtbaar) for naam, xml, zichtbaar in bladen if _sheet_has_content(xml)]
    if not gevuld:
        raise Bestandsfout("file_empty")
    if len(gevuld) > 1:
        zichtbaar = [b for b in gevuld if b[2]]
        if len(zichtbaar) == 1:
            return zichtbaar[0][0], zichtbaar[0][1]
        raise Bestandsfout("multiple_sheets", bladen=", ".join(b[0] for b in (zichtbaar or gevuld)))
    return gevuld[0][0], gevuld[0][1]


def _rijtags(xml: bytes, p: bytes, limieten: Limieten) -> bytes:
    """The start tags of the rows, joined (what _hidden_rows needs: a second pass over the sheet
    saved); too_many_rows when more rows than allowed hold cells."""
    ep = re.escape(p)
    rijtags = b"".join(re.findall(rb"<" + ep + rb"row\b[^>]*>", xml))
    if rijtags.count(b"<") > limieten.max_rows + 1:
        # Rows with content decide (formatted empty rows do not count).
        aantal = len(re.findall(rb"<" + ep + rb"row\b[^>]*[^/]>\s*<" + ep + rb"c\b", xml)) - 1
        if aantal > limieten.max_rows:
            raise Bestandsfout("too_many_rows", aantal=aantal, max=limieten.max_rows)
    return rijtags


def _check_dimensions(xml: bytes, p: bytes, limieten: Limieten) -> bytes | None:
    """Find the real extent of the sheet from the cell references, before calamine builds
    its dense grid: a single cell at XFD1048576 must not allocate a million rows.
    Only byte counts and regular expressions: this runs on every upload. Returns the row tags
    (_rijtags) when it needed them, else None: the usual sheet is settled by one search, and its
    row tags are collected while calamine reads."""
    ep = re.escape(p)
    # The row limit: the next power of ten above the allowed rows (a margin for blank rows);
    # a reference with more digits than that is caught by the pattern below.
    digits = len(str(limieten.max_rows + 1))
    row_limit = 10 ** digits - 1
    # The usual sheet: every row and cell starts with r="…" of at most one column letter and at
    # most `digits` digits, so nothing lies beyond column Z or row row_limit. One search proves
    # it; only a sheet where it finds something gets the exact count below.
    if limieten.max_cols > 26 and _celrefs_gewoon(xml, p, digits):
        return None
    # Something unusual: the row count decides first (too_many_rows rather than file_corrupt for
    # a list that is simply too long), then the exact extent.
    rijtags = _rijtags(xml, p, limieten)
    row_nrs = re.findall(rb'\sr="(\d+)"', rijtags)
    max_row = max(map(int, row_nrs)) if row_nrs else 0
    max_col = 0
    verre = None        # the first cell beyond the limits, to name in the message
    # Only references with two or more column letters, or long row numbers, need a look.
    for letters, nr in re.findall(rb' r="([A-Z]{2,}|[A-Z](?=[0-9]{%d}))([0-9]+)"' % (digits + 1), xml):
        col = kolomindex(letters)
        if col > max_col:
            max_col = col
        row = int(nr)
        if row > max_row:
            max_row = row
        if verre is None and (row > row_limit or col >= limieten.max_cols):
            verre = (letters + nr).decode("ascii")
    if verre is not None:
        # A stray cell far from the list (Excel opens such a file without complaint): say where.
        raise Bestandsfout("file_corrupt", soort="verre_cel", cel=verre,
                           max_kolom=kolomletter(limieten.max_cols - 1), max_rij=_getal(row_limit))
    if max_row > row_limit or max_col >= limieten.max_cols:
        raise Bestandsfout("file_corrupt")
    # Cells without an r attribute take the next free position: bound them by the widest row.
    # One pass finds any cell or row whose first attribute is not r (rare; then count exactly).
    if re.search(rb"<" + ep + rb'(?:c|row)(?! r=")[\s>/]', xml):
        n_row_tags = len(re.findall(rb"<" + ep + rb"row[\s>/]", xml))
        widest = 0
        for rij in re.split(rb"<" + ep + rb"row\b", xml):
            n = rij.count(b"<" + p + b"c ") + rij.count(b"<" + p + b"c>") + rij.count(b"<" + p + b"c/>")
            if n > widest:
                widest = n
        max_col = max(max_col, widest)
        max_row = max(max_row, n_row_tags)
        if max_row > row_limit or max_col >= limieten.max_cols:
            raise Bestandsfout("file_corrupt")
    return rijtags


def _transponeer(rijen: list[list]) -> list[list]:
    """Rows of one width → columns."""
    return list(map(list, zip(*rijen)))


def _celrefs_gewoon(xml: bytes, p: bytes, digits: int) -> bool:
    """True when every cell and row tag starts with r="…" of at most one column letter and
    1..digits digits: nothing lies beyond column Z or row 10**digits - 1."""
    return not re.search(rb"<" + re.escape(p) + rb'(?:c|row)(?! r="[A-Z]?[0-9]{1,%d}")[\s>/]' % digits, xml)


def _normalise(waarden) -> list[list]:
    """calamine's (or the csv module's) rows → lists with None for empty, whole floats → int."""
    _float = float
    rijen = [
        [(v if v != "" else None) if v.__class__ is not _float else (int(v) if v.is_integer() else v) for v in rij]
        for rij in waarden
    ]
    return rijen


_FOUTCEL = re.compile(rb't="e"')


_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')


def _cell_pos(tag: bytes):
    m = _REF.search(tag)
    if not m:
        return None
    return int(m.group(2)) - 1, kolomindex(m.group(1))


def _put(rijen: list[list], pos, waarde) -> None:
    r, c = pos
    if r < 0 or c < 0:
        return
    while len(rijen) <= r:
        rijen.append([None] * (len(rijen[0]) if rijen else 0))
    rij = rijen[r]
    if len(rij) <= c:
        rij.extend([None] * (c + 1 - len(rij)))
    rijen[r][c] = waarde


def _overlay_errors(rijen, xml: bytes, p: bytes) -> None:
    if b't="e"' not in xml:
        return
    ep = re.escape(p)
    pat = re.compile(rb"<" + ep + rb'c\b([^>]*\bt="e"[^>]*)>(.*?)</' + ep + rb"c>", re.S)
    for m in pat.finditer(xml):
        pos = _cell_pos(m.group(1))
        if pos is None:
            continue
        v = re.search(rb"<" + ep + rb"v>([^<]*)</" + ep + rb"v>", m.group(2))
        tekst = html.unescape(v.group(1).decode("utf-8", "replace")) if v else "#N/A"
        _put(rijen, pos, Foutwaarde(tekst or "#N/A"))


def _merged(xml: bytes, p: bytes) -> list[str]:
    # mergeCells follow sheetData: only the tail needs a look.
    eind = xml.rfind(b"sheetData>")
    staart = xml[eind:] if eind >= 0 else xml
    if b"mergeCell" not in staart:
        return []
    return [m.decode("ascii").replace("$", "") for m in
            re.findall(rb"<" + re.escape(p) + rb'mergeCell\b[^>]*\bref="([A-Z0-9:$]+)"', staart)]


def _hidden_rows(xml: bytes, p: bytes) -> set[int]:
    """The numbers of the hidden rows; `xml` may be the sheet or just its row tags."""
    if b"hidden=" not in xml:
        return set()
    rows = set()
    for tag in re.findall(rb"<" + re.escape(p) + rb'row\b[^>]*\bhidden="(?:1|true)"[^>]*>', xml):
        m = re.search(rb'\sr="(\d+)"', tag)
        if m:
            rows.add(int(m.group(1)))
    return rows


def _marker(workbook_xml: bytes) -> tuple[str, int] | None:
    m = _MARKER_RE.search(workbook_xml)
    if not m:
        return None
    waarde = html.unescape(m.group(1).decode("utf-8", "replace")).strip().strip('"').strip()
    naam, _, versie = waarde.rpartition(";")
    try:
        return naam.strip(), int(versie.strip())
    except ValueError:
        return None
