""".xls and .ods (issue 13, point 5): real files from LibreOffice and xlwt pass the same check as
an .xlsx, within the same limits; a hostile one is refused before it is read."""
import datetime as dt
import io
import shutil
import subprocess
import zipfile

import pytest
import xlwt
from openpyxl import load_workbook

from portal.lijsten.formats import FORMATS
from portal.lijsten.reader import Bestandsfout, Limieten, read_sheet
from portal.lijsten.validate import check_bytes
from portal.lijsten.workbook import template
from tests import hostile
from tests.builders import VANDAAG, leerlingen
from tests.conftest import need

FMT = FORMATS["VO-overstapper"]


def ingevuld_template(fmt, n):
    werkboek = load_workbook(io.BytesIO(template(fmt)))
    blad = werkboek["Leerlingen"]
    for i, rij in enumerate(leerlingen(fmt, n), start=2):
        for j, kolom in enumerate(fmt.kolommen, start=1):
            blad.cell(row=i, column=j, value=rij[kolom.titel])
    buf = io.BytesIO()
    werkboek.save(buf)
    return buf.getvalue()


def libreoffice(tmp_path, xlsx: bytes, naar: str) -> bytes:
    soffice = shutil.which("soffice")
    need(soffice is not None, "LibreOffice ontbreekt: sudo apt-get install libreoffice-calc-nogui")
    bron = tmp_path / "in" / "lijst.xlsx"
    bron.parent.mkdir(exist_ok=True)
    bron.write_bytes(xlsx)
    uit = tmp_path / "uit"
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profiel", "--headless",
                    "--convert-to", naar, "--outdir", str(uit), str(bron)],
                   check=True, capture_output=True, timeout=180)
    return (uit / f"lijst.{naar}").read_bytes()


@pytest.fixture(scope="module")
def libreoffice_bestanden(tmp_path_factory):
    """The filled-in template saved by LibreOffice as .xls and as .ods (one soffice run each)."""
    tmp = tmp_path_factory.mktemp("lo")
    xlsx = ingevuld_template(FMT, 8)
    return {soort: libreoffice(tmp, xlsx, soort) for soort in ("xls", "ods")}


@pytest.mark.parametrize("soort", ["xls", "ods"])
def test_template_saved_by_libreoffice_as_xls_or_ods_checks_clean(libreoffice_bestanden, soort):
    data = libreoffice_bestanden[soort]
    resultaat = check_bytes(data, FMT, vandaag=VANDAAG)
    assert resultaat.ok, [(b.rij, b.kolom, b.code) for b in resultaat.fouten]
    assert resultaat.rijen == 8
    verwacht = leerlingen(FMT, 8)
    assert [r["leerlingnummer"] for r in resultaat.leerlingen] == [r["Leerlingnummer"] for r in verwacht]
    assert [r["geboortedatum"] for r in resultaat.leerlingen] == [r["Geboortedatum"] for r in verwacht]
    assert [r["achternaam"] for r in resultaat.leerlingen] == [r["Achternaam"] for r in verwacht]
    assert read_sheet(data).soort == soort


def test_ods_error_in_a_cell_is_found_in_the_right_row(tmp_path):
    rijen = leerlingen(FMT, 3)
    werkboek = load_workbook(io.BytesIO(ingevuld_template(FMT, 3)))
    werkboek["Leerlingen"]["I3"] = "31-02-2010"       # Geboortedatum of row 3: no such date
    buf = io.BytesIO()
    werkboek.save(buf)
    resultaat = check_bytes(libreoffice(tmp_path, buf.getvalue(), "ods"), FMT, vandaag=VANDAAG)
    assert [(b.rij, b.kolom) for b in resultaat.fouten] == [(3, "Geboortedatum")]
    assert len(rijen) == 3


def xlwt_bestand(fmt, rijen, *, titels=None, blad="Leerlingen", extra_bladen=()):
    werkboek = xlwt.Workbook()
    ws = werkboek.add_sheet(blad)
    datum = xlwt.easyxf(num_format_str="DD-MM-YYYY")
    for j, t in enumerate(titels or fmt.titels):
        ws.write(0, j, t)
    for i, rij in enumerate(rijen, start=1):
        for j, kolom in enumerate(fmt.kolommen):
            waarde = rij[kolom.titel]
            if isinstance(waarde, dt.date):
                ws.write(i, j, waarde, datum)
            elif waarde is not None:
                ws.write(i, j, waarde)
    for naam in extra_bladen:
        werkboek.add_sheet(naam).write(0, 0, "iets")
    buf = io.BytesIO()
    werkboek.save(buf)
    return buf.getvalue()


def test_xls_written_by_xlwt_checks_clean_with_its_dates_as_dates():
    rijen = leerlingen(FMT, 20)
    resultaat = check_bytes(xlwt_bestand(FMT, rijen), FMT, vandaag=VANDAAG)
    assert resultaat.ok, [(b.rij, b.kolom, b.code) for b in resultaat.fouten]
    assert [r["geboortedatum"] for r in resultaat.leerlingen] == [r["Geboortedatum"] for r in rijen]
    assert [r["bsn"] for r in resultaat.leerlingen] == [r["BSN"] for r in rijen]


def test_xls_finding_names_row_and_column_as_excel_shows_them():
    rijen = leerlingen(FMT, 5)
    rijen[3]["Geslacht"] = "Q"
    resultaat = check_bytes(xlwt_bestand(FMT, rijen), FMT, vandaag=VANDAAG)
    assert [(b.rij, b.kolom, b.code) for b in resultaat.fouten] == [(5, "Geslacht", resultaat.fouten[0].code)]
    assert resultaat.fouten[0].letter == "H"


def test_xls_with_two_filled_sheets_and_none_named_leerlingen_is_multiple_sheets():
    data = xlwt_bestand(FMT, leerlingen(FMT, 2), blad="Blad1", extra_bladen=["Blad2"])
    with pytest.raises(Bestandsfout) as e:
        read_sheet(data)
    assert e.value.code == "multiple_sheets"
    assert e.value.params == {"bladen": "Blad1, Blad2"}


def test_xls_over_the_row_limit_is_too_many_rows():
    data = xlwt_bestand(FMT, leerlingen(FMT, 30))
    with pytest.raises(Bestandsfout) as e:
        read_sheet(data, Limieten(max_rows=25))
    assert (e.value.code, e.value.params) == ("too_many_rows", {"aantal": 30, "max": 25})


def test_xls_with_a_far_cell_is_refused_before_a_grid_is_built():
    werkboek = xlwt.Workbook()
    ws = werkboek.add_sheet("Leerlingen")
    ws.write(0, 0, "Leerlingnummer")
    ws.write(65535, 255, "ver weg")        # calamine would build 16.7 million cells for this
    buf = io.BytesIO()
    werkboek.save(buf)
    with pytest.raises(Bestandsfout) as e:
        read_sheet(buf.getvalue())
    assert e.value.code == "file_corrupt"


def test_xls_over_the_byte_limit_is_too_large_before_reading():
    data = xlwt_bestand(FMT, leerlingen(FMT, 5))
    with pytest.raises(Bestandsfout) as e:
        read_sheet(data, Limieten(max_bytes=len(data) - 1))
    assert e.value.code == "file_too_large"


def test_damaged_xls_keeps_the_spec_code_file_type_xls():
    with pytest.raises(Bestandsfout) as e:
        read_sheet(hostile.xls())
    assert e.value.code == "file_type_xls"
    data = xlwt_bestand(FMT, leerlingen(FMT, 5))
    with pytest.raises(Bestandsfout) as e:
        read_sheet(data[:len(data) // 2])
    assert e.value.code in ("file_type_xls", "file_corrupt")


def ods_bestand(tabel_xml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
            f'<table:table table:name="Leerlingen">{tabel_xml}</table:table>'
            '</office:spreadsheet></office:body></office:document-content>').encode())
        zf.writestr("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest:manifest '
                    b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buf.getvalue()


CEL = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


@pytest.mark.parametrize("tabel", [
    # one cell with a value, repeated over a million rows and all columns: a few bytes of XML
    f'<table:table-row table:number-rows-repeated="1000000">'
    f'<table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell>'
    f'</table:table-row>',
    # a value far away after a long run of empty rows
    f'<table:table-row>{CEL}</table:table-row><table:table-row table:number-rows-repeated="900000">'
    f'<table:table-cell/></table:table-row><table:table-row>{CEL}</table:table-row>',
    # a value beyond the column limit
    f'<table:table-row><table:table-cell table:number-columns-repeated="500"/>{CEL}</table:table-row>',
], ids=["repeated", "far_row", "far_column"])
def test_ods_whose_extent_is_over_the_limits_is_refused_before_calamine_reads_it(tabel):
    with pytest.raises(Bestandsfout) as e:
        read_sheet(ods_bestand(tabel))
    assert e.value.code == "file_corrupt"


def test_ods_trailing_empty_repeats_as_libreoffice_writes_them_are_fine():
    tabel = (f'<table:table-column table:number-columns-repeated="16384"/>'
             f'<table:table-row>{CEL}<table:table-cell table:number-columns-repeated="16383"/></table:table-row>'
             f'<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    sheet = read_sheet(ods_bestand(tabel))
    assert sheet.rijen == [["x"]]


def test_ods_with_a_doctype_is_unsafe():
    data = ods_bestand(f"<table:table-row>{CEL}</table:table-row>")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as bron, zipfile.ZipFile(buf, "w") as doel:
        for info in bron.infolist():
            inhoud = bron.read(info)
            if info.filename == "content.xml":
                inhoud = inhoud.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
            doel.writestr(info, inhoud)
    with pytest.raises(Bestandsfout) as e:
        read_sheet(buf.getvalue())
    assert e.value.code == "file_unsafe"


def test_an_xls_sent_on_the_public_site_is_delivered_and_one_with_an_error_is_marked(client):
    from portal.models import Aanlevering, Instantie
    from tests.conftest import csrf_token
    url = "/leerlinglijst/opsturen?schoolsoort=VO&soort=overstapper"

    def stuur(data, naam):
        return client.post(url, content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, url), "instantie": str(Instantie.get(Instantie.brin == "99AA").id),
            "naam": "Bea Bezoeker", "email": "bea@voorbeeld.nl", "toelichting": "", "bestand": (io.BytesIO(data), naam)})

    response = stuur(xlwt_bestand(FMT, leerlingen(FMT, 4)), "lijst.xls")
    assert response.status_code == 303 and "/klaar/" in response.headers["Location"]
    assert Aanlevering.get().aantal_leerlingen == 4
    rijen = leerlingen(FMT, 4, seed=8)
    rijen[2]["Geslacht"] = "Q"
    response = stuur(xlwt_bestand(FMT, rijen), "fout.xls")
    assert "/controle/" in response.headers["Location"]
    token = response.headers["Location"].split("/controle/")[1].split("?")[0]
    gemarkeerd = client.get(f"/leerlinglijst/controle/{token}/gemarkeerd.xlsx")
    assert gemarkeerd.status_code == 200
    assert load_workbook(io.BytesIO(gemarkeerd.data)).worksheets[0]["H4"].comment is not None


def test_xls_hidden_rows_and_merged_cells_are_reported_as_for_xlsx():
    werkboek = xlwt.Workbook()
    ws = werkboek.add_sheet("Leerlingen")
    datum = xlwt.easyxf(num_format_str="DD-MM-YYYY")
    for j, t in enumerate(FMT.titels):
        ws.write(0, j, t)
    for i, rij in enumerate(leerlingen(FMT, 4), start=1):
        for j, kolom in enumerate(FMT.kolommen):
            waarde = rij[kolom.titel]
            if kolom.veld == "mentor" and i == 2:
                ws.write_merge(2, 3, j, j, waarde)        # Mentor of rows 3 and 4 merged
            elif kolom.veld == "mentor" and i == 3:
                continue
            elif waarde is not None:
                ws.write(i, j, waarde, datum) if isinstance(waarde, dt.date) else ws.write(i, j, waarde)
    ws.row(2).hidden = True                                 # spreadsheet row 3
    buf = io.BytesIO()
    werkboek.save(buf)
    sheet = read_sheet(buf.getvalue())
    letter = "R"
    assert FMT.titels[17] == FMT.kolom_voor_veld("mentor").titel
    assert sheet.merged == [f"{letter}3:{letter}4"] and sheet.hidden_rows == {3}
    codes = {b.code for b in check_bytes(buf.getvalue(), FMT, vandaag=VANDAAG).bevindingen}
    assert {"merged_cells", "hidden_rows_included"} <= codes


def test_ods_hidden_row_with_data_is_reported():
    tabel = (f'<table:table-row>{CEL}</table:table-row>'
             f'<table:table-row table:visibility="collapse" table:number-rows-repeated="2">{CEL}</table:table-row>'
             f'<table:table-row>{CEL}</table:table-row>')
    assert read_sheet(ods_bestand(tabel)).hidden_rows == {2, 3}
