"""The Flask extensions, made once and bound to each app in create_app()."""
import secrets
import smtplib

import flask_mail
from flask import current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from playhouse.flask_utils import FlaskDB



class Database(FlaskDB):
    """FlaskDB that reuses a connection opened before the request (the CLI, the tests, the
    mail thread each open their own; a request in the same thread shares it)."""

    def connect_db(self):
        if self._excluded_routes and request.endpoint in self._excluded_routes:
            return
        self.database.connect(reuse_if_open=True)


class _Verbinding(flask_mail.Connection):
    """Flask-Mail's connection with a timeout: a hung SMTP server must give up well before the
    outbox's claim on the mail runs out, or another worker sends the same mail again."""

    def configure_host(self):
        timeout = current_app.config["MAIL_TIMEOUT"]
        soort = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = soort(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def __exit__(self, exc_type, exc_value, tb):
        try:
            super().__exit__(exc_type, exc_value, tb)
        except (smtplib.SMTPException, OSError):
            if exc_type is None:
                raise
            # Saying goodbye to a server that timed out fails too; the timeout is what went wrong.


class Mail(flask_mail.Mail):
    def connect(self):
        return _Verbinding(current_app.extensions["mail"])


def per_bezoeker():
    """Rate-limit key for one visitor of the public site: the client's address (the real one
    when PROXY_COUNT says how many proxies stand in front) plus an id kept in the session, so that
    visitors behind one school's address do not share a limit. A client that drops its cookie gets a
    new id every time; the wizard's per-address limit (PUBLIC_UPLOAD_LIMIT_ADRES) bounds that."""
    adres = get_remote_address()
    bezoeker = session.get("bezoeker") or session.setdefault("bezoeker", secrets.token_urlsafe(16))
    return f"bezoeker:{adres}:{bezoeker}"


db = Database()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// on one process, redis://… when several
# gunicorn workers must count together. The address is request.remote_addr, which is the client's
# own address only behind ProxyFix (PROXY_COUNT); see app.py.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
