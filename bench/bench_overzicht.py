"""How fast is the Leerlingen overview at 100,000 students? Prints ms per query (median of runs).

    PYTHONPATH=. .venv/bin/python bench/bench_overzicht.py [aantal] [DATABASE_URL]

Builds a fresh database (SQLite in a temporary folder unless a URL is given; a PostgreSQL URL is
emptied first), spreads the students over the demo instanties and times the queries of the overview
as a VO beheerder and as the helpdesk: the first page with its count, search as you type, filters,
sorting, the last page, and the export of one format.
"""
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.datastructures import MultiDict  # noqa: E402

from app import create_app  # noqa: E402
from portal import migrations  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.leerlingen import Filters, pagina, sorteer, zoek  # noqa: E402
from portal.lijsten.export import export_xlsx  # noqa: E402
from portal.lijsten.formats import format_voor  # noqa: E402
from portal.models import Gebruiker, Instantie, Leerling  # noqa: E402
from tests.builders import ACHTERNAMEN, KLASSEN, VOORNAMEN, geldig_bsn  # noqa: E402

RUNS = 5


def vul(aantal):
    rng = random.Random(1)
    instanties = list(Instantie.select())
    achternamen = ACHTERNAMEN + [f"{a}{s}" for a in ACHTERNAMEN for s in ("man", "s", "ink", "stra", "veld")]
    rijen = []
    for i in range(aantal):
        inst = instanties[i % len(instanties)]
        rijen.append(dict(
            instantie=inst.id, type=rng.choice(["overstapper", "niet-overstapper"]),
            schooljaar=rng.choice(["2025-2026", "2026-2027"]), leerlingnummer=f"{i:07d}",
            bsn=geldig_bsn(rng), voorletters="J.", voornaam=rng.choice(VOORNAMEN),
            achternaam=rng.choice(achternamen), geslacht=rng.choice("MVO"),
            geboortedatum=f"20{rng.randint(5, 12):02d}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            klas=rng.choice(KLASSEN), leerjaar=rng.randint(1, 6),
            onderwijsniveau="HAVO" if inst.schoolsoort == "VO" else "", crebocode="" if inst.schoolsoort == "VO" else "25187",
            niveau=None if inst.schoolsoort == "VO" else 3, leerweg="" if inst.schoolsoort == "VO" else "BOL",
            cohort=None if inst.schoolsoort == "VO" else 2024))
    with db.database.atomic():
        for begin in range(0, len(rijen), 2000):
            Leerling.insert_many(rijen[begin:begin + 2000]).execute()


def meet(naam, functie):
    tijden = []
    for _ in range(RUNS):
        begin = time.perf_counter()
        uitkomst = functie()
        tijden.append((time.perf_counter() - begin) * 1000)
    print(f"{naam:<58} {statistics.median(tijden):8.1f} ms   ({uitkomst})")


def overzicht(gebruiker, **args):
    instanties = {i.id for i in Instantie.van(gebruiker)}
    filters = Filters.uit(MultiDict(args), instanties)
    rijen, totaal, paginas = pagina(gebruiker, filters)
    return f"{len(rijen)} rijen van {totaal}"


def main():
    aantal = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        if url and url.startswith("postgres"):
            from tests.conftest import _reset_postgres
            _reset_postgres(url)
        app = create_app({"DATABASE_URL": url or f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp,
                          "SECRET_KEY": "bench", "MAIL_WORKER": False, "DEMO_PASSWORD": "bench-wachtwoord-1"})
        with app.app_context():
            migrations.upgrade(db.database)
            assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
            begin = time.perf_counter()
            vul(aantal)
            print(f"{aantal} leerlingen in {type(db.database).__name__}, gevuld in {time.perf_counter() - begin:.1f} s")
            vo = Gebruiker.get(Gebruiker.email == "vo@demo.nl")
            helpdesk = Gebruiker.get(Gebruiker.email == "helpdesk@demo.nl")
            een = Instantie.van(vo).first()
            for wie, g in (("beheerder VO", vo), ("helpdesk", helpdesk)):
                meet(f"{wie}: eerste pagina + aantal", lambda: overzicht(g))
                meet(f"{wie}: zoek 'jan' (naam, zoals typen)", lambda: overzicht(g, q="jan"))
                meet(f"{wie}: zoek 'bakkerstra'", lambda: overzicht(g, q="bakkerstra"))
                meet(f"{wie}: zoek leerlingnummer '00123'", lambda: overzicht(g, q="00123"))
                meet(f"{wie}: type + klas + schooljaar", lambda: overzicht(g, type="overstapper", klas="4B",
                                                                              schooljaar="2026-2027"))
                meet(f"{wie}: één instantie, leerjaar 4", lambda: overzicht(g, instantie=str(een.id), leerjaar="4"))
                meet(f"{wie}: sorteer op geboortedatum (aflopend)", lambda: overzicht(g, sorteer="-geboortedatum"))
                meet(f"{wie}: sorteer op instantie, laatste pagina", lambda: overzicht(g, sorteer="instantie", pagina="9999"))
            fmt = format_voor("VO", "overstapper")
            filters = Filters(type="overstapper", instantie=een.id)
            query = sorteer(zoek(vo, filters), filters)
            meet("export: één instantie, VO-overstapper (.xlsx)",
                 lambda: f"{len(export_xlsx(fmt, query.clone().iterator())) // 1024} kB")
        db.database.close()


if __name__ == "__main__":
    main()
