"""Loading a 50,000-row list (Verwerken): rows/s for new students and for changed ones.

    .venv/bin/python bench/bench_verwerken.py [--rijen 50000]

Runs on SQLite (a temporary file, WAL, as the app runs) and, when TEST_DATABASE_URL or
BENCH_DATABASE_URL names a PostgreSQL database, on PostgreSQL too (its public schema is emptied!).
The targets: 50,000 rows/s on SQLite, 30,000 on PostgreSQL (new students, with every index the
overview needs in place, the search's trigram index included). Prints figures; asserts nothing
about time.
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from portal import migrations, verwerken  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.lijsten.formats import FORMATS  # noqa: E402
from portal.models import Aanlevering, Instantie, Leerling  # noqa: E402
from tests.builders import leerlingen  # noqa: E402


def schone_rijen(aantal):
    """Clean rows as the validator stores them (veld keys, ISO dates), generated without validating."""
    fmt = FORMATS["VO-overstapper"]
    titels = {k.titel: k.veld for k in fmt.kolommen}
    uit = []
    for i, rij in enumerate(leerlingen(fmt, aantal, seed=5), start=2):
        schoon = {titels[t]: (v.isoformat() if hasattr(v, "isoformat") else v) for t, v in rij.items()}
        schoon["telefoonnummer"] = "+316" + schoon["telefoonnummer"][4:]
        schoon["rij"] = i
        uit.append(schoon)
    return uit


def aanlevering(instantie, rijen):
    return Aanlevering.maak(
        instantie=instantie, schoolsoort="VO", soort="overstapper", schooljaar="2025-2026", naam="Bench",
        email="bench@voorbeeld.nl", kanaal="portal", bestandsnaam="bench.xlsx", bestand=b"x", sha256="0" * 64,
        aantal_leerlingen=len(rijen), leerlingen_json=json.dumps(rijen))


def meet(url, aantal, label):
    with tempfile.TemporaryDirectory() as tmp:
        if url is None:
            url = f"sqlite:///{tmp}/bench.db"
        elif url.startswith("postgres"):
            import psycopg2
            verbinding = psycopg2.connect(url)
            verbinding.autocommit = True
            with verbinding.cursor() as cursor:
                cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
            verbinding.close()
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "MAIL_WORKER": False,
                          "INSTANCE_PATH": f"{tmp}/instance"})
        with app.app_context():
            migrations.upgrade(db.database)
            school = Instantie.create(naam="Benchschool", brin="99ZZ", schoolsoort="VO")
            rijen = schone_rijen(aantal)
            eerste = aanlevering(school, rijen)
            echt_laden, fasen = verwerken._laden, []

            def laden_gemeten(a):
                start = time.perf_counter()
                try:
                    return echt_laden(a)
                finally:
                    fasen.append(time.perf_counter() - start)
            verwerken._laden = laden_gemeten
            begin = time.perf_counter()
            uitkomst = verwerken.verwerk(eerste)
            nieuw_s = time.perf_counter() - begin
            verwerken._laden = echt_laden
            assert uitkomst.nieuw == aantal and Leerling.select().count() == aantal

            for rij in rijen:
                rij["klas"] = random.choice(["5A", "5B", "6C"]) if rij["klas"] != "5A" else "5B"
            tweede = aanlevering(school, rijen)
            begin = time.perf_counter()
            uitkomst = verwerken.verwerk(tweede)
            bij_s = time.perf_counter() - begin
            assert uitkomst.bijgewerkt == aantal

            derde = aanlevering(school, rijen)
            begin = time.perf_counter()
            uitkomst = verwerken.verwerk(derde)
            gelijk_s = time.perf_counter() - begin
            assert uitkomst.ongewijzigd == aantal
            db.database.close()
    print(f"{label:<11} {aantal:>7} rijen  nieuw: {aantal / nieuw_s:>9,.0f} rijen/s ({nieuw_s:.2f} s)   "
          f"gewijzigd: {aantal / bij_s:>9,.0f} rijen/s ({bij_s:.2f} s)   "
          f"ongewijzigd: {aantal / gelijk_s:>9,.0f} rijen/s ({gelijk_s:.2f} s)")
    # Where the time of the first load goes: reading and writing the rows (_laden) versus the rest:
    # the status claim, the audit entry and the commit. The file and the rows live in
    # AanleveringInhoud, so the claim rewrites only the small Aanlevering row.
    print(f"{'':<11} nieuw, alleen de rijen (JSON lezen, omzetten, INSERT): {aantal / fasen[0]:>9,.0f} rijen/s "
          f"({fasen[0]:.2f} s); claim, logboek en commit: {nieuw_s - fasen[0]:.2f} s")
    return aantal / nieuw_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rijen", type=int, default=50_000)
    args = parser.parse_args()
    snelheid = meet(None, args.rijen, "SQLite")
    print(f"doel SQLite nieuw ≥ 50,000 rijen/s: {'gehaald' if snelheid >= 50_000 else 'NIET gehaald'}")
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        snelheid = meet(url, args.rijen, "PostgreSQL")
        print(f"doel PostgreSQL nieuw ≥ 30,000 rijen/s: {'gehaald' if snelheid >= 30_000 else 'NIET gehaald'}")
    else:
        print("PostgreSQL: zet BENCH_DATABASE_URL of TEST_DATABASE_URL (postgresql://…) om ook daar te meten.")


if __name__ == "__main__":
    main()
