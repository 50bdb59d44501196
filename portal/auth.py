"""Logging in and out, and resetting a forgotten password by a signed, expiring, single-use link."""
import functools
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from portal import mail
from portal.extensions import db, limiter, login_manager
from portal.models import Afremming, Gebruiker, MailBericht, nu
from portal.web import render, see_other, toegang

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def laad_gebruiker(sessie_id):
    """The account of this session, unless the session has ended: by logout or a new password
    (the version in the id no longer matches) or by its absolute lifetime, which the idle time-out
    alone does not give."""
    gebruiker = Gebruiker.bij_sessie(sessie_id)
    if gebruiker is None:
        return None
    uren = current_app.config["SESSION_MAX_HOURS_HELPDESK" if gebruiker.is_helpdesk else "SESSION_MAX_HOURS"]
    begonnen = session.get("begonnen")
    if not isinstance(begonnen, (int, float)) or time.time() - begonnen > uren * 3600:
        return None
    return gebruiker


@functools.cache
def _dummy_hash():
    return generate_password_hash(secrets.token_urlsafe(16))  # the same algorithm as a real account's


def _wachtwoord_klopt(gebruiker, wachtwoord):
    """Always one password hash, also for an unknown address: the time an answer takes does not
    tell whether an address has an account."""
    if gebruiker is None:
        check_password_hash(_dummy_hash(), wachtwoord)
        return False
    klopt = gebruiker.controleer_wachtwoord(wachtwoord)
    return klopt and gebruiker.actief


def _over(seconden):
    if seconden < 90:
        return f"{seconden} seconden"
    return f"{-(-seconden // 60)} minuten"


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
    if not doel or any(ord(teken) < 0x20 or ord(teken) == 0x7F for teken in doel):
        # urlsplit drops tabs and line breaks, the response header would not: a CRLF is no path.
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
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        email, config = form.email.data, current_app.config
        wacht = Afremming.wachttijd(email)
        if wacht:
            fout = (f"Er is te vaak een verkeerd wachtwoord ingevuld voor dit e-mailadres. Probeer het over "
                    f"{_over(wacht)} opnieuw, of vraag via 'Wachtwoord vergeten' een nieuw wachtwoord aan.")
            status = 429
        else:
            gebruiker = Gebruiker.met_email(email)
            if _wachtwoord_klopt(gebruiker, form.wachtwoord.data):
                Afremming.gelukt(email)
                session.clear()  # a new session at login: nothing from before carries over
                login_user(gebruiker)
                session.permanent = True
                session["begonnen"] = int(time.time())
                Gebruiker.update(laatst_ingelogd=nu()).where(Gebruiker.id == gebruiker.id).execute()
                return redirect(_veilige_volgende(request.args.get("next")), code=303)
            Afremming.fout(email, config["LOGIN_FREE_ATTEMPTS"], config["LOGIN_BACKOFF_SECONDS"],
                           config["LOGIN_BACKOFF_MAX_SECONDS"])
            fout = "Het e-mailadres of het wachtwoord klopt niet."
    return render("auth/inloggen.html", form=form, fout=fout, status=status)


@bp.route("/uitloggen", methods=["POST"])
@toegang("anoniem")
def uitloggen():
    if current_user.is_authenticated:
        current_user.beeindig_sessies()  # also a copied cookie, and the account's other sessions
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


ONDERWERP_HERSTEL = "Nieuw wachtwoord instellen"


def _te_veel_herstelmails(gebruiker):
    """A cap per account, so that nobody can fill someone's inbox with reset mails."""
    sinds = nu() - timedelta(hours=1)
    aantal = (MailBericht.select().where((MailBericht.aan == gebruiker.email) & (MailBericht.aangemaakt >= sinds)
                                         & (MailBericht.onderwerp == ONDERWERP_HERSTEL)).count())
    return aantal >= current_app.config["RESET_MAILS_PER_HOUR"]


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@toegang("anoniem")
@limiter.limit(_login_limit, methods=["POST"])
def wachtwoord_vergeten():
    form = VergetenForm()
    if form.validate_on_submit():
        gebruiker = Gebruiker.met_email(form.email.data)
        if gebruiker and gebruiker.actief and not _te_veel_herstelmails(gebruiker):
            with db.database.atomic():
                mail.queue(gebruiker.email, ONDERWERP_HERSTEL, "wachtwoord_herstellen",
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
        with db.database.atomic():
            gebruiker.zet_wachtwoord(form.wachtwoord.data)
            gebruiker.save()
            gebruiker.beeindig_sessies()  # whoever had the old password is logged out everywhere
            Afremming.gelukt(gebruiker.email)
        flash("Uw wachtwoord is gewijzigd. U kunt nu inloggen.", "succes")
        return see_other("auth.inloggen")
    return render("auth/herstellen.html", form=form, probleem=None, status=422 if request.method == "POST" else 200)
