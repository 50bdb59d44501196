"""The Flask extensions, made once and bound to each app in create_app()."""
from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect
from playhouse.flask_utils import FlaskDB



class Database(FlaskDB):
    """FlaskDB that reuses a connection opened before the request (the CLI, the tests, the
    mail thread each open their own; a request in the same thread shares it)."""

    def connect_db(self):
        if self._excluded_routes and request.endpoint in self._excluded_routes:
            return
        self.database.connect(reuse_if_open=True)


db = Database()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
# Storage comes from RATELIMIT_STORAGE_URI: memory:// on one process, redis://… when several
# gunicorn workers must count together.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
