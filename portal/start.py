"""The portal's start page."""
from flask import Blueprint, flash
from flask_login import current_user

from portal import mail
from portal.models import Aanlevering, Instantie
from portal.web import render, see_other, toegang

bp = Blueprint("start", __name__)


@bp.route("/")
@toegang("ingelogd")
def index():
    instanties = list(current_user.instanties) if current_user.is_beheerder else []
    wachtend = Aanlevering.aantal_wachtend() if current_user.is_helpdesk else None
    onverzonden = mail.onverzonden().count() if current_user.is_helpdesk else 0
    return render("start.html", instanties=instanties, wachtend=wachtend, onverzonden=onverzonden,
                  aantal_instanties=Instantie.select().count())


@bp.route("/e-mail")
@toegang("helpdesk")
def outbox():
    """Mail that has not gone out yet, so the helpdesk sees when the mail server is down."""
    return render("outbox.html", berichten=list(mail.onverzonden()))


@bp.route("/e-mail/opnieuw", methods=["POST"])
@toegang("helpdesk")
def outbox_opnieuw():
    aantal = mail.nu_opnieuw()
    if aantal == 0:
        flash("Er staat geen e-mail klaar om opnieuw te versturen.", "succes")
    elif aantal == 1:
        flash("1 e-mail wordt zo opnieuw verstuurd.", "succes")
    else:
        flash(f"{aantal} e-mails worden zo opnieuw verstuurd.", "succes")
    return see_other("start.outbox")
