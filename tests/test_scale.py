"""The scale path: several gunicorn workers on one database (PostgreSQL when TEST_DATABASE_URL is
set, otherwise an SQLite file), Redis for the shared rate limit, and the mail outbox sent by
every worker's thread: each mail arrives once."""
import http.cookiejar
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.lijsten.formats import format_voor
from tests.builders import leerlingen, make_xlsx
from tests.conftest import ROOT, WACHTWOORD, free_port, need


def wait_for_port(port, timeout=20):
    einde = time.time() + timeout
    while time.time() < einde:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(port)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    need(server is not None, "redis-server ontbreekt: sudo apt-get install redis-server")
    port = free_port()
    proces = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    yield f"redis://127.0.0.1:{port}/0"
    proces.terminate()
    proces.wait(timeout=10)


@pytest.fixture
def gunicorn(database_url, redis_url, smtp_server, tmp_path):
    smtp_server.start()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": redis_url,
           "SECRET_KEY": "schaal-test", "HTMX_CDN": "0", "SESSION_COOKIE_SECURE": "0",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port), "MAIL_WORKER_INTERVAL": "0.3",
           "HELPDESK_EMAIL": "helpdesk-team@voorbeeld.nl", "DEMO_PASSWORD": WACHTWOORD, "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    proces = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    wait_for_port(port, timeout=30)
    yield f"http://127.0.0.1:{port}"
    proces.terminate()
    proces.wait(timeout=20)


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (so we see the 303s)."""
    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, path, data=None, headers=None):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def get(self, path):
        return self.request(path)

    def post(self, path, velden, bestand=None):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)[2]).group(1)
        velden = {"csrf_token": token, **velden}
        if bestand is None:
            return self.request(path, urllib.parse.urlencode(velden).encode())
        grens = uuid.uuid4().hex
        delen = [f'--{grens}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in velden.items()]
        delen.append(f'--{grens}\r\nContent-Disposition: form-data; name="bestand"; filename="lijst.xlsx"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + bestand + b"\r\n")
        delen.append(f"--{grens}--\r\n".encode())
        return self.request(path, b"".join(delen), {"Content-Type": f"multipart/form-data; boundary={grens}"})


def test_several_workers_share_sessions_limits_and_the_outbox(gunicorn, smtp_server):
    browser = Browser(gunicorn)
    # A session made by one worker is honoured by the others (no state in a worker).
    status, headers, _ = browser.post("/inloggen", {"email": "vo@demo.nl", "wachtwoord": WACHTWOORD})
    assert status == 303
    for _ in range(6):
        assert "Vera Oosterhout" in browser.get("/")[2]

    # A beheerder delivers a list; the mails are sent by whichever worker's thread claims them, once.
    fmt = format_voor("VO", "overstapper")
    instantie = re.search(r'<option value="(\d+)"[^>]*>Voorbeeldcollege', browser.get("/uploaden/opsturen?schoolsoort=VO&soort=overstapper")[2]).group(1)
    status, headers, _ = browser.post("/uploaden/opsturen?schoolsoort=VO&soort=overstapper",
                                      {"instantie": instantie, "naam": "Schaal Test", "email": "schaal@voorbeeld.nl",
                                       "toelichting": ""}, bestand=make_xlsx(fmt, leerlingen(fmt, 20, seed=5)))
    assert status == 303 and "/uploaden/klaar/" in headers["Location"]
    einde = time.time() + 20
    while time.time() < einde and len(smtp_server.berichten) < 2:
        time.sleep(0.2)
    time.sleep(1.5)  # let every worker's thread run a few more rounds: nothing may be sent twice
    ontvangers = sorted(m["To"] for m in smtp_server.berichten)
    assert ontvangers == ["helpdesk-team@voorbeeld.nl", "schaal@voorbeeld.nl"]

    # The login limit (10 a minute per address) counts across the three workers (Redis): with the
    # one login above, the tenth wrong attempt is refused, whichever worker answers it.
    aanvaller = Browser(gunicorn)
    # (Eleven addresses: the per-account back-off of test_hardening.py is not what this counts.)
    statuses = [aanvaller.post("/inloggen", {"email": f"gok{i}@voorbeeld.nl", "wachtwoord": "fout"})[0] for i in range(11)]
    assert statuses == [422] * 9 + [429, 429]
