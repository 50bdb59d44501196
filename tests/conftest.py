"""Fixtures: a fresh app per test on a fresh database (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), a logged-in client per role, and a real SMTP server on loopback."""
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from portal import migrations  # noqa: E402
from portal.extensions import db  # noqa: E402

WACHTWOORD = "test-wachtwoord-123"
DEMO = {"vo": "vo@demo.nl", "mbo": "mbo@demo.nl", "helpdesk": "helpdesk@demo.nl"}
IN_CI = os.environ.get("CI") == "true"


def need(condition, reason):
    """Skip on a developer's machine that lacks a tool; in CI nothing is skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI mist een hulpmiddel: {reason}")
    pytest.skip(reason)


def _reset_postgres(url):
    import psycopg2
    verbinding = psycopg2.connect(url)
    verbinding.autocommit = True
    with verbinding.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    verbinding.close()


_PG_DATABASES = {}


def _postgres_for_worker(base):
    """One database per pytest-xdist worker, made once, so that workers never share tables."""
    if base not in _PG_DATABASES:
        import psycopg2
        naam = f"leerlinglijst_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        verbinding = psycopg2.connect(base)
        verbinding.autocommit = True
        with verbinding.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (naam,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{naam}"')
        verbinding.close()
        _PG_DATABASES[base] = base.rsplit("/", 1)[0] + "/" + naam
    return _PG_DATABASES[base]


@pytest.fixture
def database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = _postgres_for_worker(base)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(database_url, tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-geheim",
        "DATABASE_URL": database_url,
        "HTMX_CDN": False,
        "MAIL_WORKER": False,
        "MAIL_SERVER": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SESSION_COOKIE_SECURE": False,
        "DEMO_PASSWORD": WACHTWOORD,
        "HELPDESK_EMAIL": "helpdesk-team@voorbeeld.nl",
    }


@pytest.fixture
def app(app_config, tmp_path):
    application = create_app({**app_config, "INSTANCE_PATH": str(tmp_path / "instance")})
    with application.app_context():
        migrations.upgrade(db.database)
        seed(application)
    # No app context is held during the test: each request must get its own (and its own `g`).
    # Models work without one; the database is bound when the app is made.
    yield application
    if not db.database.is_closed():
        db.database.close()


def seed(application):
    runner = application.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "geen CSRF-token op de pagina"
    return match.group(1)


def csrf_token(client, path="/inloggen"):
    return csrf_from(client.get(path).get_data(as_text=True))


def do_login(client, email, wachtwoord=WACHTWOORD):
    token = csrf_token(client)
    return client.post("/inloggen", data={"csrf_token": token, "email": email, "wachtwoord": wachtwoord})


@pytest.fixture
def login(client):
    """login('vo' | 'mbo' | 'helpdesk') logs the test client in as that demo account."""
    def _login(rol):
        response = do_login(client, DEMO[rol])
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client
    return _login


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postbus:
    """What a real SMTP server on loopback received."""
    def __init__(self):
        self.berichten = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy
        bericht = email.message_from_bytes(envelope.content, policy=policy.default)
        self.berichten.append(bericht)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """Start with `.start()`, stop with `.stop()`; `.port` is fixed up front so it can be down first."""
    from aiosmtpd.controller import Controller

    class Server:
        def __init__(self):
            self.port = free_port()
            self.postbus = Postbus()
            self.controller = None

        def start(self):
            self.controller = Controller(self.postbus, hostname="127.0.0.1", port=self.port)
            self.controller.start()

        def stop(self):
            if self.controller:
                self.controller.stop()
                self.controller = None

        @property
        def berichten(self):
            return self.postbus.berichten

    server = Server()
    yield server
    server.stop()


def chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
