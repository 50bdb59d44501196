"""The other spreadsheet types a school has: .xls (Excel 97-2003) and .ods (LibreOffice, OpenOffice).

Both end in the same `Sheet` as an .xlsx, with the same limits (bytes, rows, columns, cell length),
and every way they can fail is a `Bestandsfout` of the catalog. The reader's entry point
(reader.read_sheet) decides the type by content and hands these files here.

- .ods is a zip like .xlsx: the reader has checked its directory (members, sizes, ratio) and
  inflated every XML member through its bounded decompressor before we get them. We bound the
  sheet's extent from content.xml's repeat counts (a cell repeated 16,384 times in a row repeated a
  million times is four bytes of XML), then python-calamine reads the values.
- .xls is read by xlrd, not calamine: calamine builds every sheet of an .xls as a dense grid when
  it opens the file, before its size can be asked (two cells at A1 and IV65536: 1 GB and 3.5 s,
  measured). xlrd keeps only the cells that exist, so the extent is known and checked before we
  build the grid. It is pure Python (no native code of ours), and reads BIFF5/BIFF8 as Excel wrote it.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import python_calamine
import xlrd

from .reader import Bestandsfout, Foutwaarde, Limieten, Sheet, kolomletter

__all__ = ["lees_xls", "lees_ods"]

DATABLAD = "Leerlingen"


def _rijgrens(limieten: Limieten) -> int:
    # The same margin the .xlsx path allows for blank rows: the next power of ten above the limit.
    return 10 ** len(str(limieten.max_rows + 1)) - 1


def _kies_blad(bladen):
    """bladen: (naam, heeft_inhoud, zichtbaar). The data sheet, as the .xlsx path chooses it."""
    for naam, _, _ in bladen:
        if naam == DATABLAD:
            return naam
    for naam, _, _ in bladen:
        if naam.strip().lower() == DATABLAD.lower():
            return naam
    gevuld = [b for b in bladen if b[1]]
    if not gevuld:
        raise Bestandsfout("file_empty")
    if len(gevuld) > 1:
        zichtbaar = [b for b in gevuld if b[2]]
        if len(zichtbaar) == 1:
            return zichtbaar[0][0]
        raise Bestandsfout("multiple_sheets", bladen=", ".join(b[0] for b in (zichtbaar or gevuld)))
    return gevuld[0][0]


def _heeft_inhoud(rij) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip()) for v in rij)


def _sheet(soort: str, naam: str, rijen: list[list], limieten: Limieten, *, merged=None,
           hidden_rows=None) -> Sheet:
    """Rows as read ('' for empty) → a Sheet, with the row limit of the .xlsx path."""
    while rijen and not _heeft_inhoud(rijen[-1]):
        rijen.pop()
    if not rijen:
        raise Bestandsfout("file_empty")
    if len(rijen) - 1 > limieten.max_rows:
        aantal = sum(1 for r in rijen[1:] if _heeft_inhoud(r))
        if aantal > limieten.max_rows:
            raise Bestandsfout("too_many_rows", aantal=aantal, max=limieten.max_rows)
    breedte = max(map(len, rijen))
    for rij in rijen:
        if len(rij) < breedte:
            rij.extend([""] * (breedte - len(rij)))
    kolommen = [tuple(k) for k in zip(*rijen)]
    return Sheet(soort=soort, naam=naam, kolommen=kolommen, merged=merged, hidden_rows=hidden_rows)


# ---------------------------------------------------------------------------------------------
# .xls
# ---------------------------------------------------------------------------------------------
def _xls_waarde(cel, datemode):
    t = cel.ctype
    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if t == xlrd.XL_CELL_DATE:
        try:
            d = xlrd.xldate.xldate_as_datetime(cel.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cel.value
        return d.date() if d.time() == dt.time() else d
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(cel.value)
    if t == xlrd.XL_CELL_ERROR:
        return Foutwaarde(xlrd.error_text_from_code.get(cel.value, "#N/A"))
    return cel.value            # str, or float for a number (as calamine gives it for .xlsx)


def lees_xls(data: bytes, limieten: Limieten = Limieten()) -> Sheet:
    """An Excel 97-2003 workbook (BIFF in an OLE2 container) → its data sheet."""
    try:
        # formatting_info: hidden rows and merged ranges, which the check reports as for .xlsx.
        boek = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=True, logfile=io.StringIO())
    except xlrd.biffh.XLRDError as e:
        if "encrypt" in str(e).lower():
            raise Bestandsfout("file_encrypted") from None
        raise Bestandsfout("file_type_xls") from None    # a damaged or unusual .xls: the spec's code
    except (MemoryError, RecursionError):
        raise
    except Exception:
        raise Bestandsfout("file_type_xls") from None
    try:
        bladen = []
        for i, naam in enumerate(boek.sheet_names()):
            blad = boek.sheet_by_index(i)
            # xlrd holds only the cells that exist; nrows/ncols is the real extent.
            if blad.ncols > limieten.max_cols or blad.nrows > _rijgrens(limieten):
                raise Bestandsfout("file_corrupt")
            bladen.append((naam, blad.nrows > 0 and blad.ncols > 0, blad.visibility == 0))
            boek.unload_sheet(i)
        naam = _kies_blad(bladen)
        blad = boek.sheet_by_name(naam)
        rijen = [[_xls_waarde(c, boek.datemode) for c in blad.row(i)] for i in range(blad.nrows)]
        verborgen = {r + 1 for r, info in blad.rowinfo_map.items() if info.hidden}
        samengevoegd = [f"{kolomletter(c0)}{r0 + 1}:{kolomletter(c1 - 1)}{r1}"
                        for r0, r1, c0, c1 in blad.merged_cells if (r1 - r0, c1 - c0) != (1, 1)]
    except Bestandsfout:
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception:
        raise Bestandsfout("file_type_xls") from None
    finally:
        boek.release_resources()
    return _sheet("xls", naam, rijen, limieten, merged=samengevoegd, hidden_rows=verborgen)


# ---------------------------------------------------------------------------------------------
# .ods
# ---------------------------------------------------------------------------------------------
_TABEL = re.compile(rb"<table:table\s[^>]*?table:name=\"([^\"]*)\"")
_HERHAALD_RIJEN = re.compile(rb'table:number-rows-repeated="(\d{1,9})"')
_HERHAALD_KOLOMMEN = re.compile(rb'table:number-columns-repeated="(\d{1,9})"')
_VERBORGEN = re.compile(rb'table:visibility="(?:collapse|filter)"')


def _omvang_ods(inhoud: bytes, limieten: Limieten) -> dict[str, set[int] | None]:
    """The extent calamine will build for each table, from the repeat counts in content.xml, before
    calamine reads it. Raises file_corrupt beyond the limits (as an .xlsx whose extent is). Returns
    per table its hidden rows with content (row numbers), or None for a table without content.
    Only counts and regular expressions over the bytes, as for .xlsx."""
    if re.search(rb"<!DOCTYPE|<!ENTITY", inhoud[:4096]):
        raise Bestandsfout("file_unsafe")
    rijgrens = _rijgrens(limieten)
    tabellen: dict[str, set[int] | None] = {}
    starts = [(m.start(), m.group(1).decode("utf-8", "replace")) for m in _TABEL.finditer(inhoud)]
    for n, (begin, naam) in enumerate(starts):
        einde = starts[n + 1][0] if n + 1 < len(starts) else len(inhoud)
        rij_nr, laatste_rij, breedste, verborgen = 0, 0, 0, set()
        # Split at the row tags (bytes.split: one C pass; a lazy regex per row took 1.5 s on the
        # 113 MB content.xml of a 50,000-row list).
        for stuk in inhoud[begin:einde].split(b"<table:table-row")[1:]:
            if stuk[:1] not in b" \t\r\n>/":
                continue                     # <table:table-rows>, a group of rows: not a row
            einde_tag = stuk.find(b">")
            herhaald = _HERHAALD_RIJEN.search(stuk, 0, einde_tag)
            keer = int(herhaald.group(1)) if herhaald else 1
            rij_nr += keer
            cellen = stuk[einde_tag + 1:stuk.find(b"</table:table-row>")] if stuk[einde_tag - 1:einde_tag] != b"/" else b""
            # The width up to the end of the row's last cell with content: its cells, plus what
            # the repeated ones among them add. Only counts and searches (C speed) per row.
            laatste = max(cellen.rfind(b"office:value-type="), cellen.rfind(b"<text:"))
            if laatste < 0:
                continue
            voor = cellen[:laatste]
            breed = voor.count(b"<table:table-cell") + voor.count(b"<table:covered-table-cell")
            breed += sum(int(n) - 1 for n in _HERHAALD_KOLOMMEN.findall(voor))
            if _HERHAALD_KOLOMMEN.search(cellen, laatste, cellen.find(b">", laatste) + 1 or len(cellen)):
                breed += int(_HERHAALD_KOLOMMEN.search(cellen, laatste).group(1)) - 1   # the content cell itself repeated
            laatste_rij, breedste = rij_nr, max(breedste, breed)
            if _VERBORGEN.search(stuk, 0, einde_tag):
                verborgen.update(range(rij_nr - keer + 1, rij_nr + 1))
            if laatste_rij > rijgrens or breedste > limieten.max_cols:
                raise Bestandsfout("file_corrupt")
        tabellen[naam] = verborgen if laatste_rij > 0 else None
    if not tabellen:
        raise Bestandsfout("file_empty")
    return tabellen


def lees_ods(data: bytes, xml_leden: dict[str, bytes], limieten: Limieten = Limieten()) -> Sheet:
    """An OpenDocument spreadsheet → its data sheet. `xml_leden`: its XML members, already inflated
    and checked by the reader (bounded, no DTD), by name."""
    inhoud = xml_leden.get("content.xml")
    if inhoud is None:
        raise Bestandsfout("file_corrupt")
    tabellen = _omvang_ods(inhoud, limieten)
    naam = _kies_blad([(n, verborgen is not None, True) for n, verborgen in tabellen.items()])
    try:
        boek = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rijen = boek.get_sheet_by_name(naam).to_python(skip_empty_area=False)
    except BaseException as exc:  # calamine's own errors, and Rust panics as PanicException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise Bestandsfout("file_corrupt") from None
    rijen = [list(r) for r in rijen]
    return _sheet("ods", naam, rijen, limieten, hidden_rows=tabellen[naam] or set())
