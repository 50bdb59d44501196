"""How fast is the Leerlingen overview at 100,000 (and 200,000) students, over HTTP?

    PYTHONPATH=. .venv/bin/python bench/bench_overzicht.py [--aantal 100000 200000] [--workers 2]
        [--database-url postgresql://…]   (or BENCH_DATABASE_URL; default: SQLite in a temporary folder)

Builds a fresh database (a PostgreSQL database named by the URL is emptied first!) with the demo
accounts and 100 more instanties, spreads the students over them (the VO beheerder sees the students
of their 2 instanties, the helpdesk all), starts gunicorn on loopback and asks the overview what a
user asks, as a logged-in browser would: the first page, search as you type (htmx fragments) on name
parts and leerlingnummers, filters combined with and without a search, every sort in both
directions, the last page, and deep pages reached by the Volgende/Vorige links (keyset). Each kind
runs --herhaal times with other words or places; prints p50/p95/max per kind and role, and whether
the goal (p95 under 100 ms for every search and filter kind) is met. With several --aantal the
database grows between the rounds. Prints figures; asserts nothing about time.
"""
import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peewee import fn  # noqa: E402

from app import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Gebruiker, Instantie, Leerling, is_postgres  # noqa: E402
from tests.builders import ACHTERNAMEN, KLASSEN, TUSSENVOEGSELS, VOORNAMEN, geldig_bsn  # noqa: E402

WACHTWOORD = "bench-wachtwoord-1"
ACHTER = ACHTERNAMEN + [f"{a}{s}" for a in ACHTERNAMEN
                        for s in ("man", "s", "ink", "stra", "veld", "berg", "hof", "huis", "kamp", "dijk", "sen")]
VOOR = VOORNAMEN + [f"{v}{s}" for v in VOORNAMEN for s in ("a", "ie", "o", "je")]
SORTERINGEN = ("naam", "leerlingnummer", "geboortedatum", "klas", "leerjaar", "type", "instantie", "schooljaar")
DOEL_MS = 100
CSS = sorted(p.name for p in (ROOT / "static" / "css").glob("*.css"))[0]


def instanties_maken(aantal=100):
    rng = random.Random(2)
    with db.database.atomic():
        for i in range(aantal):
            soort = "VO" if i % 2 else "MBO"
            Instantie.get_or_create(brin=f"{90 + i // 26:02d}{chr(65 + i % 26)}X", vestigingsnummer="00",
                                    defaults={"naam": f"{rng.choice(['Het', 'De', 'Sint'])} {rng.choice(ACHTER)}college",
                                              "schoolsoort": soort, "plaats": "Bench"})


def vul(van, tot):
    """Students van..tot (leerlingnummers stay unique when the database grows)."""
    rng = random.Random(van + 1)
    instanties = list(Instantie.select())
    rijen = []
    for i in range(van, tot):
        inst = instanties[rng.randrange(len(instanties))]
        vo = inst.schoolsoort == "VO"
        rijen.append(dict(
            instantie=inst.id, type=rng.choice(["overstapper", "niet-overstapper"]),
            schooljaar=rng.choice(["2025-2026", "2026-2027"]), leerlingnummer=f"{i:07d}",
            bsn=geldig_bsn(rng), voorletters="J.", voornaam=rng.choice(VOOR), tussenvoegsel=rng.choice(TUSSENVOEGSELS),
            achternaam=rng.choice(ACHTER), geslacht=rng.choice("MVO"),
            geboortedatum=f"20{rng.randint(5, 12):02d}-{rng.randint(1, 12):02d}-{rng.randint(10, 28)}",
            klas=rng.choice(KLASSEN), leerjaar=rng.choice([None, 1, 2, 3, 4, 5, 6]),
            onderwijsniveau="HAVO" if vo else "", crebocode="" if vo else "25187",
            niveau=None if vo else 3, leerweg="" if vo else "BOL", cohort=None if vo else 2024))
    with db.database.atomic():
        na_id = Leerling.select(fn.MAX(Leerling.id)).scalar() or 0
        for begin in range(0, len(rijen), 2000):
            Leerling.insert_many(rijen[begin:begin + 2000]).execute()
        Leerling.zoekindex_aanvullen(na_id)  # as a load does (verwerken.py)
    if is_postgres():
        db.database.execute_sql("ANALYZE")  # as autovacuum would after a load this size


def vrije_poort():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, pad, htmx=False):
        verzoek = urllib.request.Request(self.base + pad, headers={"HX-Request": "true"} if htmx else {})
        begin = time.perf_counter()
        with self.opener.open(verzoek, timeout=60) as antwoord:
            tekst = antwoord.read().decode()
            assert antwoord.status == 200, (pad, antwoord.status)
        return (time.perf_counter() - begin) * 1000, tekst

    def inloggen(self, email):
        _, tekst = self.get("/inloggen")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', tekst).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "wachtwoord": WACHTWOORD}).encode()
        self.opener.open(urllib.request.Request(self.base + "/inloggen", data=data), timeout=60).read()
        assert "Uitloggen" in self.get("/")[1] or "uitloggen" in self.get("/")[1].lower()


def link(tekst, naam):
    """The URL of a pagination link ('Volgende pagina', …) on a page, or None."""
    gevonden = re.search(r'<a href="([^"]+)"[^>]*>[^<]*' + re.escape(naam), tekst)
    return gevonden.group(1).replace("&amp;", "&") if gevonden else None


def soorten_vragen(rng, ids):
    """kind → a function that asks one variant of it and returns the ms it took."""
    def zoek_deel():
        naam = rng.choice(ACHTER + VOOR)
        lengte = rng.randint(2, min(6, len(naam)))
        begin = rng.randint(0, len(naam) - lengte)
        return f"/leerlingen/?q={urllib.parse.quote(naam[begin:begin + lengte].lower())}", True

    def zoek_twee():
        return f"/leerlingen/?q={urllib.parse.quote(rng.choice(VOOR) + ' ' + rng.choice(ACHTER)[:5])}", True

    def zoek_nummer():
        return f"/leerlingen/?q={rng.randrange(10 ** 7):07d}"[:rng.randint(19, 23)], True

    def filters():
        return (f"/leerlingen/?type={rng.choice(['overstapper', 'niet-overstapper'])}&klas={rng.choice(KLASSEN)}"
                f"&schooljaar={rng.choice(['2025-2026', '2026-2027'])}&leerjaar={rng.randint(1, 6)}"), True

    def filters_zoek():
        return (f"/leerlingen/?q={urllib.parse.quote(rng.choice(ACHTER)[:4].lower())}&type=overstapper"
                f"&schooljaar={rng.choice(['2025-2026', '2026-2027'])}"), True

    def sorteer():
        return f"/leerlingen/?sorteer={rng.choice(['', '-'])}{rng.choice(SORTERINGEN)}", True

    def laatste():
        return f"/leerlingen/?sorteer={rng.choice(['', '-'])}{rng.choice(SORTERINGEN)}&pagina=999999", True

    def diep():
        # What a Volgende/Vorige link deep in the list asks: the page after (or before) a student.
        richting = rng.choice(["na", "voor"])
        return (f"/leerlingen/?sorteer={rng.choice(['', '-'])}{rng.choice(SORTERINGEN)}"
                f"&pagina=500&{richting}={rng.choice(ids)}"), True

    return {"vloer: statisch bestand (geen database)": lambda: ("/static/css/" + CSS, False),
            "eerste pagina": lambda: ("/leerlingen/", False), "zoek naamdeel (2-6 letters)": zoek_deel,
            "zoek voornaam + achternaam": zoek_twee, "zoek leerlingnummer (begin)": zoek_nummer,
            "filters samen (type, klas, schooljaar, leerjaar)": filters, "zoek + filters": filters_zoek,
            "sorteren (elke kolom, beide kanten)": sorteer, "laatste pagina (elke sortering)": laatste,
            "diepe pagina via Volgende/Vorige": diep}


def meet(browser, rng, ids, herhaal):
    uit = {}
    for soort, vraag in soorten_vragen(rng, ids).items():
        tijden = []
        for _ in range(herhaal):
            pad, htmx = vraag()
            tijden.append(browser.get(pad, htmx=htmx)[0])
        uit[soort] = tijden
    # Walking: Volgende twenty times from the first page, then Vorige back, following the links.
    tijden, pad = [], "/leerlingen/?sorteer=geboortedatum"
    ms, tekst = browser.get(pad)
    for naam in ["Volgende pagina"] * 20 + ["Vorige pagina"] * 20:
        pad = link(tekst, naam)
        ms, tekst = browser.get(pad, htmx=True)
        tijden.append(ms)
    uit["bladeren: 20× Volgende, 20× Vorige"] = tijden
    return uit


def p(tijden, deel):
    return statistics.quantiles(tijden, n=100, method="inclusive")[deel - 1] if len(tijden) > 1 else tijden[0]


def rapport(label, uitkomst):
    print(f"\n{label}")
    print(f"  {'soort':<50} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    slechtste = 0
    for soort, tijden in uitkomst.items():
        p95 = p(tijden, 95)
        if not soort.startswith("vloer"):
            slechtste = max(slechtste, p95)
        print(f"  {soort:<50} {len(tijden):>4} {statistics.median(tijden):>8.1f} {p95:>8.1f} {max(tijden):>8.1f}")
    return slechtste


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aantal", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--herhaal", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgres"):
            from tests.conftest import _reset_postgres
            _reset_postgres(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench", "MAIL_WORKER": False,
                          "DEMO_PASSWORD": WACHTWOORD})
        with app.app_context():
            assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
            instanties_maken()
        poort = vrije_poort()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "MAIL_WORKER": "0", "HTMX_CDN": "0",
               "SESSION_COOKIE_SECURE": "0", "DEMO_PASSWORD": WACHTWOORD, "PYTHONPATH": str(ROOT)}
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind",
                                     f"127.0.0.1:{poort}", "--log-level", "warning", "app:create_app()"],
                                    cwd=ROOT, env=env)
        try:
            gevuld, slechtste = 0, {}
            for aantal in args.aantal:
                with app.app_context():
                    begin = time.perf_counter()
                    vul(gevuld, aantal)
                    gevuld = aantal
                    ids = [i for (i,) in Leerling.select(Leerling.id).tuples()]
                    vo = Gebruiker.get(Gebruiker.email == "vo@demo.nl")
                    eigen = Leerling.select().where(Leerling.zichtbaar_voor(vo)).count()
                    print(f"\n{aantal:,} leerlingen in {'PostgreSQL' if is_postgres() else 'SQLite'} ({len(Instantie.select()):,} "
                          f"instanties; de VO-beheerder ziet er {eigen:,}), gevuld in {time.perf_counter() - begin:.1f} s; "
                          f"gunicorn {args.workers} workers; load average {os.getloadavg()[0]:.1f}")
                    db.database.close()
                for rol, email in (("beheerder VO", "vo@demo.nl"), ("helpdesk", "helpdesk@demo.nl")):
                    browser = Browser(f"http://127.0.0.1:{poort}")
                    for _ in range(100):
                        try:
                            browser.inloggen(email)
                            break
                        except OSError:
                            time.sleep(0.2)
                    for _ in range(3):
                        browser.get("/leerlingen/")  # warm: every worker has connected and loaded its templates
                    uitkomst = meet(browser, random.Random(aantal), ids, args.herhaal)
                    slechtste[(aantal, rol)] = rapport(f"{aantal:,} leerlingen, {rol} (load average "
                                                       f"{os.getloadavg()[0]:.1f})", uitkomst)
            print()
            for (aantal, rol), p95 in slechtste.items():
                oordeel = "gehaald" if p95 < DOEL_MS else "NIET gehaald"
                print(f"{aantal:>9,} {rol:<14} hoogste p95 {p95:7.1f} ms: doel p95 < {DOEL_MS} ms {oordeel}")
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
