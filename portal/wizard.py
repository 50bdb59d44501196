"""The upload wizard, written once and served twice: in the portal (`uploaden`) and on the public
site (`site`). Five steps: Schoolsoort, Soort leerlingen, Format, Opsturen, Verwerken.

The choices travel in the query string (?schoolsoort=VO&soort=overstapper), so every step is a
plain URL: back, reload and a second tab do no harm. A checked file with errors is kept as a
`Controle` that only this browser session may open; a file without errors becomes an
`Aanlevering` at once, with its confirmation mails, in one transaction.
"""
import hashlib
import io
import json
from datetime import date
from pathlib import PurePath
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, request, send_file, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import mail, vergelijking
from portal.extensions import db, limiter
from portal.lijsten.errors import CATALOG, Bevinding
from portal.lijsten.formats import SOORTEN, format_voor
from portal.lijsten.reader import Limieten
from portal.lijsten.validate import check_bytes
from portal.models import Aanlevering, Controle, Gebeurtenis, Instantie, Leerling
from portal.schooljaar import schooljaar
from portal.web import render, see_other, toegang

STAPPEN = ("Schoolsoort", "Soort leerlingen", "Format", "Opsturen", "Verwerken")
SCHOOLSOORT_LABELS = {"VO": "VO – voortgezet onderwijs", "MBO": "MBO – middelbaar beroepsonderwijs"}
SOORT_UITLEG = {
    "overstapper": "Leerlingen die aan het eind van het schooljaar waarschijnlijk naar een andere school gaan.",
    "niet-overstapper": "Leerlingen die op school blijven, maar wel loopbaanactiviteiten (LOB) volgen.",
}
MAX_GETOOND = 200


class Keuzes(NamedTuple):
    schoolsoort: str | None = None
    soort: str | None = None

    @property
    def format(self):
        return format_voor(self.schoolsoort, self.soort)

    @property
    def args(self):
        return {k: v for k, v in self._asdict().items() if v}


# ----------------------------------------------------------------------------------------------
# Forms
# ----------------------------------------------------------------------------------------------
class SchoolsoortForm(FlaskForm):
    schoolsoort = RadioField("Schoolsoort", choices=list(SCHOOLSOORT_LABELS.items()),
                             validators=[InputRequired("Kies VO of MBO.")])


class SoortForm(FlaskForm):
    soort = RadioField("Soort leerlingen", choices=list(SOORTEN.items()),
                       validators=[InputRequired("Kies Potentiële overstapper of Niet-overstapper.")])


def instantie_id(waarde):
    """The chosen instantie's id; 0 for the placeholder or anything that is not an id."""
    waarde = str(waarde or "")
    return int(waarde) if waarde.isdigit() and len(waarde) < 10 else 0


def geldig_emailadres(form, field):
    try:
        field.data = validate_email(field.data or "", check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError("Vul een geldig e-mailadres in, bijvoorbeeld naam@school.nl.")


class OpsturenForm(FlaskForm):
    instantie = SelectField("Instantie", coerce=instantie_id, validate_choice=False)
    naam = StringField("Uw naam", validators=[DataRequired("Vul uw naam in."),
                                              Length(max=200, message="Uw naam is te lang (maximaal 200 tekens).")])
    email = EmailField("Uw e-mailadres", validators=[DataRequired("Vul uw e-mailadres in."), geldig_emailadres])
    toelichting = TextAreaField("Toelichting", validators=[
        Optional(), Length(max=2000, message="De toelichting is te lang (maximaal 2000 tekens).")])
    bestand = FileField("Leerlingbestand")
    # A field people do not see: a bot that fills it in is turned away.
    website = StringField("Laat dit veld leeg")

    def validate_bestand(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(CATALOG["file_missing"].bericht)

    def validate_instantie(self, field):
        if field.data not in {waarde for waarde, _ in field.choices if waarde}:
            raise ValidationError("Kies uw instantie uit de lijst.")


# ----------------------------------------------------------------------------------------------
# The logic behind the steps (no request handling)
# ----------------------------------------------------------------------------------------------
def vaste_schoolsoort(kanaal):
    """A beheerder's schoolsoort comes from the role; visitors and the helpdesk choose."""
    if kanaal == "portal" and current_user.is_authenticated and current_user.is_beheerder:
        return current_user.schoolsoort
    return None


def lees_keuzes(kanaal, args):
    schoolsoort = vaste_schoolsoort(kanaal) or (args.get("schoolsoort") or "").upper() or None
    if schoolsoort not in SCHOOLSOORT_LABELS:
        schoolsoort = None
    soort = args.get("soort") if args.get("soort") in SOORTEN else None
    return Keuzes(schoolsoort, soort if schoolsoort else None)


def instanties_voor(kanaal, schoolsoort, zoek=""):
    if kanaal == "portal" and current_user.is_beheerder:
        query = Instantie.van(current_user).where(Instantie.actief == True)  # noqa: E712
        query = query.where(Instantie.schoolsoort == schoolsoort)
    else:
        query = Instantie.actieve(schoolsoort)
    zoek = (zoek or "").strip()
    if zoek:
        patroon = f"%{zoek}%"
        query = query.where(Instantie.naam ** patroon | Instantie.plaats ** patroon | Instantie.brin ** patroon)
    return list(query)


def opsturen_form(kanaal, keuzes, zoek="", **kwargs):
    form = OpsturenForm(**kwargs)
    instanties = instanties_voor(kanaal, keuzes.schoolsoort, zoek)
    form.instantie.choices = [(i.id, i.weergave) for i in instanties]
    if len(instanties) != 1:
        form.instantie.choices.insert(0, ("", "Kies uw instantie"))
    if kanaal == "portal" and request.method == "GET" and not form.naam.data:
        form.naam.data, form.email.data = current_user.naam, current_user.email
    return form


def limieten():
    return Limieten(max_bytes=current_app.config["MAX_UPLOAD_BYTES"], max_rows=current_app.config["MAX_UPLOAD_ROWS"])


def bestandsnaam(naam):
    return (PurePath((naam or "").replace("\\", "/")).name or "leerlingbestand")[:255]


def _json(bevindingen):
    return json.dumps([{**b.to_dict(), "cel": b.cel, "niveau": b.niveau} for b in bevindingen], ensure_ascii=False)


def _rij_json(leerling):
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in leerling.items()}


def systeem_bevindingen(resultaat, instantie, keuzes, sha256, kanaal):
    """Warnings against what the system already holds (errors.md, last table)."""
    bevindingen = []
    eerder = Aanlevering.eerder_opgestuurd(sha256, instantie, keuzes.soort, schooljaar())
    if eerder:
        bevindingen.append(Bevinding("duplicate_submission", params={
            "datum": eerder.aangemaakt.strftime("%d-%m-%Y"), "kenmerk": eerder.kenmerk}))
    if kanaal == "publiek":
        # Anyone can send a list on the public site; what the school already holds is not for
        # them to learn. The helpdesk sees it anyway in its comparison with the system.
        return bevindingen
    bekend = Leerling.bekend_bij(instantie, resultaat.leerlingen)
    kolom = keuzes.format.kolom_voor_veld("leerlingnummer").titel
    for leerling in resultaat.leerlingen:
        if leerling.get("leerlingnummer") in bekend:
            bevindingen.append(Bevinding("already_registered", rij=leerling["rij"], kolom=kolom,
                                         waarde=leerling["leerlingnummer"],
                                         params={"leerlingnummer": leerling["leerlingnummer"]}))
    return bevindingen


def controleer(kanaal, keuzes, form, data, naam):
    """Check the file; store a Controle (errors) or an Aanlevering (none). Returns (soort, object)."""
    resultaat = check_bytes(data, keuzes.format, limieten=limieten())
    instantie = Instantie.get_by_id(form.instantie.data)
    gebruiker = current_user if current_user.is_authenticated else None
    if not resultaat.ok:
        Controle.opruimen()
        controle = Controle.create(
            kanaal=kanaal, gebruiker=gebruiker, schoolsoort=keuzes.schoolsoort, soort=keuzes.soort,
            instantie=instantie, naam=form.naam.data.strip(), email=form.email.data,
            toelichting=(form.toelichting.data or "").strip(), bestandsnaam=naam, bestand=data,
            rijen=resultaat.rijen, fouten_json=_json(resultaat.fouten), waarschuwingen_json=_json(resultaat.waarschuwingen))
        session["controles"] = (session.get("controles", []) + [controle.token])[-5:]
        return "controle", controle
    sha256 = hashlib.sha256(data).hexdigest()
    systeem = systeem_bevindingen(resultaat, instantie, keuzes, sha256, kanaal)
    waarschuwingen = resultaat.waarschuwingen + systeem
    with db.database.atomic():
        aanlevering = Aanlevering.maak(
            instantie=instantie, schoolsoort=keuzes.schoolsoort, soort=keuzes.soort, schooljaar=schooljaar(),
            naam=form.naam.data.strip(), email=form.email.data, toelichting=(form.toelichting.data or "").strip(),
            kanaal=kanaal, gebruiker=gebruiker, bestandsnaam=naam, bestand=data, sha256=sha256,
            aantal_leerlingen=len(resultaat.leerlingen), aantal_waarschuwingen=len(waarschuwingen),
            leerlingen_json=json.dumps([_rij_json(r) for r in resultaat.leerlingen], ensure_ascii=False),
            waarschuwingen_json=_json(waarschuwingen))
        Gebeurtenis.log("ingediend", aanlevering=aanlevering, gebruiker=gebruiker,
                        wie="" if gebruiker else f"{aanlevering.naam} ({aanlevering.email}, openbare site)",
                        details=f"{aanlevering.aantal_leerlingen} leerlingen, {len(waarschuwingen)} waarschuwingen")
        bevestigingsmail(aanlevering)
        # The earlier attempts of this session hold the same personal data: gone once it is sent.
        Controle.verwijder(session.get("controles", []))
    session["controles"] = []
    session["ingediend"] = (session.get("ingediend", []) + [aanlevering.kenmerk])[-10:]
    return "aanlevering", aanlevering


def bevestigingsmail(aanlevering):
    context = {"aanlevering": aanlevering, "format": format_voor(aanlevering.schoolsoort, aanlevering.soort),
               "soort_naam": SOORTEN[aanlevering.soort],
               "aantal_waarschuwingen": len(vergelijking.waarschuwingen(aanlevering))}
    if aanlevering.kanaal == "publiek":
        context["status_link"] = url_for("aanleveringen.status", token=aanlevering.status_token, _external=True) \
            if "aanleveringen.status" in current_app.view_functions else None
    else:
        context["status_link"] = url_for("aanleveringen.mijn", _external=True) \
            if "aanleveringen.mijn" in current_app.view_functions else None
    # A public form can be pointed at anyone's address: cap the mails one address receives.
    if mail.aantal_vandaag(aanlevering.email) < current_app.config["MAIL_PER_RECIPIENT_PER_DAY"]:
        mail.queue(aanlevering.email, f"Bevestiging: leerlinglijst ontvangen ({aanlevering.kenmerk})",
                   "bevestiging", **context)
    context["helpdesk_link"] = url_for("helpdesk.wachtrij", _external=True) \
        if "helpdesk.wachtrij" in current_app.view_functions else None
    mail.queue(current_app.config["HELPDESK_EMAIL"], f"Nieuwe leerlinglijst {aanlevering.kenmerk} van {aanlevering.instantie.naam}",
               "helpdesk_melding", **context)


def eigen_controle(token):
    if token not in session.get("controles", []):
        abort(404)
    controle = Controle.geldig(token)
    if controle is None:
        abort(404)
    return controle


def eerdere_antwoorden(token):
    """Step 4 opened from a result page: the answers given there, so nothing is typed twice."""
    if not token or token not in session.get("controles", []) or request.method != "GET":
        return {}
    controle = Controle.get_or_none(Controle.token == token)
    if controle is None:
        return {}
    return {"instantie": controle.instantie_id, "naam": controle.naam, "email": controle.email,
            "toelichting": controle.toelichting}


def eigen_aanlevering(kanaal, kenmerk):
    aanlevering = Aanlevering.get_or_none(Aanlevering.kenmerk == kenmerk)
    if aanlevering is None:
        abort(404)
    mag = kenmerk in session.get("ingediend", [])
    if kanaal == "portal" and current_user.is_authenticated:
        mag = mag or current_user.is_helpdesk or aanlevering.instantie_id in {i.id for i in current_user.instanties}
    if not mag:
        abort(404)
    return aanlevering


def samenvatting(bevindingen):
    """How many findings of each kind, most frequent first: the summary above the list."""
    telling = {}
    for b in bevindingen:
        code = b["code"]
        if code not in telling:
            telling[code] = {"code": code, "niveau": b["niveau"], "aantal": 0, "voorbeeld": b["message"]}
        telling[code]["aantal"] += 1
    return sorted(telling.values(), key=lambda t: (t["niveau"] != "E", -t["aantal"]))


# ----------------------------------------------------------------------------------------------
# The routes, registered on a blueprint for one channel
# ----------------------------------------------------------------------------------------------
def register(bp, kanaal):
    wie = "beheerder" if kanaal == "portal" else "anoniem"
    prefix = bp.name

    def page(template, stap, keuzes, status=200, **context):
        return render(template, block="wizard", status=status, stap=stap, stappen=STAPPEN, keuzes=keuzes,
                      kanaal=kanaal, bp=prefix, vaste_schoolsoort=vaste_schoolsoort(kanaal),
                      schoolsoort_labels=SCHOOLSOORT_LABELS, soorten=SOORTEN, soort_uitleg=SOORT_UITLEG,
                      schooljaar=schooljaar(), paginatitel=f"Stap {stap}: {STAPPEN[stap - 1]} – Leerlinglijst aanleveren",
                      **context)

    @bp.route("/", methods=["GET", "POST"], endpoint="start")
    @toegang(wie)
    def start():
        keuzes = lees_keuzes(kanaal, request.args)
        form = SchoolsoortForm(schoolsoort=keuzes.schoolsoort)
        if vaste_schoolsoort(kanaal) and request.method == "POST":
            return see_other(f"{prefix}.soort", **keuzes.args)
        if form.validate_on_submit():
            return see_other(f"{prefix}.soort", **lees_keuzes(kanaal, {"schoolsoort": form.schoolsoort.data, "soort": keuzes.soort}).args)
        return page("wizard/schoolsoort.html", 1, keuzes, form=form, status=422 if form.errors else 200)

    @bp.route("/soort", methods=["GET", "POST"], endpoint="soort")
    @toegang(wie)
    def soort():
        keuzes = lees_keuzes(kanaal, request.args)
        if not keuzes.schoolsoort:
            return see_other(f"{prefix}.start")
        form = SoortForm(soort=keuzes.soort)
        if form.validate_on_submit():
            return see_other(f"{prefix}.format", **keuzes._replace(soort=form.soort.data).args)
        return page("wizard/soort.html", 2, keuzes, form=form, status=422 if form.errors else 200)

    @bp.route("/format", endpoint="format")
    @toegang(wie)
    def format_():
        keuzes = lees_keuzes(kanaal, request.args)
        if not keuzes.soort:
            return see_other(f"{prefix}.soort" if keuzes.schoolsoort else f"{prefix}.start", **keuzes.args)
        return page("wizard/format.html", 3, keuzes, format=keuzes.format)

    @bp.route("/format/<naam>.xlsx", endpoint="download")
    @toegang(wie)
    def download(naam):
        from portal.lijsten.formats import FORMATS
        from portal.lijsten.workbook import template
        fmt = FORMATS.get(naam)
        if fmt is None:
            abort(404)
        return send_file(io.BytesIO(template(fmt)), as_attachment=True,
                         download_name=f"Leerlinglijst {fmt.naam}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @bp.route("/opsturen", methods=["GET", "POST"], endpoint="opsturen")
    @toegang(wie)
    @limiter.limit(lambda: current_app.config["PUBLIC_UPLOAD_LIMIT"], methods=["POST"],
                   exempt_when=lambda: kanaal == "portal")
    def opsturen():
        keuzes = lees_keuzes(kanaal, request.args)
        if not keuzes.soort:
            return see_other(f"{prefix}.start", **keuzes.args)
        form = opsturen_form(kanaal, keuzes, **eerdere_antwoorden(request.args.get("controle")))
        if form.website.data:  # the honeypot: answer as if nothing happened, store nothing
            return see_other(f"{prefix}.start")
        if form.validate_on_submit():
            data = form.bestand.data.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
            soort, gemaakt = controleer(kanaal, keuzes, form, data, bestandsnaam(form.bestand.data.filename))
            if soort == "controle":
                return see_other(f"{prefix}.controle", token=gemaakt.token, **keuzes.args)
            return see_other(f"{prefix}.klaar", kenmerk=gemaakt.kenmerk, **keuzes.args)
        return page("wizard/opsturen.html", 4, keuzes, form=form, status=422 if request.method == "POST" else 200)

    @bp.route("/opsturen/veld", methods=["POST"], endpoint="veld")
    @toegang(wie)
    def veld():
        """Inline validation of one field (never the file), with the real form class."""
        keuzes = lees_keuzes(kanaal, request.args)
        naam = request.form.get("_veld")
        if naam not in ("naam", "email", "toelichting") or not keuzes.soort:
            abort(404)
        form = opsturen_form(kanaal, keuzes)
        field = form[naam]
        field.validate(form)
        return render("wizard/_veld.html", field=field, keuzes=keuzes, bp=prefix)

    @bp.route("/instanties", endpoint="instanties")
    @toegang(wie)
    def instanties():
        keuzes = lees_keuzes(kanaal, request.args)
        form = opsturen_form(kanaal, keuzes, zoek=request.args.get("zoek", ""))
        return render("wizard/_instanties.html", form=form)

    @bp.route("/controle/<token>", endpoint="controle")
    @toegang(wie)
    def controle(token):
        gevonden = eigen_controle(token)
        keuzes = Keuzes(gevonden.schoolsoort, gevonden.soort)
        bevindingen = json.loads(gevonden.fouten_json) + json.loads(gevonden.waarschuwingen_json)
        bevindingen.sort(key=lambda b: (b["row"] or 0))
        alle = request.args.get("alle") == "1"
        form = opsturen_form(kanaal, keuzes, formdata=None, instantie=gevonden.instantie_id, naam=gevonden.naam,
                             email=gevonden.email, toelichting=gevonden.toelichting)
        return page("wizard/controle.html", 5, keuzes, controle=gevonden, form=form,
                    fouten=[b for b in bevindingen if b["niveau"] == "E"],
                    bevindingen=bevindingen if alle else bevindingen[:MAX_GETOOND], aantal=len(bevindingen),
                    samenvatting=samenvatting(bevindingen), alle=alle)

    @bp.route("/controle/<token>/gemarkeerd.xlsx", endpoint="gemarkeerd")
    @toegang(wie)
    def gemarkeerd(token):
        from portal.lijsten.workbook import annotated
        gevonden = eigen_controle(token)
        data = bytes(gevonden.bestand)  # PostgreSQL hands a bytea back as a memoryview
        resultaat = check_bytes(data, format_voor(gevonden.schoolsoort, gevonden.soort), limieten=limieten())
        naam = PurePath(gevonden.bestandsnaam).stem
        return send_file(io.BytesIO(annotated(data, resultaat)), as_attachment=True,
                         download_name=f"{naam} - fouten gemarkeerd.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @bp.route("/klaar/<kenmerk>", endpoint="klaar")
    @toegang(wie)
    def klaar(kenmerk):
        aanlevering = eigen_aanlevering(kanaal, kenmerk)
        waarschuwingen = vergelijking.waarschuwingen(aanlevering)
        keuzes = Keuzes(aanlevering.schoolsoort, aanlevering.soort)
        return page("wizard/klaar.html", 5, keuzes, aanlevering=aanlevering, waarschuwingen=waarschuwingen[:MAX_GETOOND],
                    aantal_waarschuwingen=len(waarschuwingen), samenvatting=samenvatting(waarschuwingen))
