"""The workbooks the application writes: the template of a format (step 3) and the user's own
list annotated with its findings. Both come from the schema (formats.py) and the catalog; no
column title is spelled here."""
from __future__ import annotations

import datetime
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from .formats import Format
from .ooxml import schema_volgorde
from .validate import titel_sleutel
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
        waarde = ILLEGAL_CHARACTERS_RE.sub("\ufffd", waarde)     # a control character from a CSV
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
    if kolom and titel_sleutel(kolom) in titels:
        return titels[titel_sleutel(kolom)] + 1
    return None


# Excel slows down on thousands of comments (each one is a drawn shape), and a list with an error
# in every row would get 50,000 of them: the first ones get a comment, every marked cell its colour,
# and the sheet Bevindingen lists every finding (up to MAX_REGELS, a note says so beyond that).
MAX_OPMERKINGEN = 1_000
MAX_REGELS = 100_000
_KOPPEN = ("Cel", "Rij", "Kolom", "Niveau", "Melding", "Wat te doen")


def _waarde_cel(ws, waarde):
    """A value for a write-only row: plain where it cannot be taken for a formula, else a cell."""
    if waarde is None or isinstance(waarde, FormuleZonderWaarde):
        return None
    if isinstance(waarde, str) and not waarde.startswith(_FORMULE_BEGIN) \
            and not ILLEGAL_CHARACTERS_RE.search(waarde):
        return waarde
    if isinstance(waarde, (int, float)) and not isinstance(waarde, bool):
        return waarde
    cel = WriteOnlyCell(ws)
    _zet(cel, waarde)
    return cel


def _gemarkeerd(ws, waarde, lijst, met_opmerking: bool):
    cel = WriteOnlyCell(ws)
    _zet(cel, waarde)
    cel.fill = _ROOD if any(b.is_fout for b in lijst) else _GEEL
    if met_opmerking:
        tekst = "\n".join(("Fout: " if b.is_fout else "Waarschuwing: ") + b.bericht for b in lijst)
        cel.comment = Comment(tekst[:30000], "Leerlinglijst", width=320, height=120)
    return cel


def annotated(data: bytes, resultaat) -> bytes:
    """The user's data sheet with wrong cells red and a comment holding the message, warnings
    yellow, plus a sheet 'Bevindingen' listing every finding with its cell.

    Written in openpyxl's write-only mode (rows streamed in order, one shared fill per colour):
    50,000 wrong rows take seconds, where a normal workbook took minutes (its max_row per appended
    row made the findings sheet quadratic)."""
    try:
        rijen = read_sheet(data).rijen
    except Bestandsfout:
        rijen = []
    titels: dict[str, int] = {}
    if rijen:
        for j, v in enumerate(rijen[0]):
            if isinstance(v, str) and v.strip() and titel_sleutel(v) not in titels:
                titels[titel_sleutel(v)] = j

    bevindingen = sorted(list(resultaat.fouten) + list(resultaat.waarschuwingen),
                         key=lambda b: (b.rij or 0, b.params.get("_pos", -1)))
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
        overzicht.append((cel, rij, b.kolom or "", "Fout" if b.is_fout else "Waarschuwing", b.bericht,
                          b.soort.oplossing))
    per_rij: dict[int, dict[int, list]] = {}
    for (r, k), lijst in per_cel.items():
        per_rij.setdefault(r, {})[k] = lijst

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Leerlingen")
    if rijen:
        ws.freeze_panes = "A2"
    opmerkingen = 0
    hoogte = max(len(rijen), max(per_rij, default=0))
    for i in range(1, hoogte + 1):
        rij = rijen[i - 1] if i <= len(rijen) else []
        fouten = per_rij.get(i)
        breedte = max(len(rij), max(fouten, default=0)) if fouten else len(rij)
        uit = []
        for j in range(1, breedte + 1):
            waarde = rij[j - 1] if j <= len(rij) else None
            if fouten and j in fouten:
                uit.append(_gemarkeerd(ws, waarde, fouten[j], opmerkingen < MAX_OPMERKINGEN))
                opmerkingen += 1
                if i == 1:
                    uit[-1].font = _BOLD
            elif i == 1:
                cel = WriteOnlyCell(ws)
                _zet(cel, waarde)
                cel.font = _BOLD
                uit.append(cel)
            else:
                uit.append(_waarde_cel(ws, waarde))
        ws.append(uit)

    lijst = wb.create_sheet("Bevindingen")
    for letter, breedte in zip("ABCDEF", (8, 6, 22, 14, 90, 60)):
        lijst.column_dimensions[letter].width = breedte
    lijst.freeze_panes = "A2"
    koppen = []
    for tekst in _KOPPEN:
        cel = WriteOnlyCell(lijst, value=tekst)
        cel.font = _BOLD
        koppen.append(cel)
    lijst.append(koppen)
    if opmerkingen > MAX_OPMERKINGEN:
        lijst.append(["", None, "", "", f"Alleen de eerste {MAX_OPMERKINGEN:,} gemarkeerde cellen hebben een "
                      f"opmerking met de melding; alle {opmerkingen:,} gemarkeerde cellen zijn gekleurd en "
                      "hun meldingen staan hieronder.".replace(",", "."), ""])
    if len(overzicht) > MAX_REGELS:
        lijst.append(["", None, "", "", f"Er zijn {len(overzicht):,} bevindingen; hieronder staan de eerste "
                      f"{MAX_REGELS:,}. Verbeter deze en controleer de lijst opnieuw.".replace(",", "."), ""])
    for regel in overzicht[:MAX_REGELS]:
        lijst.append([_waarde_cel(lijst, v) for v in regel])
    return _save(wb)
