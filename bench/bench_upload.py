"""Uploading a list end to end over HTTP against a real gunicorn server: from the POST of the
file to the page that answers it (the success page), as a browser with htmx walks it.

    .venv/bin/python bench/bench_upload.py [--rijen 10000 50000] [--soorten xlsx csv] [--herhaal 3]

Starts `gunicorn` (2 workers, 4 threads each, as the README's "Op schaal" advises) on a fresh
SQLite file, or on PostgreSQL when BENCH_DATABASE_URL names one (its public schema is emptied!).
A small list is answered by the upload itself (303 to the success page). A large one is answered
with the waiting page; the client then does what htmx does there: after 1 s it asks the progress
fragment, again every second, until that answers HX-Redirect, then follows it to the success page.
Prints per list the end-to-end time and the longest single request; asserts nothing about time.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.lijsten.formats import format_voor  # noqa: E402
from tests.builders import leerlingen, make_csv, make_xlsx, titel  # noqa: E402

WACHTWOORD = "bench-wachtwoord-2026"
OPSTUREN = "/uploaden/opsturen?schoolsoort=VO&soort=overstapper"


def vrije_poort():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def goede_rijen(fmt, aantal, seed):
    """A list without errors: the generator's rare duplicate BSNs and numbers are left out."""
    gezien, uit = set(), []
    for rij in leerlingen(fmt, int(aantal * 1.02) + 10, seed=seed):
        sleutels = (("bsn", rij[titel(fmt, "bsn")]), ("nr", rij[titel(fmt, "leerlingnummer")]))
        if gezien.isdisjoint(sleutels):
            gezien.update(sleutels)
            uit.append(rij)
        if len(uit) == aantal:
            return uit
    raise RuntimeError("te weinig unieke rijen")


def postgres_leeg(url):
    import psycopg2
    verbinding = psycopg2.connect(url)
    verbinding.autocommit = True
    with verbinding.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    verbinding.close()


class Server:
    def __init__(self, database_url):
        self.poort = vrije_poort()
        self.url = f"http://127.0.0.1:{self.poort}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-geheim",
                    "PUBLIC_URL": self.url, "DEMO_PASSWORD": WACHTWOORD,
                    "SESSION_COOKIE_SECURE": "0", "MAIL_WORKER": "0", "PYTHONPATH": str(ROOT)}
        self.env.pop("MAIL_SERVER", None)

    def flask(self, *args):
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                       check=True, stdout=subprocess.DEVNULL)

    def __enter__(self):
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        self.proces = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--timeout", "30",
             "--bind", f"127.0.0.1:{self.poort}", "--log-level", "warning", "app:create_app()"],
            cwd=ROOT, env=self.env)
        for _ in range(200):
            try:
                httpx.get(self.url + "/inloggen", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn start niet")

    def __exit__(self, *exc):
        self.proces.send_signal(signal.SIGTERM)
        self.proces.wait(10)


def csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


class Bezoeker:
    """A logged-in school (never rate limited) that times every request it makes."""

    def __init__(self, basis):
        self.http = httpx.Client(base_url=basis, timeout=30, follow_redirects=False)
        self.langste = 0.0
        html = self.get("/inloggen").text
        antwoord = self.post("/inloggen", data={"csrf_token": csrf(html), "email": "vo@demo.nl", "wachtwoord": WACHTWOORD})
        assert antwoord.status_code == 303, antwoord.status_code

    def _tijd(self, methode, *args, **kwargs):
        begin = time.perf_counter()
        antwoord = methode(*args, **kwargs)
        self.langste = max(self.langste, time.perf_counter() - begin)
        return antwoord

    def get(self, pad, **kwargs):
        return self._tijd(self.http.get, pad, **kwargs)

    def post(self, pad, **kwargs):
        return self._tijd(self.http.post, pad, **kwargs)

    def opsturen(self, naam, data):
        """End to end: the POST of the file until the success page has arrived. Returns (seconds, path)."""
        html = self.get(OPSTUREN).text
        instantie = re.search(r'<option value="(\d+)"', html).group(1)
        self.langste = 0.0
        begin = time.perf_counter()
        antwoord = self.post(OPSTUREN, data={"csrf_token": csrf(html), "instantie": instantie, "naam": "Bench School",
                                             "email": "bench@voorbeeld.nl", "toelichting": ""},
                             files={"bestand": (naam, data)}, headers={"HX-Request": "true"})
        assert antwoord.status_code == 303, (antwoord.status_code, antwoord.text[:300])
        locatie, weg = antwoord.headers["Location"], "inline"
        if "/controle/" in locatie:
            weg = "taak"
            wachten = self.get(locatie, headers={"HX-Request": "true"})
            voortgang = re.search(r'hx-get="([^"]+/voortgang[^"]*)"', wachten.text).group(1).replace("&amp;", "&")
            while True:
                time.sleep(1)  # hx-trigger="load delay:1s"
                stand = self.get(voortgang, headers={"HX-Request": "true"})
                if "HX-Redirect" in stand.headers:
                    break
            locatie = self.get(stand.headers["HX-Redirect"]).headers["Location"]
        pagina = self.get(locatie)
        duur = time.perf_counter() - begin
        assert "Leerlinglijst succesvol opgestuurd" in pagina.text, pagina.text[:500]
        return duur, weg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rijen", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--soorten", nargs="+", default=["xlsx", "csv"], choices=["xlsx", "csv"])
    parser.add_argument("--herhaal", type=int, default=3)
    args = parser.parse_args()
    fmt = format_voor("VO", "overstapper")
    print(f"load average voor: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} ({os.cpu_count()} CPU's)")
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL")
        if url:
            postgres_leeg(url)
        database = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        with Server(database) as server:
            bezoeker = Bezoeker(server.url)
            print(f"database: {'PostgreSQL' if url else 'SQLite'}; gunicorn 2 workers x 4 threads")
            print(f"{'rijen':>7} {'soort':>5} {'MB':>5} {'weg':>6} {'eind-tot-eind s (elke ronde)':>34} {'langste verzoek s':>18}")
            for aantal in args.rijen:
                for soort in args.soorten:
                    tijden, langste = [], 0.0
                    for ronde in range(args.herhaal):
                        rijen = goede_rijen(fmt, aantal, seed=1000 * aantal + ronde)  # a new file each round (no duplicate warning)
                        data = make_xlsx(fmt, rijen) if soort == "xlsx" else make_csv(fmt, rijen)
                        duur, weg = bezoeker.opsturen(f"bench.{soort}", data)
                        tijden.append(duur)
                        langste = max(langste, bezoeker.langste)
                    rondes = " ".join(f"{t:.2f}" for t in tijden)
                    print(f"{aantal:>7} {soort:>5} {len(data) / 1e6:>5.1f} {weg:>6} {rondes:>34} {langste:>18.2f}", flush=True)
    print(f"load average na: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
