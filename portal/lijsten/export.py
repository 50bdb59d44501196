"""Students → an .xlsx in the layout of a format, that the file check reads back unchanged.

Written with openpyxl's write-only mode, so an export of many students streams row by row instead
of holding a worksheet of cell objects in memory. The columns, their order and their formats come
from the schema (formats.py) and the template's marker is set, so the export is recognised as the
format it is. Text that starts with = + - @ is stored as text with a quote prefix: a name like
"=HYPERLINK(…)" typed into the portal can never run as a formula in the downloaded file.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Iterable, Mapping

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName

from .formats import Format, telefoon_tonen
from .ooxml import schema_volgorde
from .reader import MARKER_NAAM

schema_volgorde()

__all__ = ["export_xlsx", "celwaarde"]

_FORMULE_BEGIN = ("=", "+", "-", "@")
_TEKST = "@"
_DATUM = "dd-mm-yyyy"


def celwaarde(kolom, waarde):
    """A stored value as the user expects to see it in the file (phone numbers nationally, codes and
    numbers as typed). None and '' become an empty cell."""
    if waarde is None or waarde == "":
        return None
    if kolom.veld == "telefoonnummer" and isinstance(waarde, str):
        return telefoon_tonen(waarde)
    if isinstance(waarde, dt.datetime):
        return waarde.date()
    return waarde


def _cel(ws, kolom, waarde):
    cel = WriteOnlyCell(ws, value=waarde)
    if isinstance(waarde, str):
        if waarde.startswith(_FORMULE_BEGIN):
            cel.data_type = "s"
            cel.quotePrefix = True
        if kolom.als_tekst_opmaken:
            cel.number_format = _TEKST
    elif isinstance(waarde, dt.date):
        cel.number_format = _DATUM
    return cel


def export_xlsx(fmt: Format, leerlingen: Iterable[Mapping], *, blad: str = "Leerlingen") -> bytes:
    """`leerlingen`: mappings (or objects with attributes) keyed by the formats' `veld` names."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(blad)
    ws.freeze_panes = "A2"
    for j, kolom in enumerate(fmt.kolommen):
        ws.column_dimensions[_letter(j)].width = max(len(kolom.titel), len(kolom.voorbeeld or "")) + 4
    kop = []
    for kolom in fmt.kolommen:
        cel = WriteOnlyCell(ws, value=kolom.titel)
        cel.font = Font(bold=True)
        kop.append(cel)
    ws.append(kop)
    for leerling in leerlingen:
        lees = leerling.get if isinstance(leerling, Mapping) else (lambda veld, _l=leerling: getattr(_l, veld, None))
        ws.append([_cel(ws, k, celwaarde(k, lees(k.veld))) for k in fmt.kolommen])
    wb.defined_names[MARKER_NAAM] = DefinedName(MARKER_NAAM, attr_text=f'"{fmt.naam};{fmt.versie}"')
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _letter(j: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(j + 1)
