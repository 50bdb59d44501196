"""A load test: 8 schools uploading 2,000-row lists and 20 people reading the overview, for 60 s.

    PYTHONPATH=. .venv/bin/python bench/bench_load.py --database-url postgresql://…/bench_load
        [--uploaders 8] [--lezers 20] [--seconden 60] [--workers 3] [--leerlingen 100000] [--rijen 2000]

Everything on loopback: gunicorn (--workers sync workers, as in production) on the PostgreSQL
database of the URL (emptied first!), a Redis of its own on a free port for the shared rate limits
(redis-server must be installed), and an asyncio client (httpx) in this process. The database gets
--leerlingen students first (as bench_overzicht.py fills it). Then, for --seconden:
- each uploader (the VO beheerder's session, the portal channel) opens the upload step, posts its
  own generated .xlsx list of --rijen rows and follows the 303 to the result page: one 'upload';
- each reader (half as the VO beheerder, half as the helpdesk) asks the overview as a browser with
  htmx does: a search as you type, a filter, a sort, a next page (fragments), one after the other.
Bounded: a fixed number of clients, a 30 s timeout per request, no new request after the deadline.
Prints per kind: count, per second, p50/p95/max and errors (with what went wrong), the load average
before and after, and checks that every upload that answered 303 became one Aanlevering.
"""
import argparse
import asyncio
import logging
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_overzicht import ACHTER, KLASSEN, VOOR, WACHTWOORD, instanties_maken, vul  # noqa: E402

TIMEOUT = 30.0


def app_voor_bench():
    """The app as gunicorn runs it here. The public site's upload limit (20 an hour per address) is
    lifted: the wizard applies it to the portal's uploads too (the portal and the public site share
    the decorated view function), and every uploader here comes from 127.0.0.1."""
    from app import create_app
    return create_app({"PUBLIC_UPLOAD_LIMIT": "1000000 per hour"})


def vrije_poort():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wacht_op_poort(poort, seconden=60):
    einde = time.time() + seconden
    while time.time() < einde:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", poort)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(poort)


def csrf(tekst):
    gevonden = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', tekst)
    return gevonden.group(1) if gevonden else None


class Meting:
    def __init__(self):
        self.tijden = {}
        self.fouten = {}

    def goed(self, soort, ms):
        self.tijden.setdefault(soort, []).append(ms)

    def fout(self, soort, wat):
        self.fouten.setdefault(soort, Counter())[wat] += 1


async def inloggen(basis, email):
    client = httpx.AsyncClient(base_url=basis, timeout=TIMEOUT)
    antwoord = await client.get("/inloggen")
    antwoord = await client.post("/inloggen", data={"csrf_token": csrf(antwoord.text), "email": email,
                                                   "wachtwoord": WACHTWOORD})
    assert antwoord.status_code == 303, (email, antwoord.status_code)
    return client


def kopie(basis, ingelogd):
    """A client of its own (own connection) with the session of a logged-in one: the login limit
    (10 a minute from one address) would refuse 28 logins from loopback."""
    return httpx.AsyncClient(base_url=basis, timeout=TIMEOUT, cookies=ingelogd.cookies)


async def uploader(client, bestand, einde, meting, instantie_id):
    pad = "/uploaden/opsturen?schoolsoort=VO&soort=overstapper"
    while time.monotonic() < einde:
        begin = time.perf_counter()
        try:
            formulier = await client.get(pad)
            antwoord = await client.post(pad, data={"csrf_token": csrf(formulier.text), "instantie": instantie_id,
                                                    "naam": "Bench Uploader", "email": "bench@voorbeeld.nl",
                                                    "toelichting": ""},
                                         files={"bestand": ("leerlingen.xlsx", bestand, "application/octet-stream")})
            if antwoord.status_code != 303 or "/klaar/" not in antwoord.headers.get("location", ""):
                meting.fout("upload", f"status {antwoord.status_code}")
                continue
            klaar = await client.get(antwoord.headers["location"])
            if klaar.status_code != 200:
                meting.fout("upload", f"resultaatpagina {klaar.status_code}")
                continue
            meting.goed("upload", (time.perf_counter() - begin) * 1000)
        except httpx.HTTPError as fout:
            meting.fout("upload", type(fout).__name__)


async def lezer(client, einde, meting, rng):
    htmx = {"HX-Request": "true"}
    while time.monotonic() < einde:
        naam = rng.choice(ACHTER + VOOR).lower()
        vragen = [("overzicht: zoeken", f"/leerlingen/?q={naam[:rng.randint(2, 5)]}"),
                  ("overzicht: filter", f"/leerlingen/?klas={rng.choice(KLASSEN)}&schooljaar=2026-2027"),
                  ("overzicht: sorteren", f"/leerlingen/?sorteer={rng.choice(['naam', '-geboortedatum', 'klas', 'instantie'])}")]
        for soort, pad in vragen:
            if time.monotonic() >= einde:
                return
            begin = time.perf_counter()
            try:
                antwoord = await client.get(pad, headers=htmx)
                if antwoord.status_code != 200:
                    meting.fout(soort, f"status {antwoord.status_code}")
                    continue
                meting.goed(soort, (time.perf_counter() - begin) * 1000)
                volgende = re.search(r'<a href="([^"]+)"[^>]*>Volgende pagina', antwoord.text)
                if volgende:
                    begin = time.perf_counter()
                    antwoord = await client.get(volgende.group(1).replace("&amp;", "&"), headers=htmx)
                    if antwoord.status_code != 200:
                        meting.fout("overzicht: volgende pagina", f"status {antwoord.status_code}")
                    else:
                        meting.goed("overzicht: volgende pagina", (time.perf_counter() - begin) * 1000)
            except httpx.HTTPError as fout:
                meting.fout(soort, type(fout).__name__)


async def belasten(basis, args, bestanden, instantie_id):
    vo = await inloggen(basis, "vo@demo.nl")
    helpdesk = await inloggen(basis, "helpdesk@demo.nl")
    clients = []
    meting = Meting()
    begin = time.monotonic()
    einde = begin + args.seconden
    taken = []
    for i in range(args.uploaders):
        clients.append(kopie(basis, vo))
        taken.append(uploader(clients[-1], bestanden[i % len(bestanden)], einde, meting, instantie_id))
    for i in range(args.lezers):
        clients.append(kopie(basis, vo if i % 2 else helpdesk))
        taken.append(lezer(clients[-1], einde, meting, random.Random(i)))
    await asyncio.gather(*taken)
    duur = time.monotonic() - begin
    for client in clients + [vo, helpdesk]:
        await client.aclose()
    return meting, duur


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    parser.add_argument("--uploaders", type=int, default=8)
    parser.add_argument("--lezers", type=int, default=20)
    parser.add_argument("--seconden", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--leerlingen", type=int, default=100_000)
    parser.add_argument("--rijen", type=int, default=2000)
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgres"):
        sys.exit("Geef een PostgreSQL-database: --database-url postgresql://… (of BENCH_DATABASE_URL); hij wordt geleegd.")
    redis_server = shutil.which("redis-server")
    if not redis_server:
        sys.exit("redis-server ontbreekt (apt-get install redis-server).")

    from app import create_app
    from portal.extensions import db
    from portal.lijsten.formats import format_voor
    from portal.models import Aanlevering, Instantie
    from tests.builders import leerlingen, make_xlsx
    from tests.conftest import _reset_postgres

    _reset_postgres(args.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": args.database_url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
                          "MAIL_WORKER": False, "DEMO_PASSWORD": WACHTWOORD})
        with app.app_context():
            assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
            instanties_maken()
            begin = time.perf_counter()
            vul(0, args.leerlingen)
            print(f"{args.leerlingen:,} leerlingen gevuld in {time.perf_counter() - begin:.0f} s")
            instantie_id = Instantie.get(Instantie.brin == "99AA").id
            db.database.close()
        fmt = format_voor("VO", "overstapper")
        bestanden = [make_xlsx(fmt, leerlingen(fmt, args.rijen, seed=100 + i)) for i in range(args.uploaders)]

        redis_poort, poort = vrije_poort(), vrije_poort()
        redis = subprocess.Popen([redis_server, "--port", str(redis_poort), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        env = {**os.environ, "DATABASE_URL": args.database_url, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_poort}/0",
               "SECRET_KEY": "bench", "MAIL_WORKER": "0", "HTMX_CDN": "0", "SESSION_COOKIE_SECURE": "0",
               "DEMO_PASSWORD": WACHTWOORD, "PYTHONPATH": str(ROOT)}
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--timeout", "30",
                                     "--bind", f"127.0.0.1:{poort}", "--log-level", "warning", "bench.bench_load:app_voor_bench()"],
                                    cwd=ROOT, env=env)
        try:
            wacht_op_poort(redis_poort)
            wacht_op_poort(poort)
            voor = os.getloadavg()
            print(f"{args.uploaders} uploaders ({args.rijen:,} rijen, .xlsx) en {args.lezers} lezers, "
                  f"{args.seconden:.0f} s, gunicorn {args.workers} workers, PostgreSQL en Redis op loopback; "
                  f"load average vooraf {voor[0]:.1f} / {voor[1]:.1f} / {voor[2]:.1f} ({os.cpu_count()} CPU's)")
            logging.getLogger("httpx").setLevel(logging.WARNING)
            meting, duur = asyncio.run(belasten(f"http://127.0.0.1:{poort}", args, bestanden, instantie_id))
            na = os.getloadavg()
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
            redis.terminate()
            redis.wait(timeout=10)

        print(f"\n  {'soort':<28} {'aantal':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'fouten':>7}")
        totaal_fouten = 0
        for soort in sorted(set(meting.tijden) | set(meting.fouten)):
            tijden = meting.tijden.get(soort, [])
            fouten = sum(meting.fouten.get(soort, Counter()).values())
            totaal_fouten += fouten
            if tijden:
                p95 = statistics.quantiles(tijden, n=20, method="inclusive")[-1] if len(tijden) > 1 else tijden[0]
                print(f"  {soort:<28} {len(tijden):>7} {len(tijden) / duur:>7.2f} {statistics.median(tijden):>8.0f} "
                      f"{p95:>8.0f} {max(tijden):>8.0f} {fouten:>7}")
            else:
                print(f"  {soort:<28} {0:>7} {'':>7} {'':>8} {'':>8} {'':>8} {fouten:>7}")
            for wat, hoeveel in meting.fouten.get(soort, Counter()).items():
                print(f"      {hoeveel}× {wat}")
        with app.app_context():
            opgeslagen = Aanlevering.select().count()
            db.database.close()
        geslaagd = len(meting.tijden.get("upload", []))
        print(f"\n  {duur:.1f} s; {sum(map(len, meting.tijden.values())) / duur:.1f} verzoeken/s in totaal; "
              f"fouten: {totaal_fouten}; aanleveringen opgeslagen: {opgeslagen} (geslaagde uploads: {geslaagd}"
              f"{', klopt' if opgeslagen >= geslaagd else ', KLOPT NIET'})")
        print(f"  load average na afloop {na[0]:.1f} / {na[1]:.1f} / {na[2]:.1f} (een gedeelde machine: de "
              f"cijfers zijn aan de trage kant)")


if __name__ == "__main__":
    main()
