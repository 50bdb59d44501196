"""The workbooks we write pass the Open XML SDK's validation: the template of each format, the
annotated file (red and yellow cells, comments, a sheet of findings) and the export.

Excel's repair prompt ("We found a problem with some content…") comes from content that breaks
the OOXML schema or the package rules; the Open XML SDK checks both, the way Office does. It runs
here as WebAssembly in node, from the npm package @ooxml-tools/validate (MIT), pinned: the test
expects it in tests/.cache/ooxml-validate/ and fetches it with `npm pack` when it is missing.
Excel itself cannot run on this machine; LibreOffice Calc is tested in test_libreoffice.py.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from portal.lijsten.export import export_xlsx
from portal.lijsten.formats import FORMATS
from portal.lijsten.validate import check_bytes
from portal.lijsten.workbook import annotated, template
from tests.builders import VANDAAG, leerlingen, make_csv, make_xlsx, titel
from tests.conftest import need

VALIDATOR_VERSIE = "0.4.6"
CACHE = Path(__file__).resolve().parent / ".cache" / f"ooxml-validate-{VALIDATOR_VERSIE}"
INDEX = CACHE / "package" / "dist" / "npm" / "index.js"
SCRIPT = Path(__file__).resolve().parent / "ooxml_validate.mjs"


def _uitpakken(pakket: Path, doel: Path) -> None:
    with tarfile.open(pakket) as tar:
        if hasattr(tarfile, "data_filter"):                 # Python 3.11.4 and newer
            tar.extractall(doel, filter="data")
        else:                                               # (Debian 12's 3.11.2): check the names ourselves
            for lid in tar.getmembers():
                assert (lid.isfile() or lid.isdir()) and not lid.name.startswith("/") and ".." not in lid.name.split("/")
            tar.extractall(doel)


@pytest.fixture(scope="session")
def validator() -> Path:
    node = shutil.which("node")
    need(node is not None, "node ontbreekt: nodig voor de Open XML-validatie (Node 20 of nieuwer)")
    versie = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    need(int(versie.lstrip("v").split(".")[0]) >= 20, f"Node {versie} is te oud voor @ooxml-tools/validate: Node 20 of nieuwer")
    if not INDEX.exists():
        npm = shutil.which("npm")
        need(npm is not None, "npm ontbreekt: nodig om @ooxml-tools/validate op te halen (sudo apt-get install npm)")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE.parent) as tmp:
            uit = subprocess.run([npm, "pack", f"@ooxml-tools/validate@{VALIDATOR_VERSIE}", "--pack-destination", tmp,
                                  "--json"], capture_output=True, text=True, timeout=300)
            need(uit.returncode == 0, f"npm pack @ooxml-tools/validate mislukt: {uit.stderr[-500:]}")
            doel = Path(tmp) / "uitgepakt"
            _uitpakken(Path(tmp) / json.loads(uit.stdout)[0]["filename"], doel)
            try:
                os.rename(doel, CACHE)            # atomic: a parallel worker may have been first
            except OSError:
                if not INDEX.exists():            # a half-written cache of an interrupted run
                    shutil.rmtree(CACHE)
                    os.rename(doel, CACHE)
    return INDEX


def bevindingen(validator: Path, data: bytes, tmp_path: Path, office: str) -> list[str]:
    bestand = tmp_path / "werkboek.xlsx"
    bestand.write_bytes(data)
    uit = subprocess.run(["node", str(SCRIPT), str(validator), office, str(bestand)], capture_output=True, text=True,
                         timeout=300)
    assert uit.returncode == 0, uit.stderr[-2000:]
    return [f"{f['path']['partUri']} {f['path']['xpath']}: {f['description']}"
            for f in json.loads(uit.stdout.strip().splitlines()[-1])[str(bestand)]]


def _met_fouten(fmt, maak):
    """A list with an error (a BSN failing the 11-proef), a warning and a formula typed as text."""
    rijen = leerlingen(fmt, 6)
    rijen[1][titel(fmt, "bsn")] = "123456789"
    rijen[2][titel(fmt, "achternaam")] = "=HYPERLINK(\"http://voorbeeld.nl\")"
    rijen[3][titel(fmt, "voornaam")] = "J4n"
    data = maak(fmt, rijen)
    resultaat = check_bytes(data, fmt, vandaag=VANDAAG)
    assert resultaat.fouten
    return annotated(data, resultaat)


def _export(fmt):
    resultaat = check_bytes(make_xlsx(fmt, leerlingen(fmt, 6)), fmt, vandaag=VANDAAG)
    assert resultaat.ok
    return export_xlsx(fmt, resultaat.leerlingen)


WERKBOEKEN = {
    **{f"template {naam}": (lambda fmt=fmt: template(fmt)) for naam, fmt in FORMATS.items()},
    "annotated .xlsx": lambda: _met_fouten(FORMATS["VO-overstapper"], make_xlsx),
    "annotated .csv": lambda: _met_fouten(FORMATS["MBO-overstapper"], make_csv),
    "export": lambda: _export(FORMATS["MBO-niet-overstapper"]),
}


@pytest.mark.parametrize("werkboek", list(WERKBOEKEN))
def test_workbook_passes_the_open_xml_sdk_validation(validator, tmp_path, werkboek):
    assert bevindingen(validator, WERKBOEKEN[werkboek](), tmp_path, "Microsoft365") == []


def test_the_template_passes_for_office_2016_too(validator, tmp_path):
    """The oldest Office that schools still use (its schema knows fewer elements)."""
    assert bevindingen(validator, template(FORMATS["MBO-overstapper"]), tmp_path, "Office2016") == []


def test_the_validator_finds_what_excel_would_repair(validator, tmp_path):
    """The check can fail: a template whose styles break the schema is reported."""
    import zipfile
    origineel = io.BytesIO(template(FORMATS["VO-overstapper"]))
    kapot = io.BytesIO()
    with zipfile.ZipFile(origineel) as zin, zipfile.ZipFile(kapot, "w", zipfile.ZIP_DEFLATED) as zuit:
        for item in zin.infolist():
            inhoud = zin.read(item.filename)
            if item.filename == "xl/styles.xml":
                inhoud = inhoud.replace(b"<font>", b"<font><kleur/>", 1)
            zuit.writestr(item, inhoud)
    gevonden = bevindingen(validator, kapot.getvalue(), tmp_path, "Microsoft365")
    assert any("/xl/styles.xml" in f for f in gevonden), gevonden
