"""The portal's start page."""
from flask import Blueprint
from flask_login import current_user

from portal.models import Aanlevering, Instantie
from portal.web import render, toegang

bp = Blueprint("start", __name__)


@bp.route("/")
@toegang("ingelogd")
def index():
    instanties = list(current_user.instanties) if current_user.is_beheerder else []
    wachtend = (Aanlevering.select().where(Aanlevering.status == "ingediend").count()
                if current_user.is_helpdesk else None)
    return render("start.html", instanties=instanties, wachtend=wachtend, aantal_instanties=Instantie.select().count())
