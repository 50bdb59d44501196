"""The workbooks the application writes: the template of a format (step 3) and the user's own
list annotated with its findings. Both come from the schema (formats.py) and the catalog; no
column title is spelled here."""
from __future__ import annotations

import datetime
import io
import math

import xlsxwriter

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
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
_ROOD = "#FFC7CE"                # errors
_GEEL = "#FFEB9C"                # warnings
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


class _Opmaak:
    """XlsxWriter formats, one per combination in use (fill, number format, bold, quote prefix)."""

    def __init__(self, wb):
        self.wb, self.cache = wb, {}

    def __call__(self, **eigenschappen):
        if not eigenschappen:
            return None
        sleutel = tuple(sorted(eigenschappen.items()))
        if sleutel not in self.cache:
            self.cache[sleutel] = self.wb.add_format(dict(sleutel))
        return self.cache[sleutel]


def _schrijf(ws, opmaak, r: int, k: int, waarde, **eigenschappen) -> None:
    """One cell (0-based r, k) as the user typed it: text stays text (never a formula; text that
    Excel would take for one gets a quote prefix), numbers and dates keep their type."""
    if isinstance(waarde, FormuleZonderWaarde):
        waarde = None
    if isinstance(waarde, Foutwaarde):
        waarde = waarde.tekst
    if waarde is None:
        if eigenschappen:
            ws.write_blank(r, k, None, opmaak(**eigenschappen))
    elif isinstance(waarde, str):
        if waarde.startswith(_FORMULE_BEGIN):
            eigenschappen["quote_prefix"] = True
        ws.write_string(r, k, waarde, opmaak(**eigenschappen))
    elif isinstance(waarde, bool):
        ws.write_boolean(r, k, waarde, opmaak(**eigenschappen))
    elif isinstance(waarde, (int, float)):
        if math.isfinite(waarde):
            ws.write_number(r, k, waarde, opmaak(**eigenschappen))
        else:
            ws.write_string(r, k, str(waarde), opmaak(**eigenschappen))
    elif isinstance(waarde, (datetime.date, datetime.time)):
        if isinstance(waarde, datetime.datetime):
            eigenschappen["num_format"] = "dd-mm-yyyy hh:mm"
        elif isinstance(waarde, datetime.date):
            eigenschappen["num_format"] = _DATUM
        else:
            eigenschappen["num_format"] = "hh:mm"
        ws.write_datetime(r, k, waarde, opmaak(**eigenschappen))
    else:
        ws.write_string(r, k, str(waarde), opmaak(**eigenschappen))


def annotated(data: bytes, resultaat) -> bytes:
    """The user's data sheet with wrong cells red and a comment holding the message, warnings
    yellow, plus a sheet 'Bevindingen' listing every finding with its cell.

    Written with XlsxWriter in constant-memory mode (rows streamed to disk in order, one format
    object per combination): 50,000 wrong rows take seconds and little memory, where openpyxl's
    normal workbook took minutes (its max_row per appended row made the findings sheet quadratic)."""
    try:
        rijen = read_sheet(data).rijen
    except Bestandsfout:
        rijen = []
    titels: dict[str, int] = {}
    if rijen:
        for j, v in enumerate(rijen[0]):
            if isinstance(v, str) and v.strip() and titel_sleutel(v) not in titels:
                titels[titel_sleutel(v)] = j
    per_rij, overzicht = _per_cel(resultaat, titels)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    opmaak = _Opmaak(wb)
    opmerkingen = _blad_leerlingen(wb, opmaak, rijen, per_rij)
    _blad_bevindingen(wb, opmaak, overzicht, opmerkingen)
    wb.close()
    return buf.getvalue()


def _per_cel(resultaat, titels) -> tuple[dict, list]:
    """→ (row → column → findings, the list of every finding as a row of the Bevindingen sheet)."""
    bevindingen = sorted(list(resultaat.fouten) + list(resultaat.waarschuwingen),
                         key=lambda b: (b.rij or 0, b.params.get("_pos", -1)))
    per_rij: dict[int, dict[int, list]] = {}
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
            per_rij.setdefault(rij, {}).setdefault(kol, []).append(b)
        overzicht.append((cel, rij, b.kolom or "", "Fout" if b.is_fout else "Waarschuwing", b.bericht,
                          b.soort.oplossing))
    return per_rij, overzicht


def _blad_leerlingen(wb, opmaak, rijen, per_rij) -> int:
    """The user's rows, marked; → the number of marked cells."""
    ws = wb.add_worksheet("Leerlingen")
    if rijen:
        ws.freeze_panes(1, 0)
    opmerkingen = 0
    hoogte = max(len(rijen), max(per_rij, default=0))
    for i in range(1, hoogte + 1):
        rij = rijen[i - 1] if i <= len(rijen) else []
        fouten = per_rij.get(i, {})
        vet = {"bold": True} if i == 1 else {}
        for j, waarde in enumerate(rij, start=1):
            if j not in fouten and waarde is not None:
                _schrijf(ws, opmaak, i - 1, j - 1, waarde, **vet)
        for j, lijst in fouten.items():
            waarde = rij[j - 1] if j <= len(rij) else None
            kleur = _ROOD if any(b.is_fout for b in lijst) else _GEEL
            _schrijf(ws, opmaak, i - 1, j - 1, waarde, bg_color=kleur, pattern=1, **vet)
            if opmerkingen < MAX_OPMERKINGEN:
                tekst = "\n".join(("Fout: " if b.is_fout else "Waarschuwing: ") + b.bericht for b in lijst)
                ws.write_comment(i - 1, j - 1, tekst[:30000], {"author": "Leerlinglijst", "x_scale": 2.2,
                                                               "y_scale": 1.6})
            opmerkingen += 1
    return opmerkingen


def _blad_bevindingen(wb, opmaak, overzicht, opmerkingen) -> None:
    lijst = wb.add_worksheet("Bevindingen")
    for k, breedte in enumerate((8, 6, 22, 14, 90, 60)):
        lijst.set_column(k, k, breedte)
    lijst.freeze_panes(1, 0)
    for k, tekst in enumerate(_KOPPEN):
        lijst.write_string(0, k, tekst, opmaak(bold=True))
    notities = []
    if opmerkingen > MAX_OPMERKINGEN:
        notities.append(f"Alleen de eerste {MAX_OPMERKINGEN:,} gemarkeerde cellen hebben een opmerking met de "
                        f"melding; alle {opmerkingen:,} gemarkeerde cellen zijn gekleurd en hun meldingen "
                        "staan hieronder.")
    if len(overzicht) > MAX_REGELS:
        notities.append(f"Er zijn {len(overzicht):,} bevindingen; hieronder staan de eerste {MAX_REGELS:,}. "
                        "Verbeter deze en controleer de lijst opnieuw.")
    r = 1
    for notitie in notities:
        lijst.write_string(r, 4, notitie.replace(",", "."))
        r += 1
    for regel in overzicht[:MAX_REGELS]:
        for k, v in enumerate(regel):
            if v not in (None, ""):
                _schrijf(lijst, opmaak, r, k, v)
        r += 1

