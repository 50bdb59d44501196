"""The Leerlingen area: overview (search, filters, sorting, pages), manual entry with the file
check's rules, editing, deleting, scoping and the export round trip."""
import io
import random
import re
import zipfile

import pytest
from flask import Flask, request

from portal.leerlingformulier import maak_formulier, model_waarden
from portal.lijsten.export import export_xlsx
from portal.lijsten.formats import FORMATS, format_voor
from portal.lijsten.validate import check_bytes, check_record
from portal.models import Gebeurtenis, Instantie, Leerling
from portal.schooljaar import schooljaar
from tests import builders
from tests.builders import VANDAAG, geldig_onderwijsnummer

HTMX = {"HX-Request": "true"}
VO_OVER = FORMATS["VO-overstapper"]


def tekst(waarde):
    return "" if waarde is None else builders._csv_waarde(waarde)


def formdata(fmt, rng=None, **overrides):
    """A valid student of `fmt` as the form posts it (keys are veld names, values text)."""
    rij = builders.leerling(fmt, rng or random.Random(7), vandaag=VANDAAG, **overrides)
    return {k.veld: tekst(rij[k.titel]) for k in fmt.kolommen}


def instantie(brin):
    return Instantie.get(Instantie.brin == brin)


def maak_leerlingen(inst, aantal, soort="overstapper", seed=1, jaar=None, **overrides):
    """Store `aantal` valid students in `inst` (through check_record, as the form would)."""
    fmt = format_voor(inst.schoolsoort, soort)
    rng = random.Random(seed)
    uit = []
    for i in range(aantal):
        waarden = formdata(fmt, rng, **overrides)
        waarden["leerlingnummer"] = f"{seed}-{i + 1:05d}"
        schoon, bevindingen = check_record(fmt, waarden, vandaag=VANDAAG)
        assert not [b for b in bevindingen if b.is_fout], bevindingen
        uit.append(Leerling.create(instantie=inst, type=soort, schooljaar=jaar or schooljaar(),
                                   **model_waarden(fmt, schoon)))
    return uit


@pytest.fixture
def client(client):
    """The test client, with the CSRF token added to every POST (after logging in)."""
    from tests.conftest import csrf_from
    gewoon_post = client.post

    def post(url, data=None, **kw):
        if not url.startswith("/inloggen"):
            data = dict(data or {})
            data.setdefault("csrf_token", csrf_from(html(client.get("/leerlingen/"))))
        return gewoon_post(url, data=data, **kw)
    client.post = post
    return client


def html(response):
    return response.get_data(as_text=True)


def rijen(response):
    return re.findall(r'<td[^>]*><a href="/leerlingen/(\d+)/wijzigen">', html(response))


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------
def test_overview_shows_own_instanties_only_with_bsn_masked(app, login, client):
    eigen = maak_leerlingen(instantie("99AA"), 2)
    mbo = maak_leerlingen(Instantie.get(Instantie.schoolsoort == "MBO"), 1, seed=2)
    login("vo")
    r = client.get("/leerlingen/")
    assert r.status_code == 200
    pagina = html(r)
    assert "+ Nieuwe leerling" in pagina
    assert sorted(rijen(r)) == sorted(str(l.id) for l in eigen)
    assert mbo[0].achternaam not in pagina or f"/leerlingen/{mbo[0].id}/" not in pagina
    for l in eigen:
        assert l.bsn not in pagina
        assert "*****" + l.bsn[-4:] in pagina
    assert "2 leerlingen" in re.sub(r"<[^>]+>", "", pagina)


def test_helpdesk_sees_every_instantie(app, login, client):
    vo = maak_leerlingen(instantie("99AA"), 1)
    mbo = maak_leerlingen(Instantie.get(Instantie.schoolsoort == "MBO"), 1, seed=2)
    login("helpdesk")
    r = client.get("/leerlingen/")
    assert sorted(rijen(r)) == sorted(str(l.id) for l in vo + mbo)


def test_search_by_name_and_leerlingnummer_as_fragment(app, login, client):
    alle = maak_leerlingen(instantie("99AA"), 6)
    doel = alle[3]
    doel.achternaam, doel.voornaam = "Zwartewaterland", "Pieternel"
    doel.save()
    login("vo")
    r = client.get("/leerlingen/?q=zwartewater", headers=HTMX)
    assert r.status_code == 200
    assert "<html" not in html(r) and 'id="resultaten"' in html(r)
    assert "HX-Request" in r.headers["Vary"]
    assert rijen(r) == [str(doel.id)]
    assert "1 leerling gevonden" in html(r)             # announced in the live region
    assert rijen(client.get("/leerlingen/?q=pieternel zwarte")) == [str(doel.id)]
    assert rijen(client.get(f"/leerlingen/?q={doel.leerlingnummer}")) == [str(doel.id)]
    assert rijen(client.get("/leerlingen/?q=%25")) != []         # a wildcard is not a pattern
    assert rijen(client.get("/leerlingen/?q=bestaatniet")) == []


def test_filters_type_instantie_klas_leerjaar_schooljaar(app, login, client):
    a, b = instantie("99AA"), instantie("99AB")
    over = maak_leerlingen(a, 3, klas="4B")
    niet = maak_leerlingen(a, 2, "niet-overstapper", seed=3, klas="2C", leerjaar=2, onderwijsniveau="HAVO")
    ander = maak_leerlingen(b, 2, seed=4, jaar="2020-2021")
    mbo = Instantie.get(Instantie.schoolsoort == "MBO")
    login("vo")
    ids = lambda url: sorted(rijen(client.get(url)))  # noqa: E731
    assert ids("/leerlingen/?type=niet-overstapper") == sorted(str(l.id) for l in niet)
    assert ids(f"/leerlingen/?instantie={b.id}") == sorted(str(l.id) for l in ander)
    assert ids("/leerlingen/?klas=2C") == sorted(str(l.id) for l in niet)
    assert ids("/leerlingen/?leerjaar=2&type=niet-overstapper") == sorted(str(l.id) for l in niet)
    assert ids("/leerlingen/?schooljaar=2020-2021") == sorted(str(l.id) for l in ander)
    assert ids(f"/leerlingen/?schooljaar={schooljaar()}") == sorted(str(l.id) for l in over + niet)
    # Another school's instantie as a filter shows nothing of that school.
    assert ids(f"/leerlingen/?instantie={mbo.id}") == sorted(str(l.id) for l in over + niet + ander)


def test_pages_and_sorting(app, login, client):
    alle = maak_leerlingen(instantie("99AA"), 120)
    login("vo")
    r = client.get("/leerlingen/")
    assert len(rijen(r)) == 50
    assert "pagina 1 van 3" in html(r)
    r3 = client.get("/leerlingen/?pagina=3", headers=HTMX)
    assert len(rijen(r3)) == 20 and "<html" not in html(r3)
    assert "pagina=2" in html(r3)                               # a link back
    gezien = set(rijen(r)) | set(rijen(client.get("/leerlingen/?pagina=2"))) | set(rijen(r3))
    assert gezien == {str(l.id) for l in alle}
    assert len(rijen(client.get("/leerlingen/?pagina=99"))) == 20   # clamped to the last page
    op_nummer = sorted(alle, key=lambda l: l.leerlingnummer, reverse=True)
    r = client.get("/leerlingen/?sorteer=-leerlingnummer")
    assert rijen(r)[:5] == [str(l.id) for l in op_nummer[:5]]
    assert 'aria-sort="descending"' in html(r)
    assert rijen(client.get("/leerlingen/?sorteer=nonsense")) == rijen(client.get("/leerlingen/"))


def _divers(inst_a, inst_b, aantal=131):
    """Students that differ in every sorted column, with ties (same name, klas, date) and an empty leerjaar."""
    rng = random.Random(11)
    uit = []
    for i in range(aantal):
        uit.append(Leerling.create(
            instantie=inst_a if i % 3 else inst_b, type=rng.choice(["overstapper", "niet-overstapper"]),
            schooljaar=rng.choice(["2025-2026", "2026-2027", "2024-2025"]), leerlingnummer=f"{rng.randrange(10**6):06d}-{i}",
            voorletters="A.", voornaam=rng.choice(["Anna", "Bram", "Çem"]), achternaam=rng.choice(["Berg", "de Wit", "Ölmez", "Berg"]),
            geslacht="V", geboortedatum=f"2010-0{rng.randint(1, 3)}-1{rng.randint(0, 2)}",
            klas=rng.choice(["4B", "2A", ""]), leerjaar=rng.choice([None, 1, 2, 4])))
    return uit


def _links(pagina, naam):
    gevonden = re.search(r'<a href="([^"]+)"[^>]*>[^<]*' + naam, pagina)
    return gevonden.group(1).replace("&amp;", "&") if gevonden else None


@pytest.mark.parametrize("sorteer", [s for k in ("naam", "leerlingnummer", "geboortedatum", "klas", "leerjaar",
                                                  "type", "instantie", "schooljaar") for s in (k, f"-{k}")])
@pytest.mark.parametrize("veel", [False, True], ids=["weinig", "veel"])
def test_walking_the_pages_by_their_links_shows_every_student_once_in_order(app, login, client, sorteer, veel,
                                                                           monkeypatch):
    """Volgende from the first page to the last, then Vorige back: every student once, in the order of
    the whole sorted list, and Laatste is the same last page. Links only (keyset), as without JavaScript.
    'veel': as with more than VEEL_TREFFERS students, when the sorts on few values read value by value."""
    from portal import leerlingen
    from portal.leerlingen import Filters, sorteer as sorteer_query, zoek
    from portal.models import Gebruiker
    if veel:
        monkeypatch.setattr(leerlingen, "VEEL_TREFFERS", 10)
    _divers(instantie("99AA"), instantie("99AB"))
    login("vo")
    filters = Filters(sorteer=sorteer)
    verwacht = [str(l.id) for l in sorteer_query(zoek(Gebruiker.get(Gebruiker.email == "vo@demo.nl"), filters), filters)]
    assert len(verwacht) == 131

    pagina = html(client.get(f"/leerlingen/?sorteer={sorteer}"))
    paginas, url = [rijen_van(pagina)], _links(pagina, "Volgende")
    assert "pagina 1 van 3" in pagina and _links(pagina, "Vorige") is None
    while url:
        assert "na=" in url
        pagina = html(client.get(url))
        paginas.append(rijen_van(pagina))
        url = _links(pagina, "Volgende")
    assert [i for p in paginas for i in p] == verwacht
    assert [len(p) for p in paginas] == [50, 50, 31] and "pagina 3 van 3" in pagina

    laatste = _links(html(client.get(f"/leerlingen/?sorteer={sorteer}")), "Laatste")
    assert rijen_van(html(client.get(laatste))) == paginas[-1]
    assert rijen_van(html(client.get(f"/leerlingen/?sorteer={sorteer}&pagina=2"))) == paginas[1]  # by number
    terug = []
    while (url := _links(pagina, "Vorige")) is not None:
        pagina = html(client.get(url, headers=HTMX))
        terug.append(rijen_van(pagina))
    assert terug == paginas[-2::-1]


def rijen_van(pagina):
    return re.findall(r'<td[^>]*><a href="/leerlingen/(\d+)/wijzigen">', pagina)


def test_a_link_from_a_student_who_is_gone_or_hidden_gives_the_page_by_its_number(app, login, client):
    alle = _divers(instantie("99AA"), instantie("99AB"), aantal=60)
    mbo = maak_leerlingen(Instantie.get(Instantie.schoolsoort == "MBO"), 1, seed=3)
    login("vo")
    eerste, tweede = rijen(client.get("/leerlingen/")), rijen(client.get("/leerlingen/?pagina=2"))
    assert len(eerste) == 50 and len(tweede) == 10 and set(eerste) | set(tweede) == {str(l.id) for l in alle}
    # Another school's student as the place to start reveals nothing: page 2 as counted.
    assert rijen(client.get(f"/leerlingen/?pagina=2&na={mbo[0].id}")) == tweede
    weg = Leerling.get_by_id(int(eerste[-1]))
    weg.delete_instance()
    r = client.get(f"/leerlingen/?pagina=2&na={weg.id}")
    assert r.status_code == 200 and rijen(r) == rijen(client.get("/leerlingen/?pagina=2"))
    assert str(weg.id) not in rijen(r) and len(rijen(r)) == 9


def test_search_finds_name_parts_and_leerlingnummer_starts(app, login, client):
    a = instantie("99AA")
    def maak(nummer, voornaam, achternaam, tussenvoegsel=""):
        return Leerling.create(instantie=a, type="overstapper", schooljaar=schooljaar(), leerlingnummer=nummer,
                               voorletters="X.", voornaam=voornaam, tussenvoegsel=tussenvoegsel, achternaam=achternaam,
                               geslacht="M", geboortedatum="2011-05-05")
    bakker = maak("120045", "Pieter", "Bakker", "de")
    abakus = maak("451200", "Ayla", "Abakus")
    jansen = maak("AB-77", "Jan", "Jansen-Özdemir")
    login("vo")

    def ids(q):
        return sorted(rijen(client.get("/leerlingen/?q=" + q)))
    assert ids("akker") == [str(bakker.id)]                        # three letters or more: anywhere
    assert ids("bak") == sorted([str(bakker.id), str(abakus.id)])
    assert ids("ba") == [str(bakker.id)]                           # two letters: the start of a name
    assert ids("BAKKER") == [str(bakker.id)]                       # case does not count
    assert ids("12") == [str(bakker.id)]                           # a number: the start of the leerlingnummer
    assert ids("1200") == [str(bakker.id)] and ids("451") == [str(abakus.id)]
    assert ids("ab-7") == [str(jansen.id)]
    assert ids("özd") == [str(jansen.id)] and ids("de pieter") == [str(bakker.id)]   # tussenvoegsel too
    assert ids("jan bakker") == []                                 # every word must match
    assert len(ids("j")) == 3                                      # one letter is no search term
    assert ids("%25") == ids("") and ids("%23") == ids("")         # wildcards and the separator are text

    # The search text follows a change and a removal (SQLite: the triggers of the FTS5 table).
    bakker.achternaam = "Smid"
    bakker.save()
    assert ids("akker") == [] and ids("smid") == [str(bakker.id)]
    abakus.delete_instance()
    assert ids("bak") == []


# ---------------------------------------------------------------------------------------------
# Manual entry
# ---------------------------------------------------------------------------------------------
def test_new_asks_type_and_instantie_then_shows_the_schema_form(app, login, client):
    login("vo")
    a = instantie("99AA")
    r = client.get("/leerlingen/nieuw")
    assert r.status_code == 200
    pagina = html(r)
    assert "Type leerling" in pagina and "Potentiële overstapper" in pagina and "Niet-overstapper" in pagina
    assert '<label for="keuze-instantie">Instantie' in pagina
    assert "Verder" in pagina and 'name="leerlingnummer"' not in pagina
    r = client.get(f"/leerlingen/nieuw?type=niet-overstapper&instantie={a.id}", headers=HTMX)
    fragment = html(r)
    assert "<html" not in fragment and 'id="leerlingformulier"' in fragment
    fmt = FORMATS["VO-niet-overstapper"]
    for kolom in fmt.kolommen:
        assert re.search(rf'<label for="{kolom.veld}"[^>]*>{re.escape(kolom.titel)}[< ]', fragment), kolom.titel
    for sectie in ("Leerling", "Persoonsgegevens", "Adres en contact", "School"):
        assert f"<legend>{sectie}</legend>" in fragment
    assert 'name="profiel_sector"' not in fragment              # an overstapper-only column
    assert re.search(r'id="achternaam"[^>]*aria-required="true"|aria-required="true"[^>]*id="achternaam"', fragment)
    assert 'hx-post="/leerlingen/veld?' in fragment


def test_mbo_beheerder_gets_the_mbo_form(app, login, client):
    login("mbo")
    r = client.get(f"/leerlingen/nieuw?type=overstapper&instantie={instantie('99BA').id}")
    for titel in ("Crebocode", "Leerweg", "Cohort", "Verwachte einddatum"):
        assert f">{titel}<" in html(r)


def test_saving_a_student_shows_it_in_the_overview_at_once(app, login, client):
    login("vo")
    a = instantie("99AA")
    data = formdata(VO_OVER, achternaam="Oranjeboom", leerlingnummer="NIEUW-1")
    r = client.post(f"/leerlingen/nieuw?type=overstapper&instantie={a.id}", data=data)
    assert r.status_code == 303 and r.headers["Location"].endswith("/leerlingen/")
    leerling = Leerling.get(Leerling.leerlingnummer == "NIEUW-1")
    assert (leerling.instantie.id, leerling.type, leerling.schooljaar) == (a.id, "overstapper", schooljaar())
    assert leerling.bsn == data["bsn"] and leerling.telefoonnummer.startswith("+31")
    overzicht = html(client.get("/leerlingen/"))
    assert "Oranjeboom" in overzicht and "is opgeslagen" in overzicht
    assert Gebeurtenis.select().where(Gebeurtenis.actie == "leerling_toegevoegd").count() == 1
    assert leerling.bsn not in Gebeurtenis.get().details


def test_invalid_entry_is_422_with_the_file_checks_messages(app, login, client):
    login("vo")
    a = instantie("99AA")
    data = formdata(VO_OVER, bsn="123456789", voornaam="J4n", geboortedatum="31-02-2010")
    r = client.post(f"/leerlingen/nieuw?type=overstapper&instantie={a.id}", data=data)
    assert r.status_code == 422
    pagina = html(r)
    assert "Het BSN 123456789 bestaat niet: het voldoet niet aan de elfproef." in pagina
    assert "Voornaam bevat tekens die niet zijn toegestaan" in pagina
    assert "geen geldige datum" in pagina
    assert "(rij" not in pagina                                # no row numbers in a form
    assert 'aria-invalid="true"' in pagina and 'href="#bsn"' in pagina
    assert Leerling.select().count() == 0


def test_onderwijsnummer_required_when_bsn_is_empty(app, login, client):
    login("vo")
    a = instantie("99AA")
    url = f"/leerlingen/nieuw?type=overstapper&instantie={a.id}"
    r = client.post(url, data=formdata(VO_OVER, bsn=None, onderwijsnummer=None))
    assert r.status_code == 422
    assert re.search(r'id="rij-bsn".*?Vul het BSN in, of het onderwijsnummer als de leerling geen BSN heeft.',
                     html(r), re.S)
    r = client.post(url, data=formdata(VO_OVER, bsn=None, onderwijsnummer=geldig_onderwijsnummer(random.Random(3))))
    assert r.status_code == 303
    assert Leerling.get().bsn is None


def test_inline_check_returns_the_fields_row(app, login, client):
    login("vo")
    a = instantie("99AA")
    url = f"/leerlingen/veld?type=overstapper&instantie={a.id}"
    data = {**formdata(VO_OVER, bsn="12345678X"), "_veld": "bsn"}
    r = client.post(url, data=data, headers=HTMX)
    assert r.status_code == 200
    fragment = html(r)
    assert "<html" not in fragment and fragment.strip().startswith('<div class="veld veld--fout" id="rij-bsn"')
    assert "Een BSN bestaat alleen uit cijfers." in fragment
    assert 'id="rij-voornaam"' not in fragment
    # The row comes back with its hint: the layout under the pointer does not move.
    assert 'id="hint-bsn"' in fragment and 'id="hint-bsn"' in html(client.get(f"/leerlingen/nieuw?type=overstapper&instantie={a.id}"))
    r = client.post(url, data={**data, "bsn": "", "onderwijsnummer": ""}, headers=HTMX)
    assert "Vul het BSN in, of het onderwijsnummer" in html(r) and 'id="rij-onderwijsnummer"' not in html(r)
    # A warning shows without blocking.
    r = client.post(url, data={**data, "_veld": "tussenvoegsel", "tussenvoegsel": "vna"}, headers=HTMX)
    assert "Tussenvoegsel" in html(r) and "onbekend" in html(r) and "veld--fout" not in html(r)
    assert client.post(url, data={**data, "_veld": "geheim"}).status_code == 400


EXCEL_WOORDEN = ("Excel", "opgemaakt als Tekst", "Kies uit", "komt één keer voor in de lijst", "kolom",
                 "Een BSN van 8 cijfers krijgt een 0 ervoor", "(rij")


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_the_form_speaks_of_fields_not_of_excel_columns(app, login, client, fmt):
    """Issue 11, point 10: the manual-add form shows no Excel wording, and the seed's labels:
    "Leerling toevoegen", the sections Type leerling / Instantie / Leerling / Persoonsgegevens,
    "BSN *" and "Onderwijsnummer (verplicht indien BSN niet beschikbaar is)"."""
    login("vo" if fmt.schoolsoort == "VO" else "mbo")
    a = instantie("99AA" if fmt.schoolsoort == "VO" else "99BA")
    url = f"/leerlingen/nieuw?type={fmt.soort}&instantie={a.id}"
    pagina = html(client.get(url))
    leesbaar = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", pagina.split('id="inhoud"')[1].split("<footer")[0]))
    for woord in EXCEL_WOORDEN:
        assert woord not in leesbaar, woord
    assert "<h1>Leerling toevoegen</h1>" in pagina
    for sectie in ("Type leerling", "Instantie", "Leerling", "Persoonsgegevens"):
        assert re.search(rf"<(legend|label|p)[^>]*>{sectie}(<span|</legend>|</label>|</p>)", pagina), sectie
    assert re.search(r'<label for="bsn"[^>]*>BSN<span class="verplicht" aria-hidden="true">\*</span>', pagina)
    assert re.search(r'<label for="onderwijsnummer"[^>]*>Onderwijsnummer \(verplicht indien BSN niet beschikbaar is\)</label>',
                     pagina)
    for kolom in fmt.kolommen:
        if kolom.waarden:                      # a dropdown: its options say what may be chosen
            assert f'id="hint-{kolom.veld}"' not in pagina, kolom.veld
    # Saving an empty form: messages for a form ("kies" for a dropdown), no rows, no columns.
    r = client.post(url, data={k.veld: "" for k in fmt.kolommen})
    assert r.status_code == 422
    fouten = re.sub(r"<[^>]+>", "", html(r).split('id="foutoverzicht"')[1].split("</ul>")[0])
    assert "Geslacht is verplicht; kies een waarde uit de lijst." in fouten
    assert "Achternaam is verplicht; vul het in." in fouten
    assert "Geslacht is verplicht; vul het in." not in fouten
    for woord in EXCEL_WOORDEN:
        assert woord not in fouten, woord


def test_form_variants_replace_the_files_column_wording(app, login, client):
    login("vo")
    a = instantie("99AA")
    url = f"/leerlingen/nieuw?type=overstapper&instantie={a.id}"
    onderwijsnummer = geldig_onderwijsnummer(random.Random(4))
    r = client.post(url, data=formdata(VO_OVER, bsn=onderwijsnummer, tussenvoegsel=None, achternaam="van Dijk",
                                       geslacht="Q"))
    leesbaar = html(r)
    assert "Dit is een onderwijsnummer (het begint met 10); vul het in bij Onderwijsnummer en laat BSN leeg." in leesbaar
    assert "vul dat in bij Tussenvoegsel" in leesbaar
    assert "Kies bij Geslacht M (man), V (vrouw) of O (onbekend of anders)." in leesbaar
    assert "in de kolom" not in leesbaar


def test_numbers_already_used_in_the_instantie(app, login, client):
    a, b = instantie("99AA"), instantie("99AB")
    bestaand = maak_leerlingen(a, 1)[0]
    login("vo")
    url = f"/leerlingen/nieuw?type=overstapper&instantie={a.id}"
    r = client.post(url, data=formdata(VO_OVER, leerlingnummer=bestaand.leerlingnummer))
    assert r.status_code == 422
    assert f"Leerlingnummer {bestaand.leerlingnummer} is al in gebruik" in html(r)
    r = client.post(url, data=formdata(VO_OVER, bsn=bestaand.bsn))
    assert r.status_code == 422 and "Dit BSN is al in gebruik" in html(r)
    r = client.post(f"/leerlingen/veld?type=overstapper&instantie={a.id}",
                    data={**formdata(VO_OVER, bsn=bestaand.bsn), "_veld": "bsn"}, headers=HTMX)
    assert "Dit BSN is al in gebruik" in html(r)
    # The same numbers at another instantie are fine.
    r = client.post(f"/leerlingen/nieuw?type=overstapper&instantie={b.id}",
                    data=formdata(VO_OVER, leerlingnummer=bestaand.leerlingnummer, bsn=bestaand.bsn))
    assert r.status_code == 303


def test_integrity_error_becomes_a_message(app, login, client, monkeypatch):
    import portal.leerlingen as views
    a = instantie("99AA")
    bestaand = maak_leerlingen(a, 1)[0]
    monkeypatch.setattr(views, "_bestaande", lambda *args, **kw: (lambda veld, waarde: None))
    login("vo")
    r = client.post(f"/leerlingen/nieuw?type=overstapper&instantie={a.id}",
                    data=formdata(VO_OVER, leerlingnummer=bestaand.leerlingnummer))
    assert r.status_code == 422
    assert "is al in gebruik" in html(r)
    assert Leerling.select().count() == 1


def test_edit_and_delete_with_confirmation(app, login, client):
    leerling = maak_leerlingen(instantie("99AA"), 2)[0]
    login("vo")
    r = client.get(f"/leerlingen/{leerling.id}/wijzigen")
    assert r.status_code == 200 and f'value="{leerling.leerlingnummer}"' in html(r)
    assert f'value="{leerling.geboortedatum.strftime("%d-%m-%Y")}"' in html(r)
    data = builders_formulier(leerling)
    data["achternaam"] = "Vernieuwd"
    r = client.post(f"/leerlingen/{leerling.id}/wijzigen", data=data)
    assert r.status_code == 303
    assert Leerling.get_by_id(leerling.id).achternaam == "Vernieuwd"
    r = client.get(f"/leerlingen/{leerling.id}/verwijderen")
    assert r.status_code == 200 and "Weet u zeker" in html(r) and "Vernieuwd" in html(r)
    assert Leerling.get_or_none(Leerling.id == leerling.id) is not None       # asking deletes nothing
    r = client.post(f"/leerlingen/{leerling.id}/verwijderen")
    assert r.status_code == 303
    assert Leerling.get_or_none(Leerling.id == leerling.id) is None
    assert Leerling.select().count() == 1


def builders_formulier(leerling):
    from portal.leerlingformulier import formulier_waarden
    return formulier_waarden(format_voor(leerling.instantie.schoolsoort, leerling.type), leerling)


def test_another_schools_student_is_404(app, login, client):
    mbo = maak_leerlingen(Instantie.get(Instantie.schoolsoort == "MBO"), 1)[0]
    login("vo")
    for methode, url in [("get", f"/leerlingen/{mbo.id}/wijzigen"), ("post", f"/leerlingen/{mbo.id}/wijzigen"),
                         ("get", f"/leerlingen/{mbo.id}/verwijderen"), ("post", f"/leerlingen/{mbo.id}/verwijderen"),
                         ("post", f"/leerlingen/veld?leerling={mbo.id}"), ("get", "/leerlingen/999999/wijzigen")]:
        r = getattr(client, methode)(url, data={"_veld": "bsn"} if methode == "post" else None)
        assert r.status_code == 404, url
    assert Leerling.get_or_none(Leerling.id == mbo.id) is not None


def test_anonymous_is_sent_to_login(client):
    r = client.get("/leerlingen/")
    assert r.status_code in (302, 303) and "/inloggen" in r.headers["Location"]


# ---------------------------------------------------------------------------------------------
# The same rules as the file check
# ---------------------------------------------------------------------------------------------
REGELS = [
    # (format, overrides by veld) — each run through the form and through a one-row file
    ("VO-overstapper", {}),
    ("VO-overstapper", {"bsn": "123456789"}),
    ("VO-overstapper", {"bsn": "12345678"}),
    ("VO-overstapper", {"bsn": "12345672"}),
    ("VO-overstapper", {"bsn": "1234"}),
    ("VO-overstapper", {"bsn": "12a456789"}),
    ("VO-overstapper", {"bsn": "1,23457E+08"}),
    ("VO-overstapper", {"bsn": None, "onderwijsnummer": None}),
    ("VO-overstapper", {"bsn": None, "onderwijsnummer": "101222332"}),
    ("VO-overstapper", {"onderwijsnummer": "GEN"}),
    ("VO-overstapper", {"leerlingnummer": "12 34"}),
    ("VO-overstapper", {"leerlingnummer": None}),
    ("VO-overstapper", {"voorletters": "j h"}),
    ("VO-overstapper", {"voorletters": "J1"}),
    ("VO-overstapper", {"voornaam": "Jan3"}),
    ("VO-overstapper", {"tussenvoegsel": "vander de la"}),
    ("VO-overstapper", {"tussenvoegsel": "vna"}),
    ("VO-overstapper", {"tussenvoegsel": None, "achternaam": "van Dijk"}),
    ("VO-overstapper", {"geslacht": "jongen"}),
    ("VO-overstapper", {"geslacht": "Q"}),
    ("VO-overstapper", {"geboortedatum": "31-02-2010"}),
    ("VO-overstapper", {"geboortedatum": "3-5-10"}),
    ("VO-overstapper", {"geboortedatum": "01-01-2030"}),
    ("VO-overstapper", {"geboortedatum": "01-01-2024"}),
    ("VO-overstapper", {"postcode": "0123 AB"}),
    ("VO-overstapper", {"postcode": None}),
    ("VO-overstapper", {"telefoonnummer": "12"}),
    ("VO-overstapper", {"telefoonnummer": "0612345678, 0687654321"}),
    ("VO-overstapper", {"email": "geen-adres"}),
    ("VO-overstapper", {"leerjaar": "vier"}),
    ("VO-overstapper", {"onderwijsniveau": "HAVO", "leerjaar": "7"}),
    ("VO-overstapper", {"onderwijsniveau": "HAVO/VWO", "leerjaar": "3"}),
    ("VO-overstapper", {"onderwijsniveau": "HAVO", "leerjaar": "4"}),
    ("VO-overstapper", {"onderwijsniveau": "mavo", "leerjaar": "4"}),
    ("VO-overstapper", {"vervolgwens": "STUDEREN"}),
    ("VO-overstapper", {"klas": "x" * 21}),
    ("VO-niet-overstapper", {"onderwijsniveau": "VWO", "leerjaar": "6"}),
    ("VO-niet-overstapper", {"lob_activiteit": "x" * 201}),
    ("MBO-overstapper", {}),
    ("MBO-overstapper", {"crebocode": "1234"}),
    ("MBO-overstapper", {"niveau": "5"}),
    ("MBO-overstapper", {"niveau": "Entree"}),
    ("MBO-overstapper", {"leerweg": "b.o.l."}),
    ("MBO-overstapper", {"leerweg": "XYZ"}),
    ("MBO-overstapper", {"cohort": "2023-2025"}),
    ("MBO-overstapper", {"cohort": "2005"}),
    ("MBO-overstapper", {"leerjaar": "5"}),
    ("MBO-overstapper", {"verwachte_einddatum": "01-01-1990"}),
    ("MBO-overstapper", {"verwachte_einddatum": "01-01-2025"}),
    ("MBO-niet-overstapper", {"leerjaar": "9"}),
]


KAAL = Flask(__name__)      # the form class needs a request, not the whole portal


def _zonder_rij(bericht):
    return re.sub(r" ?\(rij \d+\)| in rij \d+", "", bericht)


@pytest.mark.parametrize("naam,overrides", REGELS, ids=[f"{n}-{'-'.join(o) or 'geldig'}" for n, o in REGELS])
def test_form_rules_match_the_file_check(naam, overrides):
    fmt = FORMATS[naam]
    waarden = formdata(fmt, random.Random(11), **{k: None for k in overrides})
    waarden.update({k: (v or "") for k, v in overrides.items()})
    if waarden.get("onderwijsnummer") == "GEN":
        waarden["onderwijsnummer"] = geldig_onderwijsnummer(random.Random(5))
    # Through the form (check_record) ...
    with KAAL.test_request_context(method="POST", data=waarden):
        form = maak_formulier(fmt, formdata=request.form, vandaag=VANDAAG)
        ok = form.controleer()
        uit_formulier = sorted((b.code, b.kolom, b.bericht) for b in form.bevindingen)
        velden_met_fout = {f.name for f in form if f.errors}
    # ... and through a one-row file with the same text in its cells.
    bestand = builders.make_xlsx(fmt, [{k.titel: waarden[k.veld] or None for k in fmt.kolommen}])
    resultaat = check_bytes(bestand, fmt, vandaag=VANDAAG)
    uit_bestand = sorted((b.code, b.kolom, _zonder_rij(b.bericht)) for b in resultaat.bevindingen)
    assert uit_formulier == uit_bestand
    assert ok == resultaat.ok
    if not resultaat.ok:
        assert velden_met_fout, "an error in the file is an error on a field"
    # And the same clean values (aliases, padding, normalising): what is saved is what a file gives.
    assert form.schoon == {k: v for k, v in resultaat.leerlingen[0].items() if k != "rij"}


def test_the_table_of_cases_reaches_the_cell_rules():
    """The table above is only worth something if its cases trigger the rules a form can break."""
    gevonden = set()
    for naam, overrides in REGELS:
        fmt = FORMATS[naam]
        waarden = formdata(fmt, random.Random(11), **{k: None for k in overrides})
        waarden.update({k: (v or "") for k, v in overrides.items()})
        gevonden |= {b.code for b in check_record(fmt, waarden, vandaag=VANDAAG)[1]}
    verwacht = {"bsn_checksum", "bsn_leading_zero_restored", "bsn_length", "bsn_format", "bsn_scientific_notation",
                "identifier_missing", "onderwijsnummer_checksum", "invalid_characters", "required",
                "voorletters_format", "tussenvoegsel_unknown", "tussenvoegsel_in_achternaam", "geslacht_invalid",
                "date_invalid", "date_two_digit_year", "date_in_future", "date_implausible", "postcode_format",
                "postcode_missing", "phone_invalid", "phone_multiple", "email_invalid", "leerjaar_invalid",
                "leerjaar_out_of_range", "brugklas_niveau_leerjaar", "overstapper_not_exam_year",
                "niet_overstapper_exam_year", "vervolgwens_invalid", "too_long", "crebo_format", "mbo_niveau_invalid",
                "leerweg_invalid", "cohort_invalid", "cohort_out_of_range", "mbo_leerjaar_high",
                "einddatum_before_birth", "einddatum_in_past"}
    assert verwacht - gevonden == set()


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------
def test_export_round_trip_passes_the_file_check(app, login, client):
    a = instantie("99AA")
    over = maak_leerlingen(a, 30)
    over[0].mentor = "=HYPERLINK(\"http://x\",\"klik\")"
    over[0].save()
    over[1].mentor = "@SUM(A1)"
    over[1].save()
    maak_leerlingen(a, 4, "niet-overstapper", seed=5)
    login("vo")
    r = client.get("/leerlingen/export?type=overstapper")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r.headers["Content-Disposition"] and "VO-overstapper" in r.headers["Content-Disposition"]
    resultaat = check_bytes(r.data, VO_OVER)
    # The two formula-like mentors (stored before the file check refused such text, #10.9) come
    # back as text, and the check refuses them on their own cells; everything else passes.
    assert sorted((b.kolom, b.code) for b in resultaat.fouten) == [("Mentor", "invalid_characters")] * 2
    assert resultaat.rijen == 30
    opgeslagen = {l.leerlingnummer: l for l in over}
    for rij in resultaat.leerlingen:
        leerling = opgeslagen[rij["leerlingnummer"]]
        for kolom in VO_OVER.kolommen:
            verwacht = getattr(leerling, kolom.veld)
            if kolom.veld == "mentor" and leerling in over[:2]:
                continue
            assert (rij[kolom.veld] if rij[kolom.veld] is not None else "") == (verwacht if verwacht is not None else ""), kolom.veld
    blad = zipfile.ZipFile(io.BytesIO(r.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in blad and "<f " not in blad                      # never a formula
    # The filters of the overview apply to the export.
    r = client.get(f"/leerlingen/export?type=overstapper&q={over[2].achternaam}")
    assert check_bytes(r.data, VO_OVER).rijen == sum(1 for l in over if over[2].achternaam in (l.achternaam, l.voornaam))


def test_export_niet_overstappers_uses_that_format(app, login, client):
    a = instantie("99AA")
    maak_leerlingen(a, 2)
    maak_leerlingen(a, 3, "niet-overstapper", seed=5)
    login("vo")
    r = client.get("/leerlingen/export?type=niet-overstapper")
    resultaat = check_bytes(r.data, FORMATS["VO-niet-overstapper"])
    assert resultaat.ok and resultaat.rijen == 3


def test_export_writes_formula_like_text_as_text():
    fmt = FORMATS["VO-niet-overstapper"]
    schoon, _ = check_record(fmt, formdata(fmt), vandaag=VANDAAG)
    # Values stored before the check refused formula-like text (#10.9) are still exported as text.
    schoon.update(lob_activiteit="=1+1", mentor="+31 mentor")
    data = export_xlsx(fmt, [schoon])
    blad = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in blad and "=1+1" in blad and "+31 mentor" in blad
    resultaat = check_bytes(data, fmt, vandaag=VANDAAG)
    assert {(b.rij, b.kolom, b.code) for b in resultaat.fouten} == {
        (2, "LOB-activiteit", "invalid_characters"), (2, "Mentor", "invalid_characters")}
    _, bevindingen = check_record(fmt, formdata(fmt, lob_activiteit="=1+1"), vandaag=VANDAAG)
    assert [(b.kolom, b.code) for b in bevindingen] == [("LOB-activiteit", "invalid_characters")]


def test_db_upgrade_builds_the_search_for_students_already_there(app):
    """Step 7 on an existing database (made before the search index existed): the students it holds
    are found afterwards, and a second upgrade changes nothing."""
    from portal import migrations
    from portal.extensions import db
    from portal.models import SchemaVersie, ZOEKTABEL, is_postgres
    bestaand = maak_leerlingen(instantie("99AA"), 3)
    bestaand[1].achternaam = "Vredenburgh"
    bestaand[1].save()
    database = db.database
    if is_postgres():
        database.execute_sql("DROP INDEX leerling_zoektekst")
    else:
        database.execute_sql(f"DROP TABLE {ZOEKTABEL}")
        for naam in ("ad", "au"):
            database.execute_sql(f"DROP TRIGGER IF EXISTS {ZOEKTABEL}_{naam}")
    SchemaVersie.update(versie=5).execute()
    assert migrations.upgrade(database) == (5, migrations.LAATSTE)
    assert migrations.upgrade(database) == (migrations.LAATSTE, migrations.LAATSTE)
    gevonden = Leerling.select().where(Leerling.zoekterm("redenbu"))
    assert [l.id for l in gevonden] == [bestaand[1].id]
