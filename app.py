"""Leerlinglijst: the student-list intake of the school portal. `flask --app app run`."""
import logging
import re
import secrets
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from markupsafe import escape
from playhouse.db_url import connect
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as settings
from portal.extensions import csrf, db, limiter, login_manager, mail
from portal.models import masker


def make_database(url, instance_path):
    if not url:
        url = f"sqlite:///{Path(instance_path) / 'leerlinglijst.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("sqlite"):
        # WAL and a busy timeout let several workers share the file; foreign keys are off by default.
        # A page cache of up to 32 MB per connection (SQLite's default is 2 MB, grown only as used):
        # a load of 50,000 students keeps the pages of the table's nine indexes in it instead of
        # reading them back from the OS (bench_verwerken.py: 41,000 → 50,000 rows/s).
        return connect(url, pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000,
                                     "synchronous": "normal", "cache_size": -32_768})
    return connect(url)


def _secret_key(app):
    """SECRET_KEY from the environment; otherwise one generated once and kept in the instance folder."""
    pad = Path(app.instance_path) / "secret_key"
    if pad.exists():
        return pad.read_text().strip()
    sleutel = secrets.token_urlsafe(48)
    pad.write_text(sleutel)
    pad.chmod(0o600)
    return sleutel


def _is_veldcheck():
    """An htmx field check: it posts `_veld` (the wizard's step 4, the student form)."""
    try:
        return bool(request.headers.get("HX-Request") and request.form.get("_veld"))
    except HTTPException:  # a body too large to read (413) is no field check
        return False


class Sessiecookie(SecureCookieSessionInterface):
    """The session cookie is sent back with every answer (its idle time starts again), except the
    answer to an inline field check that left the session as it came: that request runs in the
    background and may finish after the form's own POST, and its older cookie would then overwrite
    the newer one (a lost "is opgeslagen", a lost check of an upload). The content is compared, not
    `session.modified`: Flask-Login touches the session of every anonymous request."""

    def should_set_cookie(self, app, session):
        if _is_veldcheck() and dict(session) == self._zoals_gekomen(app):
            return False
        return super().should_set_cookie(app, session)

    def _zoals_gekomen(self, app):
        serializer, cookie = self.get_signing_serializer(app), request.cookies.get(self.get_cookie_name(app))
        try:
            return serializer.loads(cookie) if serializer and cookie else {}
        except BadSignature:
            return None


class Leerlinglijst(Flask):
    def url_for(self, endpoint, /, *, _anchor=None, _method=None, _scheme=None, _external=None, **values):
        """Every absolute link (the links in mails above all) starts with PUBLIC_URL, never with the
        Host header of the request that caused it: a forged Host can not put its own address in a
        password-reset link."""
        if _external is None:
            _external = _scheme is not None or not has_request_context()
        if not _external:
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, **values)
        if endpoint[:1] == ".":
            blueprint = request.blueprint if has_request_context() else None
            endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        basis = urlsplit(self.config["PUBLIC_URL"])
        adapter = self.url_map.bind(basis.netloc, script_name=basis.path or "/", url_scheme=basis.scheme)
        self.inject_url_defaults(endpoint, values)
        url = adapter.build(endpoint, values, method=_method, force_external=True)
        if _anchor is not None:
            url = f"{url}#{quote(_anchor, safe='%!#$&()*+,/:;=?@')}"
        return url


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def vertrouwde_hosts(config):
    """Flask's TRUSTED_HOSTS: the host of PUBLIC_URL and EXTRA_HOSTS; None (any) in development."""
    if config.get("DEVELOPMENT"):
        return None
    host = urlsplit(config["PUBLIC_URL"]).hostname
    hosts = [host, *config.get("EXTRA_HOSTS", [])]
    if host in LOOPBACK:
        hosts += LOOPBACK
    return list(dict.fromkeys(hosts))


# Secret path segments: the status link of a public list, a reset link, a failed check; and the
# status token that "Opnieuw opsturen" carries in its query string.
_GEHEIM_IN_PAD = re.compile(r"(/(?:status|wachtwoord-herstellen|controle)/|[?&]opnieuw=)[^/\s?&\"' ]+")


class GeheimenFilter(logging.Filter):
    """Keeps tokens out of the logs: werkzeug's and gunicorn's access lines and our own messages
    show /leerlinglijst/status/***. Whoever reads the log can not open the page."""

    def filter(self, record):
        try:
            bericht = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        gemaskeerd = _GEHEIM_IN_PAD.sub(r"\1***", bericht)
        if gemaskeerd != bericht:
            record.msg, record.args = gemaskeerd, None
        return True


def _filter_geheimen():
    doelen = [logging.getLogger(naam) for naam in ("werkzeug", "gunicorn.access", "gunicorn.error")]
    doelen += logging.getLogger().handlers
    for doel in doelen:
        if not any(isinstance(f, GeheimenFilter) for f in doel.filters):
            doel.addFilter(GeheimenFilter())


# C0 control characters (tab and line breaks excepted): never typed, PostgreSQL refuses NUL outright.
_STUURTEKEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VELDNAMEN = {"naam": "Uw naam", "email": "Uw e-mailadres", "toelichting": "Toelichting", "q": "Zoeken",
              "reden": "Reden", "wachtwoord": "Wachtwoord"}


def weiger_stuurtekens():
    """A control character in any form field, query value or file name is answered with a message
    that names the field, before it reaches a view or the database."""
    from portal.web import foutpagina
    for naam, bestand in request.files.items(multi=True):
        if bestand.filename and (_STUURTEKEN.search(bestand.filename) or "\n" in bestand.filename
                                 or "\r" in bestand.filename or "\t" in bestand.filename):
            return foutpagina(422, "Onleesbaar teken in de bestandsnaam",
                              "De naam van het gekozen bestand bevat een onzichtbaar stuurteken. Geef het bestand "
                              "een gewone naam (bijvoorbeeld leerlingen.xlsx), kies het opnieuw en verstuur het "
                              "formulier nog eens.")
    for bron in (request.form, request.args):
        for naam, waarde in bron.items(multi=True):
            if _STUURTEKEN.search(waarde):
                veld = _VELDNAMEN.get(naam, naam)
                return foutpagina(422, f"Onleesbaar teken in {veld}",
                                  f"Het veld {veld} bevat een onzichtbaar stuurteken (bijvoorbeeld een NUL-teken, "
                                  f"vaak meegekopieerd uit een ander programma). Typ de tekst opnieuw in en "
                                  f"verstuur het formulier nog eens.")
    return None


def onbekende_host(error):
    """Flask refuses a Host outside TRUSTED_HOSTS before any URL can be built, so this page is
    plain: the normal error page links with url_for."""
    adres = escape(current_app.config["PUBLIC_URL"])
    html = ("<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\"><title>Onbekend adres</title>"
            f"<h1>Onbekend adres</h1><p>Deze site is alleen bereikbaar via <a href=\"{adres}/\">{adres}</a>.</p></html>")
    return current_app.response_class(html, status=400, mimetype="text/html")


def strict_transport_security(response):
    """HSTS when served over HTTPS (seen through ProxyFix behind a proxy): browsers keep to HTTPS."""
    if request.is_secure:
        max_age = int(current_app.config["HSTS_MAX_AGE"])
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def _bij_eerste_verzoek(app, naam, start):
    """Run `start` once per process, at its first request, and keep what it returns in app.extensions."""
    lock = threading.Lock()

    @app.before_request
    def _starten():
        if naam not in app.extensions:
            with lock:
                if naam not in app.extensions:
                    app.extensions[naam] = start()


def create_app(config=None):
    config = dict(config or {})
    app = Leerlinglijst(__name__, instance_relative_config=True, instance_path=config.pop("INSTANCE_PATH", None),
                template_folder="templates", static_folder="static")
    app.session_interface = Sessiecookie()
    app.config.update(settings.DEFAULTS)
    app.config.update({k: v for k, v in settings.from_environment().items() if v is not None})
    if config:
        app.config.update(config)
    if not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = f"http://127.0.0.1:{app.config.get('PORT') or 5000}"
        app.logger.warning("PUBLIC_URL is niet gezet: links in e-mails wijzen naar %s.", app.config["PUBLIC_URL"])
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"].rstrip("/")
    if "TRUSTED_HOSTS" not in config:
        app.config["TRUSTED_HOSTS"] = vertrouwde_hosts(app.config)
    if app.config.get("PROXY_COUNT"):
        # Only then are X-Forwarded-For/-Proto/-Host believed, and only from that many proxies:
        # the rate limits key on the real client, HSTS sees HTTPS.
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    app.config["DATABASE"] = make_database(app.config.get("DATABASE_URL"), app.instance_path)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    logging.basicConfig(level=logging.INFO)
    _filter_geheimen()

    from portal.lijsten import reader
    reader.assert_defusedxml()

    db.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.inloggen"
    login_manager.login_message = "Log in om verder te gaan."
    login_manager.session_protection = "strong"

    from portal import web
    # An id in a URL that no database column can hold is simply not found (404), not a 500.
    app.url_map.converters["int"] = web.DatabaseId
    app.before_request(web.check_toegang)
    app.before_request(weiger_stuurtekens)
    app.after_request(web.security_headers)
    app.after_request(strict_transport_security)
    web.register_error_handlers(app)
    app.register_error_handler(SecurityError, onbekende_host)
    web.zet_context(app)
    app.jinja_env.globals["masker"] = masker

    from portal import auth, cli, start
    app.register_blueprint(auth.bp)
    app.register_blueprint(start.bp)
    # One wizard, registered twice: the portal's for logged-in schools, the public site's for visitors.
    import leerlinglijst_site
    from portal import correctie, uploaden, wizard  # noqa: F401 (correctie adds its routes to wizard.bp)
    app.register_blueprint(wizard.bp, name="uploaden", url_prefix="/uploaden", kanaal=uploaden.KANAAL)
    app.register_blueprint(wizard.bp, name="site", url_prefix="/leerlinglijst", kanaal=leerlinglijst_site.KANAAL)
    for module in ("portal.aanleveringen", "portal.helpdesk", "portal.leerlingen"):
        try:
            blueprint = __import__(module, fromlist=["bp"]).bp
        except ModuleNotFoundError as fout:
            if fout.name != module:
                raise
            continue
        app.register_blueprint(blueprint)
    cli.register(app)

    # Background workers start with the first request, so that commands (seed-demo, check) never
    # send mail or run checks: the mail outbox, and large uploads checked as jobs (portal/controles.py).
    if app.config["MAIL_WORKER"] and not app.testing:
        from portal.mail import start_worker
        _bij_eerste_verzoek(app, "mail_worker", lambda: start_worker(app, interval=app.config["MAIL_WORKER_INTERVAL"]))
    if app.config.get("CONTROLE_WORKER", True) and not app.testing:
        from portal import controles
        _bij_eerste_verzoek(app, "controle_worker", lambda: controles.start_worker(app))
    return app
