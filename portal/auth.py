"""Logging in and out, and resetting a forgotten password by a signed, expiring, single-use link."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from portal import mail
from portal.extensions import db, limiter, login_manager
from portal.models import Gebruiker, nu
from portal.web import render, see_other, toegang

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def laad_gebruiker(gebruiker_id):
    return Gebruiker.get_or_none((Gebruiker.id == int(gebruiker_id)) & (Gebruiker.actief == True))  # noqa: E712


class InlogForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul uw e-mailadres in.")])
    wachtwoord = PasswordField("Wachtwoord", validators=[DataRequired("Vul uw wachtwoord in.")])


class VergetenForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired("Vul uw e-mailadres in.")])


class HerstelForm(FlaskForm):
    wachtwoord = PasswordField("Nieuw wachtwoord", validators=[
        DataRequired("Kies een nieuw wachtwoord."),
        Length(min=12, message="Een wachtwoord heeft minstens 12 tekens.")])
    herhaling = PasswordField("Herhaal het nieuwe wachtwoord", validators=[
        DataRequired("Herhaal het nieuwe wachtwoord."),
        EqualTo("wachtwoord", "De twee wachtwoorden zijn niet gelijk.")])


def _veilige_volgende(doel):
    """Only a path on this site: a login link never sends anyone elsewhere."""
    if not doel:
        return url_for("start.index")
    delen = urlsplit(doel)
    if delen.scheme or delen.netloc or not doel.startswith("/") or doel.startswith("//"):
        return url_for("start.index")
    return doel


def _login_limit():
    return current_app.config["LOGIN_LIMIT"]


@bp.route("/inloggen", methods=["GET", "POST"])
@toegang("anoniem")
@limiter.limit(_login_limit, methods=["POST"])
def inloggen():
    form = InlogForm()
    fout = None
    if form.validate_on_submit():
        gebruiker = Gebruiker.met_email(form.email.data)
        if gebruiker and gebruiker.actief and gebruiker.controleer_wachtwoord(form.wachtwoord.data):
            session.clear()  # a new session at login: nothing from before carries over
            login_user(gebruiker)
            session.permanent = True
            Gebruiker.update(laatst_ingelogd=nu()).where(Gebruiker.id == gebruiker.id).execute()
            return redirect(_veilige_volgende(request.args.get("next")), code=303)
        fout = "Het e-mailadres of het wachtwoord klopt niet."
    status = 422 if request.method == "POST" else 200
    return render("auth/inloggen.html", form=form, fout=fout, status=status)


@bp.route("/uitloggen", methods=["POST"])
@toegang("anoniem")
def uitloggen():
    logout_user()
    session.clear()
    flash("U bent uitgelogd.", "succes")
    return see_other("auth.inloggen")


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wachtwoord-herstellen")


def herstel_token(gebruiker):
    return _serializer().dumps({"id": gebruiker.id, "v": gebruiker.wachtwoord_vingerafdruk})


def gebruiker_bij_token(token):
    try:
        data = _serializer().loads(token, max_age=current_app.config["WACHTWOORD_LINK_GELDIG_SECONDEN"])
    except SignatureExpired:
        return None, "Deze link is verlopen. Vraag een nieuwe link aan."
    except BadSignature:
        return None, "Deze link is ongeldig. Vraag een nieuwe link aan."
    gebruiker = Gebruiker.get_or_none(Gebruiker.id == data.get("id"))
    if gebruiker is None or gebruiker.wachtwoord_vingerafdruk != data.get("v"):
        return None, "Deze link is al gebruikt. Vraag zo nodig een nieuwe link aan."
    return gebruiker, None


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@toegang("anoniem")
@limiter.limit(_login_limit, methods=["POST"])
def wachtwoord_vergeten():
    form = VergetenForm()
    if form.validate_on_submit():
        gebruiker = Gebruiker.met_email(form.email.data)
        if gebruiker and gebruiker.actief:
            with db.database.atomic():
                mail.queue(gebruiker.email, "Nieuw wachtwoord instellen", "wachtwoord_herstellen",
                           gebruiker=gebruiker,
                           link=url_for("auth.wachtwoord_herstellen", token=herstel_token(gebruiker), _external=True))
        # The same answer whether or not the address is known: no list of accounts to harvest.
        flash("Als dit e-mailadres bij ons bekend is, ontvangt u binnen enkele minuten een e-mail met een link "
              "om een nieuw wachtwoord in te stellen. De link is een uur geldig.", "succes")
        return see_other("auth.inloggen")
    return render("auth/vergeten.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
@toegang("anoniem")
def wachtwoord_herstellen(token):
    gebruiker, probleem = gebruiker_bij_token(token)
    if gebruiker is None:
        return render("auth/herstellen.html", form=None, probleem=probleem, status=400)
    form = HerstelForm()
    if form.validate_on_submit():
        gebruiker.zet_wachtwoord(form.wachtwoord.data)
        gebruiker.save()
        flash("Uw wachtwoord is gewijzigd. U kunt nu inloggen.", "succes")
        return see_other("auth.inloggen")
    return render("auth/herstellen.html", form=form, probleem=None, status=422 if request.method == "POST" else 200)
