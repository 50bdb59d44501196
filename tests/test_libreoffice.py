"""The template in a real spreadsheet program: LibreOffice opens it, a school fills it in and
saves it there, and the saved file passes the check clean."""
import io
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from portal.lijsten.formats import FORMATS
from portal.lijsten.validate import check_bytes
from portal.lijsten.workbook import template
from tests.builders import VANDAAG, leerlingen
from tests.conftest import need


@pytest.mark.parametrize("naam", ["VO-overstapper", "MBO-niet-overstapper"])
def test_template_filled_and_saved_by_libreoffice_checks_clean(tmp_path, naam):
    soffice = shutil.which("soffice")
    need(soffice is not None, "LibreOffice ontbreekt: sudo apt-get install libreoffice-calc-nogui")
    fmt = FORMATS[naam]
    werkboek = load_workbook(io.BytesIO(template(fmt)))
    blad = werkboek["Leerlingen"]
    for i, rij in enumerate(leerlingen(fmt, 5), start=2):
        for j, kolom in enumerate(fmt.kolommen, start=1):
            blad.cell(row=i, column=j, value=rij[kolom.titel])
    ingevuld = tmp_path / "in" / "lijst.xlsx"
    ingevuld.parent.mkdir()
    werkboek.save(ingevuld)
    uit = tmp_path / "uit"
    # A profile of its own, so that parallel runs do not share LibreOffice's lock.
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profiel", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(uit), str(ingevuld)],
                   check=True, capture_output=True, timeout=180)
    opgeslagen = (uit / "lijst.xlsx").read_bytes()
    resultaat = check_bytes(opgeslagen, fmt, vandaag=VANDAAG)
    assert resultaat.ok, [(b.rij, b.kolom, b.code) for b in resultaat.fouten]
    assert resultaat.rijen == 5
    # LibreOffice kept the identifiers exactly as typed (Text columns, not numbers).
    assert [r["leerlingnummer"] for r in resultaat.leerlingen] == [str(r[fmt.kolommen[0].titel]) for r in leerlingen(fmt, 5)]
