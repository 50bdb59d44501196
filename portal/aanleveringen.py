"""The submitter's side: "Mijn aanleveringen" in the portal, the public status page behind the
unguessable link of the confirmation mail, and Intrekken while the list waits for the helpdesk."""
from flask import Blueprint, flash, request
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from portal import verwerken
from portal.lijsten.formats import SOORTEN
from portal.models import Aanlevering, Instantie
from portal.vergelijking import waarschuwingen, zonder_bsn
from portal.web import render, see_other, toegang

bp = Blueprint("aanleveringen", __name__)
bp.add_app_template_filter(zonder_bsn, "zonder_bsn")


def van(gebruiker):
    """The lists a user may see: those of their own instanties (all of them for the helpdesk)."""
    return (Aanlevering.select(Aanlevering, Instantie).join(Instantie)
            .where(Aanlevering.instantie.in_(Instantie.van(gebruiker).select(Instantie.id)))
            .order_by(Aanlevering.aangemaakt.desc(), Aanlevering.id.desc()))


def _eigen(aanlevering_id):
    """Another school's list is 404, never 403: its existence is not told."""
    return get_object_or_404(van(current_user), Aanlevering.id == aanlevering_id)


def _via_token(token):
    return get_object_or_404(Aanlevering, Aanlevering.status_token == token)


@bp.route("/aanleveringen/")
@toegang("beheerder")
def mijn():
    return render("aanleveringen/mijn.html", aanleveringen=list(van(current_user)), soorten=SOORTEN)


@bp.route("/aanleveringen/<int:aanlevering_id>")
@toegang("beheerder")
def detail(aanlevering_id):
    aanlevering = _eigen(aanlevering_id)
    return _statuspagina(aanlevering, ("aanleveringen.intrekken", {"aanlevering_id": aanlevering.id}))


def _statuspagina(aanlevering, intrekken_url):
    """One status page for the portal and the public link; only the withdraw action differs."""
    return render("aanleveringen/status.html", aanlevering=aanlevering, soorten=SOORTEN,
                  waarschuwingen=waarschuwingen(aanlevering), intrekken_url=intrekken_url)


def _intrekken(aanlevering, terug, actie, **wie):
    """Withdrawing cannot be undone: the first request (a GET, or a POST from an older page without
    `bevestigd`) shows a confirmation page in plain HTML; its form withdraws. `terug` and `actie`
    are (endpoint, args) of the status page and of this route."""
    if aanlevering.status != "ingediend":
        flash("Deze lijst kan niet meer worden ingetrokken: de helpdesk heeft hem al behandeld.", "fout")
        return see_other(terug[0], **terug[1])
    if request.method == "GET" or request.form.get("bevestigd") != "ja":
        return render("aanleveringen/intrekken.html", aanlevering=aanlevering, soorten=SOORTEN,
                      terug=terug, actie=actie)
    try:
        verwerken.intrekken(aanlevering, **wie)
    except verwerken.NietMeerIngediend:
        flash("Deze lijst kan niet meer worden ingetrokken: de helpdesk heeft hem al behandeld.", "fout")
    else:
        flash(f"Lijst {aanlevering.kenmerk} is ingetrokken. De helpdesk verwerkt hem niet.", "succes")
    return see_other(terug[0], **terug[1])


@bp.route("/aanleveringen/<int:aanlevering_id>/intrekken", methods=["GET", "POST"])
@toegang("beheerder")
def intrekken(aanlevering_id):
    aanlevering = _eigen(aanlevering_id)
    args = {"aanlevering_id": aanlevering.id}
    return _intrekken(aanlevering, ("aanleveringen.detail", args), ("aanleveringen.intrekken", args),
                      gebruiker=current_user)


@bp.route("/leerlinglijst/status/<token>")
@toegang("anoniem")
def status(token):
    return _statuspagina(_via_token(token), ("aanleveringen.intrekken_publiek", {"token": token}))


@bp.route("/leerlinglijst/status/<token>/intrekken", methods=["GET", "POST"])
@toegang("anoniem")
def intrekken_publiek(token):
    aanlevering = _via_token(token)
    args = {"token": token}
    return _intrekken(aanlevering, ("aanleveringen.status", args), ("aanleveringen.intrekken_publiek", args),
                      wie=f"{aanlevering.naam} (indiener, via de statuslink)")
