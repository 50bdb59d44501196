"""The help pages: on the public site and in the portal, linked from every page, and the page of
common errors generated from the catalog (every code, each with its fix)."""
import html as html_lib
import re

import pytest

from leerlinglijst_site.hulp import ONDERWERPEN, bericht_met_plaatshouders
from portal.lijsten.errors import CATALOG

TITELS = [
    "Hoe lever ik een leerlinglijst aan?",
    "Welke fouten komen voor binnen leerlinglijsten?",
    "Hoe kan ik leerlingen toevoegen?",
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
        assert html_lib.unescape(re.sub(r"<[^>]+>", "", str(bericht_met_plaatshouders(soort.bericht)))) in leesbaar, code
        assert soort.oplossing in leesbaar, code
    assert "{" not in leesbaar.split("Soorten meldingen")[-1]     # no raw placeholders shown
    assert leesbaar.count("Oplossing:") == len(CATALOG)


def test_placeholders_are_shown_as_words_and_escaped():
    uit = str(bericht_met_plaatshouders("{kolom} is verplicht (rij {rij}) <b>"))
    assert uit == "<var>kolomtitel</var> is verplicht (rij <var>rijnummer</var>) &lt;b&gt;"


def test_yearly_delivery_says_yes_per_schooljaar(client):
    leesbaar = tekst(client.get("/leerlinglijst/hulp/elk-jaar"))
    assert "Ja." in leesbaar and "per schooljaar" in leesbaar
