"""The workbooks the application writes: the template of a format (step 3) and the user's own
list annotated with its findings. Both come from the schema (formats.py) and the catalog; no
column title is spelled here."""
from __future__ import annotations

import datetime
import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from .formats import Format
from .ooxml import schema_volgorde
from .reader import (MARKER_NAAM, Bestandsfout, FormuleZonderWaarde, Foutwaarde, kolomindex,
                     read_sheet)

schema_volgorde()

__all__ = ["template", "annotated", "TEMPLATE_RIJEN"]

TEMPLATE_RIJEN = 1000          # rows that get the Text and date formats in the template
_TEKST = "@"
_DATUM = "dd-mm-yyyy"          # Excel shows this as dd-mm-jjjj in a Dutch locale
_BOLD = Font(bold=True)
_ROOD = PatternFill("solid", fgColor="FFC7CE")
_GEEL = PatternFill("solid", fgColor="FFEB9C")
_FORMULE_BEGIN = ("=", "+", "-", "@")


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _toegestaan(kolom) -> str:
    if not kolom.waarden:
        return ""
    tekst = ", ".join(str(w) for w in kolom.waarden)
    if kolom.aliassen:
        tekst += " (ook goed: " + ", ".join(f"{a} = {c}" for a, c in kolom.aliassen) + ")"
    return tekst


def template(fmt: Format) -> bytes:
    """The Excel format of `fmt` (formats.md §5)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Leerlingen"
    for j, kolom in enumerate(fmt.kolommen, start=1):
        letter = get_column_letter(j)
        cel = ws.cell(row=1, column=j, value=kolom.titel)
        cel.font = _BOLD
        regel = ("Verplicht. " if kolom.verplicht else "Niet verplicht. ") + (kolom.uitleg or "")
        if kolom.voorbeeld:
            regel += f"\nVoorbeeld: {kolom.voorbeeld}"
        cel.comment = Comment(regel.strip(), "Leerlinglijst", width=300, height=140)
        ws.column_dimensions[letter].width = max(len(kolom.titel), len(str(kolom.voorbeeld or ""))) + 4
        opmaak = _TEKST if kolom.als_tekst_opmaken else _DATUM if kolom.soort == "datum" else None
        if opmaak:
            # The column style covers rows past the range; the cells make Excel and LibreOffice agree.
            ws.column_dimensions[letter].number_format = opmaak
            for r in range(2, TEMPLATE_RIJEN + 2):
                ws.cell(row=r, column=j).number_format = opmaak
        if kolom.waarden:
            lijst = ",".join(str(w) for w in kolom.waarden)
            formule = f'"{lijst}"'
            if len(formule) <= 255:                       # Excel's limit for an inline list
                dv = DataValidation(type="list", formula1=formule, allow_blank=True, showDropDown=False,
                                    showErrorMessage=True, errorStyle="warning",
                                    errorTitle=kolom.titel, error=f"Kies uit: {', '.join(map(str, kolom.waarden))}",
                                    showInputMessage=False)
                dv.add(f"{letter}2:{letter}{TEMPLATE_RIJEN + 1}")
                ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    uitleg = wb.create_sheet("Toelichting")
    uitleg.append(["Kolomtitel", "Verplicht", "Uitleg", "Toegestane waarden", "Voorbeeld"])
    for cel in uitleg[1]:
        cel.font = _BOLD
    for kolom in fmt.kolommen:
        uitleg.append([kolom.titel, "ja" if kolom.verplicht else "nee", kolom.uitleg or "",
                       _toegestaan(kolom), str(kolom.voorbeeld or "")])
    for rij in uitleg.iter_rows(min_row=2):
        for cel in rij:
            cel.number_format = _TEKST          # '03-05-2010' stays text
            cel.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, breedte in zip("ABCDE", (26, 10, 70, 40, 22)):
        uitleg.column_dimensions[letter].width = breedte
    uitleg.freeze_panes = "A2"

    wb.defined_names[MARKER_NAAM] = DefinedName(MARKER_NAAM, attr_text=f'"{fmt.naam};{fmt.versie}"')
    wb.active = 0
    return _save(wb)


# ---------------------------------------------------------------------------

def _zet(cel, waarde) -> None:
    """Write a value the way the user typed it, never as a formula."""
    if waarde is None or isinstance(waarde, FormuleZonderWaarde):
        return
    if isinstance(waarde, Foutwaarde):
        waarde = waarde.tekst
    if isinstance(waarde, str):
        cel.value = waarde
        if waarde.startswith(_FORMULE_BEGIN):
            cel.data_type = "s"
            cel.quotePrefix = True
        return
    cel.value = waarde
    if isinstance(waarde, datetime.datetime):
        cel.number_format = "dd-mm-yyyy hh:mm"
    elif isinstance(waarde, datetime.date):
        cel.number_format = _DATUM


def _kolom_van(bevinding, titels: dict[str, int]) -> int | None:
    letter = getattr(bevinding, "letter", None)
    if letter:
        try:
            return kolomindex(letter) + 1
        except Exception:
            return None
    kolom = getattr(bevinding, "kolom", None)
    if kolom and kolom in titels:
        return titels[kolom] + 1
    return None


def annotated(data: bytes, resultaat) -> bytes:
    """The user's data sheet with wrong cells red and a comment holding the message, warnings
    yellow, plus a sheet 'Bevindingen' listing every finding with its cell."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Leerlingen"
    try:
        sheet = read_sheet(data)
        rijen = sheet.rijen
    except Bestandsfout:
        rijen = []
    for i, rij in enumerate(rijen, start=1):
        for j, waarde in enumerate(rij, start=1):
            if waarde is not None:
                _zet(ws.cell(row=i, column=j), waarde)
    if rijen:
        for cel in ws[1]:
            cel.font = _BOLD
        ws.freeze_panes = "A2"
    titels = {}
    if rijen:
        for j, v in enumerate(rijen[0]):
            if isinstance(v, str) and v.strip() and v.strip() not in titels:
                titels[v.strip()] = j

    bevindingen = list(resultaat.fouten) + list(resultaat.waarschuwingen)
    per_cel: dict[tuple[int, int], list] = {}
    overzicht = []
    for b in bevindingen:
        kol = _kolom_van(b, titels)
        rij = b.rij
        if rij is None and kol is not None and getattr(b, "letter", None):
            rij = 1                                  # a finding about a title
        if rij is not None and kol is None:
            kol = 1                                  # a row-level finding: mark the row's first cell
        cel = f"{get_column_letter(kol)}{rij}" if rij and kol else ""
        if rij and kol:
            per_cel.setdefault((rij, kol), []).append(b)
        overzicht.append((cel, rij, b.kolom or "", "Fout" if b.is_fout else "Waarschuwing", b.bericht, b.code))

    for (r, k), lijst in per_cel.items():
        cel = ws.cell(row=r, column=k)
        cel.fill = _ROOD if any(b.is_fout for b in lijst) else _GEEL
        tekst = "\n".join(("Fout: " if b.is_fout else "Waarschuwing: ") + b.bericht for b in lijst)
        cel.comment = Comment(tekst[:30000], "Leerlinglijst", width=320, height=120)

    lijst = wb.create_sheet("Bevindingen")
    lijst.append(["Cel", "Rij", "Kolom", "Niveau", "Melding", "Code"])
    for cel in lijst[1]:
        cel.font = _BOLD
    for regel in sorted(overzicht, key=lambda x: (x[1] or 0, x[0])):
        lijst.append([None] * 6)
        r = lijst.max_row
        for j, v in enumerate(regel, start=1):
            _zet(lijst.cell(row=r, column=j), v)
    for letter, breedte in zip("ABCDEF", (8, 6, 22, 14, 90, 26)):
        lijst.column_dimensions[letter].width = breedte
    lijst.freeze_panes = "A2"
    return _save(wb)
