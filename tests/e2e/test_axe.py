"""Accessibility: axe-core on every page, on the portal and the public site, logged in and not.
Fails on any WCAG 2.1 A or AA violation.

axe-core comes from the npm registry, pinned. The test expects it at tests/.cache/axe.min.js (bin/setup
may put it there); when it is missing, a session fixture fetches it with `npm pack axe-core@<AXE_VERSIE>`.
The page's Content-Security-Policy blocks inline scripts, so axe is run through page.evaluate (the
DevTools protocol), which leaves the policy of the page under test untouched.
"""
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from portal.lijsten.formats import format_voor
from portal.models import Aanlevering, Instantie, Leerling
from tests.conftest import need
from tests.e2e.conftest import inloggen

pytestmark = pytest.mark.browser

AXE_VERSIE = "4.10.3"
AXE_PAD = Path(__file__).resolve().parent.parent / ".cache" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def axe_bron():
    if not AXE_PAD.exists():
        npm = shutil.which("npm")
        need(npm is not None, "npm ontbreekt: nodig om axe-core op te halen (sudo apt-get install npm)")
        AXE_PAD.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            uit = subprocess.run([npm, "pack", f"axe-core@{AXE_VERSIE}", "--pack-destination", tmp, "--json"],
                                 capture_output=True, text=True, timeout=120)
            need(uit.returncode == 0, f"npm pack axe-core@{AXE_VERSIE} mislukt: {uit.stderr[-500:]}")
            pakket = Path(tmp) / json.loads(uit.stdout)[0]["filename"]
            with tarfile.open(pakket) as tar:
                bron = tar.extractfile("package/axe.min.js").read()
        AXE_PAD.write_bytes(bron)
    return AXE_PAD.read_text(encoding="utf-8")


def axe(page, bron):
    """The WCAG 2.1 A/AA violations on the page as readable lines."""
    page.evaluate(bron + "\n;void 0")
    schendingen = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
        }""", WCAG)
    return schendingen


def get_routes(app):
    """Every GET route without arguments (the pages a user opens from a link or the address bar)."""
    for regel in app.url_map.iter_rules():
        if "GET" in regel.methods and not regel.arguments and regel.endpoint != "static":
            yield regel.rule


def bezoek(page, bron, url, gevonden, bezocht):
    """Open `url` (unless it is a download), run axe on where it lands, once per landing page."""
    antwoord = page.request.get(url, max_redirects=5)
    if "text/html" not in antwoord.headers.get("content-type", "") or "<html" not in antwoord.text():
        return      # a download, or a fragment that only htmx asks for (e.g. the instanties search)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    sleutel = page.url
    if sleutel in bezocht:
        return
    bezocht.add(sleutel)
    for regel in axe(page, bron):
        gevonden.append(f"{sleutel}: {regel}")


@pytest.fixture
def gegevens(app):
    """A student and an aanlevering, so that the pages with an id have something to show."""
    instantie = Instantie.get(Instantie.brin == "99AA")
    fmt = format_voor("VO", "overstapper")
    leerling = Leerling.create(instantie=instantie, type="overstapper", schooljaar="2026-2027",
                               leerlingnummer="AXE-1", bsn="123456782", voorletters="A.", voornaam="Anna",
                               achternaam="Toegankelijk", geslacht="V", geboortedatum="2010-05-03",
                               klas="4H", leerjaar=5, onderwijsniveau="HAVO")
    rij = {k.veld: None for k in fmt.kolommen}
    rij.update(leerlingnummer="AXE-2", bsn="111222333", voorletters="B.", voornaam="Bram", achternaam="Bereik",
               geslacht="M", geboortedatum="2009-01-02", klas="5V", leerjaar=6, onderwijsniveau="VWO", rij=2)
    aanlevering = Aanlevering.maak(
        instantie=instantie, schoolsoort="VO", soort="overstapper", schooljaar="2026-2027", naam="Vera",
        email="vo@demo.nl", kanaal="portal", bestandsnaam="lijst.xlsx", sha256="0" * 64, aantal_leerlingen=1,
        leerlingen_json=json.dumps([rij]),
        waarschuwingen_json=json.dumps([{"code": "postcode_missing", "row": 2, "column": "Postcode", "value": "",
                                         "message": "Rij 2 heeft geen postcode; de woonregio kan niet worden bepaald."}]),
        aantal_waarschuwingen=1)
    return {"leerling": leerling, "aanlevering": aanlevering}


def wizard(page, bron, start, gevonden, kies_schoolsoort=None):
    """Walk the upload wizard to its form, and send it empty: each step's page is checked."""
    page.goto(start)
    if kies_schoolsoort:
        page.get_by_label(kies_schoolsoort).check()
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Potentiële overstapper").check()
    gevonden += [f"{page.url} (wizard): {r}" for r in axe(page, bron)]
    page.get_by_role("button", name="Volgende").click()
    page.get_by_role("heading", name="Stap 3: Format").wait_for()
    gevonden += [f"{page.url} (wizard): {r}" for r in axe(page, bron)]
    page.get_by_role("link", name="Opsturen").click()
    page.get_by_role("heading", name="Stap 4: Opsturen").wait_for()
    gevonden += [f"{page.url} (wizard): {r}" for r in axe(page, bron)]
    page.get_by_role("button", name="Opsturen").click()
    page.wait_for_load_state("networkidle")
    gevonden += [f"{page.url} (wizard, met fouten): {r}" for r in axe(page, bron)]


def test_no_wcag_violations_logged_out(app, browser_page, live_server, axe_bron, gegevens):
    page, gevonden, bezocht = browser_page, [], set()
    for url in list(get_routes(app)) + ["/leerlinglijst/hulp/aanleveren", "/leerlinglijst/hulp/fouten",
                                        "/leerlinglijst/hulp/toevoegen", "/leerlinglijst/hulp/elk-jaar",
                                        f"/leerlinglijst/status/{gegevens['aanlevering'].status_token}",
                                        f"/leerlinglijst/status/{gegevens['aanlevering'].status_token}/intrekken",
                                        "/leerlinglijst/hulp/bestaat-niet"]:
        bezoek(page, axe_bron, url, gevonden, bezocht)
    wizard(page, axe_bron, "/leerlinglijst/", gevonden, kies_schoolsoort="VO")
    # A form with its errors shown.
    page.goto("/inloggen")
    page.get_by_role("button", name="Inloggen").click()
    for regel in axe(page, axe_bron):
        gevonden.append(f"/inloggen (met fouten): {regel}")
    assert len(bezocht) >= 8
    assert gevonden == [], "\n".join(gevonden)


@pytest.mark.parametrize("rol", ["vo", "mbo", "helpdesk"])
def test_no_wcag_violations_logged_in(app, browser_page, live_server, axe_bron, gegevens, rol):
    page, gevonden, bezocht = browser_page, [], set()
    inloggen(page, rol)
    leerling, aanlevering = gegevens["leerling"], gegevens["aanlevering"]
    urls = list(get_routes(app)) + ["/leerlinglijst/hulp/fouten", "/leerlinglijst/hulp/toevoegen"]
    if rol == "vo":
        urls += [f"/leerlingen/{leerling.id}/wijzigen", f"/leerlingen/{leerling.id}/verwijderen",
                 f"/leerlingen/nieuw?type=overstapper&instantie={leerling.instantie.id}",
                 f"/leerlingen/nieuw?type=niet-overstapper&instantie={leerling.instantie.id}",
                 f"/aanleveringen/{aanlevering.id}", "/leerlingen/?q=toeg",
                 f"/aanleveringen/{aanlevering.id}/intrekken"]
    if rol == "mbo":
        urls += [f"/leerlingen/nieuw?type=overstapper&instantie={Instantie.get(Instantie.brin == '99BA').id}"]
    if rol == "helpdesk":
        urls += [f"/helpdesk/{aanlevering.id}", f"/leerlingen/{leerling.id}/wijzigen",
                 f"/helpdesk/{aanlevering.id}/verwerken"]
    for url in urls:
        bezoek(page, axe_bron, url, gevonden, bezocht)
    if rol != "helpdesk":
        wizard(page, axe_bron, "/uploaden/", gevonden)
    if rol == "vo":
        # The student form with every error shown (422), and after an htmx swap and an inline check.
        page.goto(f"/leerlingen/nieuw?type=overstapper&instantie={leerling.instantie.id}")
        page.get_by_role("button", name="Opslaan").click()
        page.wait_for_load_state("networkidle")
        gevonden += [f"nieuwe leerling (met fouten): {r}" for r in axe(page, axe_bron)]
        page.goto("/leerlingen/nieuw")
        page.get_by_label("Niet-overstapper").check()
        page.get_by_label("Instantie").select_option(index=1)
        page.locator("#leerlingformulier legend", has_text="Persoonsgegevens").wait_for()
        page.locator("#bsn").fill("12345")
        page.locator("#voornaam").focus()
        page.locator("#fout-bsn").wait_for()
        page.locator("#tussenvoegsel").fill("vna")
        page.locator("#achternaam").focus()
        page.locator("#let-op-tussenvoegsel").wait_for()
        gevonden += [f"nieuwe leerling (na htmx): {r}" for r in axe(page, axe_bron)]
    assert len(bezocht) >= 5
    assert gevonden == [], "\n".join(gevonden)


def test_no_wcag_violations_on_a_phone(app, browser_page, live_server, axe_bron, gegevens):
    """At 390 px the overview is a list of cards and the footer wraps: axe checks those layouts too."""
    page, gevonden, bezocht = browser_page, [], set()
    page.set_viewport_size({"width": 390, "height": 844})
    leerling, aanlevering = gegevens["leerling"], gegevens["aanlevering"]
    for url in ("/leerlinglijst/", "/leerlinglijst/hulp/", "/leerlinglijst/hulp/fouten"):
        bezoek(page, axe_bron, url, gevonden, bezocht)
    inloggen(page, "vo")
    for url in ("/leerlingen/", f"/leerlingen/nieuw?type=overstapper&instantie={leerling.instantie.id}",
                "/aanleveringen/", f"/aanleveringen/{aanlevering.id}/intrekken"):
        bezoek(page, axe_bron, url, gevonden, bezocht)
    assert len(bezocht) == 7
    assert gevonden == [], "\n".join(gevonden)
