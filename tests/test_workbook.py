"""The template (step 3) and the annotated error workbook."""
import io
import zipfile

import openpyxl
import pytest

from portal.lijsten.errors import CATALOG
from portal.lijsten.formats import FORMATS
from portal.lijsten.reader import read_sheet
from portal.lijsten.validate import check_bytes
from portal.lijsten.workbook import annotated, template
from tests.builders import leerlingen, make_csv, make_xlsx, titel

FORMAT_NAMEN = sorted(FORMATS)


def _open(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def templates():
    return {naam: template(FORMATS[naam]) for naam in FORMAT_NAMEN}


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_template_has_the_schema_titles_in_order(templates, naam):
    fmt = FORMATS[naam]
    wb = _open(templates[naam])
    assert wb.sheetnames == ["Leerlingen", "Toelichting"]
    ws = wb["Leerlingen"]
    assert [c.value for c in ws[1]] == list(fmt.titels)
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert all(c.comment is not None and c.comment.text for c in ws[1])


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_template_formats_ids_as_text_and_dates_as_dates(templates, naam):
    fmt = FORMATS[naam]
    ws = _open(templates[naam])["Leerlingen"]
    for j, kolom in enumerate(fmt.kolommen, start=1):
        opmaak = ws.cell(row=50, column=j).number_format
        if kolom.als_tekst_opmaken:
            assert opmaak == "@", kolom.titel
        elif kolom.soort == "datum":
            assert opmaak == "dd-mm-yyyy", kolom.titel
    # The Leerlingnummer and BSN are Text, so Excel keeps a leading zero.
    assert ws.cell(row=2, column=fmt.titels.index(titel(fmt, "bsn")) + 1).number_format == "@"


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_template_has_dropdowns_for_code_columns(templates, naam):
    fmt = FORMATS[naam]
    ws = _open(templates[naam])["Leerlingen"]
    lijsten = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list" and len(dv.formula1) <= 255
        for bereik in dv.sqref.ranges:
            lijsten[bereik.min_col] = dv.formula1.strip('"').split(",")
    met_waarden = [(j, k) for j, k in enumerate(fmt.kolommen, start=1) if k.waarden]
    assert met_waarden, "every format has code columns"
    for j, kolom in met_waarden:
        assert lijsten[j] == [str(w) for w in kolom.waarden], kolom.titel
    assert "M" in lijsten[fmt.titels.index("Geslacht") + 1]


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_template_toelichting_explains_every_column(templates, naam):
    fmt = FORMATS[naam]
    ws = _open(templates[naam])["Toelichting"]
    rijen = list(ws.values)
    assert rijen[0] == ("Kolomtitel", "Verplicht", "Uitleg", "Toegestane waarden", "Voorbeeld")
    assert [r[0] for r in rijen[1:]] == list(fmt.titels)
    for r, kolom in zip(rijen[1:], fmt.kolommen):
        assert r[1] == ("ja" if kolom.verplicht else "nee")
        assert r[4] == str(kolom.voorbeeld)


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_template_read_back_gives_the_marker_and_no_data(templates, naam):
    sheet = read_sheet(templates[naam])
    fmt = FORMATS[naam]
    assert sheet.marker == (fmt.naam, fmt.versie)
    assert sheet.naam == "Leerlingen"
    assert sheet.rijen == [list(fmt.titels)]
    # An empty template is answered with "no data rows", not an unreadable file.
    assert [b.code for b in check_bytes(templates[naam], fmt).fouten] == ["no_data_rows"]


def test_template_is_a_plain_xlsx_without_macros(templates):
    for data in templates.values():
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            ct = zf.read("[Content_Types].xml")
            assert b"macroEnabled" not in ct and b"vbaProject" not in ct


@pytest.mark.parametrize("naam", FORMAT_NAMEN)
def test_filled_template_passes_clean(templates, naam):
    fmt = FORMATS[naam]
    wb = _open(templates[naam])
    ws = wb["Leerlingen"]
    for i, rij in enumerate(leerlingen(fmt, 8), start=2):
        for j, kolom in enumerate(fmt.kolommen, start=1):
            ws.cell(row=i, column=j, value=rij[kolom.titel])
    buf = io.BytesIO()
    wb.save(buf)
    resultaat = check_bytes(buf.getvalue(), fmt)
    assert resultaat.ok, [(b.rij, b.kolom, b.code) for b in resultaat.fouten]
    assert resultaat.waarschuwingen == []
    assert resultaat.rijen == 8


# --- annotated -----------------------------------------------------------

def _fout_bestand(fmt):
    rijen = leerlingen(fmt, 4)
    rijen[0][titel(fmt, "bsn")] = "123456789"                  # row 2: 11-proef fails
    rijen[1][titel(fmt, "achternaam")] = '=HYPERLINK("http://x","klik")'   # row 3: text that looks like a formula
    rijen[2][titel(fmt, "voornaam")] = "@SUM(1)"               # row 4
    rijen[3][titel(fmt, "tussenvoegsel")] = "vn"               # row 5: a warning
    return rijen


@pytest.mark.parametrize("maak", [make_xlsx, make_csv], ids=["xlsx", "csv"])
def test_annotated_marks_the_cells_and_lists_every_finding(maak):
    fmt = FORMATS["VO-overstapper"]
    data = maak(fmt, _fout_bestand(fmt))
    resultaat = check_bytes(data, fmt)
    wb = _open(annotated(data, resultaat))
    assert wb.sheetnames == ["Leerlingen", "Bevindingen"]
    ws = wb["Leerlingen"]
    assert [c.value for c in ws[1]] == list(fmt.titels)

    bsn = ws.cell(row=2, column=fmt.titels.index(titel(fmt, "bsn")) + 1)
    assert bsn.value == "123456789"
    assert bsn.fill.fgColor.rgb.endswith("FFC7CE")
    assert "elfproef" in bsn.comment.text

    for b in resultaat.waarschuwingen:
        if b.rij and b.kolom:
            cel = ws.cell(row=b.rij, column=fmt.titels.index(b.kolom) + 1)
            if not any(f.rij == b.rij and f.kolom == b.kolom for f in resultaat.fouten):
                assert cel.fill.fgColor.rgb.endswith("FFEB9C")
            assert b.bericht in cel.comment.text

    lijst = list(wb["Bevindingen"].values)
    assert lijst[0] == ("Cel", "Rij", "Kolom", "Niveau", "Melding", "Wat te doen")
    assert len(lijst) - 1 == len(resultaat.fouten) + len(resultaat.waarschuwingen)
    assert ("B2", 2, titel(fmt, "bsn"), "Fout", bsn_bericht(resultaat), CATALOG["bsn_checksum"].oplossing) in lijst
    assert any(r[3] == "Waarschuwing" for r in lijst[1:])


def bsn_bericht(resultaat):
    return next(b.bericht for b in resultaat.fouten if b.code == "bsn_checksum")


def test_annotated_never_writes_a_formula():
    fmt = FORMATS["VO-overstapper"]
    data = make_csv(fmt, _fout_bestand(fmt))
    uit = annotated(data, check_bytes(data, fmt))
    wb = _open(uit)
    for ws in wb.worksheets:
        for rij in ws.iter_rows():
            for cel in rij:
                assert cel.data_type != "f", cel.coordinate
    assert wb["Leerlingen"].cell(row=3, column=fmt.titels.index("Achternaam") + 1).value.startswith("=HYPERLINK")
    with zipfile.ZipFile(io.BytesIO(uit)) as zf:
        for naam in zf.namelist():
            if naam.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(naam)


def test_annotated_row_finding_marks_the_first_cell_and_file_finding_only_listed():
    fmt = FORMATS["VO-overstapper"]
    rijen = leerlingen(fmt, 2)
    rijen[1]["Leerlingnummer"] = rijen[0]["Leerlingnummer"]
    data = make_xlsx(fmt, rijen + [{}] + leerlingen(fmt, 1, seed=9))     # an empty row: a file-level warning
    resultaat = check_bytes(data, fmt)
    codes = {b.code for b in resultaat.fouten + resultaat.waarschuwingen}
    assert "empty_rows_skipped" in codes
    wb = _open(annotated(data, resultaat))
    lijst = list(wb["Bevindingen"].values)
    leeg = [r for r in lijst if r[4] == "1 lege rijen zijn overgeslagen."]
    assert leeg and leeg[0][0] in (None, "")
    # No raw code anywhere in the sheet: Dutch text only (usability review).
    assert not [r for r in lijst if any(isinstance(v, str) and v in CATALOG for v in r)]


def test_annotated_of_an_unreadable_file_still_lists_the_finding():
    fmt = FORMATS["MBO-overstapper"]
    data = b"%PDF-1.4 nope"
    resultaat = check_bytes(data, fmt)
    wb = _open(annotated(data, resultaat))
    assert [r[4:] for r in list(wb["Bevindingen"].values)[1:]] == [
        (resultaat.fouten[0].bericht, CATALOG["file_type_unsupported"].oplossing)]


def test_annotated_of_many_wrong_rows_marks_every_cell_and_bounds_the_comments():
    """#10.3: every wrong cell is coloured and listed; only the first MAX_OPMERKINGEN get a comment,
    and the Bevindingen sheet says so in Dutch."""
    from portal.lijsten.workbook import MAX_OPMERKINGEN
    fmt = FORMATS["VO-overstapper"]
    rijen = leerlingen(fmt, MAX_OPMERKINGEN + 50)
    for r in rijen:
        r[titel(fmt, "bsn")] = "123456789"
    data = make_xlsx(fmt, rijen)
    resultaat = check_bytes(data, fmt)
    wb = _open(annotated(data, resultaat))
    ws = wb["Leerlingen"]
    kolom = fmt.titels.index(titel(fmt, "bsn")) + 1
    cellen = [ws.cell(row=r, column=kolom) for r in range(2, len(rijen) + 2)]
    assert all(c.fill.fgColor.rgb.endswith("FFC7CE") for c in cellen)
    assert [c.comment is not None for c in cellen] == [True] * MAX_OPMERKINGEN + [False] * 50
    assert all(c.value == "123456789" for c in cellen)
    assert ws.freeze_panes == "A2" and ws.cell(row=1, column=1).font.bold
    lijst = list(wb["Bevindingen"].values)
    notitie = [r for r in lijst if r[0] in (None, "") and r[4] and "opmerking" in r[4]]
    assert notitie and f"eerste {MAX_OPMERKINGEN:,}".replace(",", ".") in notitie[0][4]
    assert sum(1 for r in lijst if r[0] and r[0] != "Cel") >= len(rijen)


def test_annotated_keeps_dates_as_dates_and_text_that_looks_like_a_formula_as_text():
    fmt = FORMATS["VO-overstapper"]
    rijen = leerlingen(fmt, 2)
    rijen[0][titel(fmt, "klas")] = "-1+2"
    data = make_csv(fmt, rijen)
    ws = _open(annotated(data, check_bytes(data, fmt)))["Leerlingen"]
    cel = ws.cell(row=2, column=fmt.titels.index("Klas") + 1)
    assert (cel.value, cel.data_type, cel.quotePrefix) == ("-1+2", "s", True)
    data = make_xlsx(fmt, leerlingen(fmt, 2))
    ws = _open(annotated(data, check_bytes(data, fmt)))["Leerlingen"]
    cel = ws.cell(row=2, column=fmt.titels.index("Geboortedatum") + 1)
    assert cel.is_date and cel.number_format == "dd-mm-yyyy"
