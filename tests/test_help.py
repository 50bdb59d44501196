"""The help pages: on the public site and in the portal, linked from every page, and the page of
common errors generated from the catalog (every code, each with its fix)."""
import html as html_lib
import re

import pytest

from leerlinglijst_site.hulp import ONDERWERPEN, voorbeeldbericht
from portal.lijsten.errors import CATALOG

# The seed's four help links (issue 11, point 13), with the product name of the PRODUCT_NAAM setting.
TITELS = [
    "Hoe lever ik een leerlinglijst aan?",
    "Welke fouten komen voor binnen leerlinglijsten?",
    "Hoe kan ik leerlingen toevoegen aan InterGrip?",
    "Moeten leerlingen elk jaar opnieuw aangeleverd worden?",
]


def tekst(response):
    return html_lib.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def test_the_four_topics_exist_with_their_titles():
    assert [o.titel for o in ONDERWERPEN.values()] == TITELS


@pytest.mark.parametrize("slug", list(ONDERWERPEN))
def test_every_topic_on_the_public_site(client, slug):
    r = client.get(f"/leerlinglijst/hulp/{slug}")
    assert r.status_code == 200
    pagina = r.get_data(as_text=True)
    assert f"<h1>{html_lib.escape(ONDERWERPEN[slug].titel, quote=False)}</h1>" in pagina
    assert "Inloggen portaal" in pagina and "Uitloggen" not in pagina
    for titel in TITELS:                                     # footer and side menu link every topic
        assert pagina.count(html_lib.escape(titel, quote=False)) >= 2


def test_help_in_the_portal_uses_the_portal_layout(login, client):
    login("vo")
    r = client.get("/leerlinglijst/hulp/toevoegen")
    assert r.status_code == 200
    pagina = r.get_data(as_text=True)
    assert "Uitloggen" in pagina and "Hoofdmenu" in pagina
    assert "+ Nieuwe leerling" in tekst(r)


def test_help_is_linked_from_every_portal_page(login, client):
    login("vo")
    for pad in ("/", "/leerlingen/", "/leerlingen/nieuw"):
        pagina = client.get(pad).get_data(as_text=True)
        assert 'href="/leerlinglijst/hulp/fouten"' in pagina, pad


def test_unknown_topic_is_404(client):
    assert client.get("/leerlinglijst/hulp/bestaat-niet").status_code == 404


def test_error_page_lists_every_catalog_code_with_its_fix(client):
    r = client.get("/leerlinglijst/hulp/fouten")
    pagina = r.get_data(as_text=True)
    leesbaar = tekst(r)
    for code, soort in CATALOG.items():
        assert f'id="{code}"' in pagina, code
        assert html_lib.unescape(re.sub(r"<[^>]+>", "", str(voorbeeldbericht(code, soort.bericht)))) in leesbaar, code
        assert soort.oplossing in leesbaar, code
    assert "{" not in leesbaar.split("Soorten meldingen")[-1]     # no raw placeholders shown
    assert leesbaar.count("Oplossing:") == len(CATALOG)


def test_error_page_fills_in_example_values_and_keeps_codes_out_of_the_text(client):
    """Issue 11, point 15: "maximaal *maximum* MB" and "(code file_missing)" after every item."""
    r = client.get("/leerlinglijst/hulp/fouten")
    pagina, leesbaar = r.get_data(as_text=True), tekst(r)
    assert "Het bestand is te groot (maximaal 20 MB)." in leesbaar                     # MAX_UPLOAD_BYTES
    assert "het maximum is 50.000." in leesbaar                                        # MAX_UPLOAD_ROWS
    assert "Voornaam is verplicht" not in leesbaar and "Achternaam is verplicht (rij 5); vul het in." in leesbaar
    assert "Het BSN 123456789 bestaat niet" in leesbaar
    for woord in ("maximum", "rijnummer", "kolomtitel", "format van het bestand", "gekozen format"):
        assert f"<var>{woord}</var>" not in pagina, woord
    assert "(code" not in leesbaar and "file_missing" not in leesbaar
    assert 'title="Code voor de helpdesk: file_missing"' in pagina                       # small print for the helpdesk


def test_error_page_uses_the_configured_limits(app, client):
    app.config.update(MAX_UPLOAD_BYTES=5 * 1024 * 1024, MAX_UPLOAD_ROWS=10_000)
    leesbaar = tekst(client.get("/leerlinglijst/hulp/fouten"))
    assert "(maximaal 5 MB)" in leesbaar and "het maximum is 10.000." in leesbaar


def test_example_values_are_escaped():
    uit = str(voorbeeldbericht("required", "{kolom} is verplicht (rij {rij}) <b>"))
    assert uit == "<var>Achternaam</var> is verplicht (rij <var>5</var>) &lt;b&gt;"


def test_meer_informatie_block_and_klik_hier_on_every_page(login, client):
    """Issue 11, point 13: the seed's MEER INFORMATIE block with "Voor meer informatie en onderwerpen:
    klik hier", on the public site and in the portal; the link leads to every topic and the helpdesk."""
    for pad in ("/leerlinglijst/", "/inloggen"):
        leesbaar = tekst(client.get(pad))
        assert "Meer informatie" in leesbaar and "Voor meer informatie en onderwerpen: klik hier" in leesbaar, pad
        for titel in TITELS:
            assert titel in leesbaar, (pad, titel)
    login("vo")
    pagina = client.get("/").get_data(as_text=True)
    assert '<a href="/leerlinglijst/hulp/">klik hier</a>' in pagina
    r = client.get("/leerlinglijst/hulp/")
    assert r.status_code == 200
    overzicht = tekst(r).split("Naar de inhoud", 1)[-1]
    assert "<h1>Meer informatie</h1>" in r.get_data(as_text=True)
    for titel in TITELS:
        assert titel in overzicht
    assert "helpdesk-team@voorbeeld.nl" in overzicht


def test_product_names_are_settings(app, client):
    """Issue 11, points 12 and 13: the portal's and the public site's names come from the settings
    (defaults InterGrip Portaal and leerlinglijst.nl), in the header and the page title."""
    pagina = client.get("/leerlinglijst/hulp/toevoegen").get_data(as_text=True)
    assert '<a class="kop__naam" href="/leerlinglijst/">leerlinglijst.nl</a>' in pagina
    assert "<h1>Hoe kan ik leerlingen toevoegen aan InterGrip?</h1>" in pagina
    assert "– leerlinglijst.nl</title>" in pagina
    app.config.update(PRODUCT_NAAM="Regio Overstap", PORTAAL_NAAM="Regio Portaal", SITE_NAAM="lijsten.regio.nl")
    pagina = client.get("/leerlinglijst/hulp/toevoegen").get_data(as_text=True)
    assert ">lijsten.regio.nl</a>" in pagina and "<h1>Hoe kan ik leerlingen toevoegen aan Regio Overstap?</h1>" in pagina
    assert "– lijsten.regio.nl</title>" in pagina and "Regio Portaal" in pagina


def test_portal_header_and_title_carry_the_portal_name(login, client):
    login("vo")
    pagina = client.get("/").get_data(as_text=True)
    assert '<a class="kop__naam" href="/">InterGrip Portaal</a>' in pagina
    assert "– InterGrip Portaal</title>" in pagina


def test_glossary_one_name_per_thing():
    """Issue 11, point 12: one word for the portal (portaal, never "portal") and one for the public
    site (its name, never "openbare"/"publieke site" or "publiek"), in every template the user sees."""
    import pathlib
    verboden = re.compile(r"\b(openbare site|publieke site|Leerlingenportaal|leerlingenportaal)\b|>publiek<|\bportal\b")
    gevonden = []
    for pad in sorted(pathlib.Path("templates").rglob("*")):
        if pad.suffix not in (".html", ".txt"):
            continue
        for nummer, regel in enumerate(pad.read_text(encoding="utf-8").splitlines(), 1):
            zichtbaar = re.sub(r"\{[{%#].*?[}%#]\}", "", regel)          # Jinja code may say 'portal' (the kanaal value)
            zichtbaar = re.sub(r'(class|id|href|action|name|for)="[^"]*"', "", zichtbaar)
            if verboden.search(zichtbaar):
                gevonden.append(f"{pad}:{nummer}: {regel.strip()}")
    assert gevonden == []


def test_yearly_delivery_says_yes_per_schooljaar(client):
    leesbaar = tekst(client.get("/leerlinglijst/hulp/elk-jaar"))
    assert "Ja." in leesbaar and "per schooljaar" in leesbaar
