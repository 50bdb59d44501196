"""Leerlinglijst: the student-list intake of the school portal. `flask --app app run`."""
import logging
import secrets
import threading
from pathlib import Path

from flask import Flask
from playhouse.db_url import connect

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
        return connect(url, pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000,
                                     "synchronous": "normal"})
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


def create_app(config=None):
    config = dict(config or {})
    app = Flask(__name__, instance_relative_config=True, instance_path=config.pop("INSTANCE_PATH", None),
                template_folder="templates", static_folder="static")
    app.config.update(settings.DEFAULTS)
    app.config.update({k: v for k, v in settings.from_environment().items() if v is not None})
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    app.config["DATABASE"] = make_database(app.config.get("DATABASE_URL"), app.instance_path)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    logging.basicConfig(level=logging.INFO)

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
    app.after_request(web.security_headers)
    web.register_error_handlers(app)
    web.zet_context(app)
    app.jinja_env.globals["masker"] = masker

    from portal import auth, cli, start
    app.register_blueprint(auth.bp)
    app.register_blueprint(start.bp)
    # One wizard, registered twice: the portal's for logged-in schools, the public site's for visitors.
    import leerlinglijst_site
    from portal import uploaden, wizard
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

    if app.config["MAIL_WORKER"] and not app.testing:
        # Started by the first request, so that commands (seed-demo, check) never send mail.
        from portal.mail import start_worker
        lock = threading.Lock()

        @app.before_request
        def start_mail_worker():
            if "mail_worker" not in app.extensions:
                with lock:
                    if "mail_worker" not in app.extensions:
                        app.extensions["mail_worker"] = start_worker(app, interval=app.config["MAIL_WORKER_INTERVAL"])
    return app
