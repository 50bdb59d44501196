"""The upload wizard, written once: one blueprint, registered twice (app.py), in the portal
(`uploaden`, for a logged-in school) and on the public site (`site`, for visitors). What differs
between the two is one small `Kanaal` object handed to each registration. Five steps:
Schoolsoort, Soort leerlingen, Format, Opsturen, Verwerken.

The choices travel in the query string (?schoolsoort=VO&soort=overstapper), so every step is a
plain URL: back, reload and a second tab do no harm. A checked file with errors is kept as a
`Controle` that only this browser session may open; a file without errors becomes an
`Aanlevering`, with its confirmation mails, in one transaction. A small file is checked in the
request; a large one waits as a job (portal/controles.py) on a page that follows its progress.
"""
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Callable, NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, abort, current_app, redirect, request, send_file, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal import controles, mail, vergelijking, web
from portal.extensions import db, limiter, per_bezoeker
from portal.lijsten.errors import CATALOG, Bevinding
from portal.lijsten import koppeling, validate
from portal.lijsten.formats import FORMATS, SOORTEN, format_voor
from portal.lijsten.reader import Limieten
from portal.models import Aanlevering, Controle, Gebeurtenis, Instantie, Leerling, nu
from portal.schooljaar import schooljaar
from portal.web import render, see_other, toegang

STAPPEN = ("Schoolsoort", "Soort leerlingen", "Format", "Opsturen", "Verwerken")
SCHOOLSOORT_LABELS = {"VO": "VO – voortgezet onderwijs", "MBO": "MBO – middelbaar beroepsonderwijs"}
SOORT_UITLEG = {
    "overstapper": "Leerlingen die aan het eind van het schooljaar waarschijnlijk naar een andere school gaan.",
    "niet-overstapper": "Leerlingen die op school blijven, maar wel loopbaanactiviteiten (LOB) volgen.",
}
# Findings are bounded where they are stored and shown (a list with an error in every one of
# 50,000 rows must not become a 100 MB page): per code the first BEWAARD_PER_CODE, with the exact
# total; every cell is in the marked-up workbook.
BEWAARD_PER_CODE = 100
VOORBEELDEN_PER_CODE = 5
PER_PAGINA = 50


@dataclass(frozen=True)
class Kanaal:
    """What differs between the portal's wizard and the public site's; the rest is shared."""
    naam: str            # stored on Controle and Aanlevering: "portal" or "publiek"
    toegang: str         # who may use this registration, in portal.web.toegang's words
    met_account: bool    # a logged-in school: schoolsoort, instanties and name come from the account
    extra_routes: tuple[tuple[str, Callable], ...] = ()  # pages the site adds beside the wizard

    def __post_init__(self):
        if self.toegang not in ("anoniem", "beheerder"):  # the two that toegang_van_het_kanaal knows
            raise ValueError(self.toegang)

    @property
    def beperkt(self):
        """Uploads are limited per visitor on the public site; a logged-in school is never limited."""
        return not self.met_account

    def gebruiker(self):
        return current_user if self.met_account and current_user.is_authenticated else None

    def beheerder(self):
        """The beheerder this wizard works for (None for a visitor and for the helpdesk)."""
        gebruiker = self.gebruiker()
        return gebruiker if gebruiker is not None and gebruiker.is_beheerder else None


bp = Blueprint("wizard", __name__)


@bp.record
def _kanaal_van_registratie(state):
    """Each registration names its Kanaal: app.register_blueprint(bp, name=…, kanaal=…)."""
    kanaal = state.options["kanaal"]
    state.app.extensions.setdefault("wizard_kanalen", {})[state.name] = kanaal
    for regel, view in kanaal.extra_routes:
        state.add_url_rule(regel, view_func=view)


def kanaal() -> Kanaal:
    return current_app.extensions["wizard_kanalen"][request.blueprint]


def kanaal_van(kanaal_naam):
    """The Kanaal of a stored kanaal name ('portal', 'publiek'); also outside a request (a worker)."""
    return next((k for k in current_app.extensions.get("wizard_kanalen", {}).values() if k.naam == kanaal_naam), None)


def registratie_van(kanaal_naam):
    """The blueprint name under which the wizard of a stored kanaal ('portal', 'publiek') runs."""
    for naam, k in current_app.extensions.get("wizard_kanalen", {}).items():
        if k.naam == kanaal_naam:
            return naam
    return None


@bp.before_request
def toegang_van_het_kanaal():
    """The views are open ('anoniem'); the portal's registration narrows that to its users.
    Same answers as portal.web.check_toegang gives for a route declared 'beheerder'."""
    if kanaal().toegang == "anoniem":
        return None
    if not current_user.is_authenticated:
        inloggen = url_for("auth.inloggen", next=request.full_path if request.query_string else request.path)
        if web.is_htmx():
            response = current_app.response_class(status=401)
            response.headers["HX-Redirect"] = inloggen
            return response
        return redirect(inloggen)
    if not (current_user.is_beheerder or current_user.is_helpdesk):
        abort(404)
    return None


class Keuzes(NamedTuple):
    schoolsoort: str | None = None
    soort: str | None = None

    @property
    def format(self):
        return format_voor(self.schoolsoort, self.soort)

    @property
    def args(self):
        return {k: v for k, v in self._asdict().items() if v}

    @property
    def andere_soort(self):
        return next((s for s in SOORTEN if s != self.soort), None)


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
    # Label, hint (description) and attributes live here, so the page and the inline check's
    # fragment render the same row: a row that changes shape moves the button under the pointer.
    instantie = SelectField("Instantie", coerce=instantie_id, validate_choice=False)
    naam = StringField("Uw naam", render_kw={"autocomplete": "name"}, validators=[
        DataRequired("Vul uw naam in."), Length(max=200, message="Uw naam is te lang (maximaal 200 tekens).")])
    email = EmailField("Uw e-mailadres", render_kw={"autocomplete": "email"},
                       description="U ontvangt hierop een bevestiging en later bericht over de verwerking.",
                       validators=[DataRequired("Vul uw e-mailadres in."), geldig_emailadres])
    toelichting = TextAreaField("Toelichting", description="Bijvoorbeeld: dit is een aanvulling op de lijst van vorige week.",
                                validators=[Optional(), Length(max=2000, message="De toelichting is te lang (maximaal 2000 tekens).")])
    bestand = FileField("Leerlingbestand",
                        description="Het ingevulde Excel-format (.xlsx), of een .xls-, .ods- of .csv-bestand, maximaal 20 MB.",
                        render_kw={"accept": ".xlsx,.xls,.ods,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
                                             "application/vnd.ms-excel,application/vnd.oasis.opendocument.spreadsheet,text/csv"})
    # A field people do not see: a bot that fills it in is turned away.
    website = StringField("Laat dit veld leeg")

    INLINE = ("instantie", "naam", "email", "toelichting")  # checked one by one; never the file
    BESTAND_OPNIEUW = "Kies het bestand opnieuw; uw browser bewaart een gekozen bestand niet."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instantie.flags.required = self.bestand.flags.required = True

    def validate_bestand(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(CATALOG["file_missing"].bericht)

    def validate_instantie(self, field):
        if field.data not in {waarde for waarde, _ in field.choices if waarde}:
            raise ValidationError("Kies uw instantie uit de lijst.")

    def veldfouten(self, namen=INLINE):
        """Check these fields alone (never the file); {name: messages} of those that fail."""
        uit = {}
        for naam in namen:
            inline = getattr(type(self), f"validate_{naam}", None)
            if not self[naam].validate(self, [inline] if inline else ()):
                uit[naam] = self[naam].errors
        return uit


# ----------------------------------------------------------------------------------------------
# The logic behind the steps (no request handling)
# ----------------------------------------------------------------------------------------------
def vaste_schoolsoort():
    """A beheerder's schoolsoort comes from the role; visitors and the helpdesk choose."""
    beheerder = kanaal().beheerder()
    return beheerder.schoolsoort if beheerder else None


def lees_keuzes(args):
    schoolsoort = vaste_schoolsoort() or (args.get("schoolsoort") or "").upper() or None
    if schoolsoort not in SCHOOLSOORT_LABELS:
        schoolsoort = None
    soort = args.get("soort") if args.get("soort") in SOORTEN else None
    return Keuzes(schoolsoort, soort if schoolsoort else None)


def instanties_voor(schoolsoort, zoek=""):
    beheerder = kanaal().beheerder()
    if beheerder:
        query = Instantie.van(beheerder).where(Instantie.actief == True)  # noqa: E712
        query = query.where(Instantie.schoolsoort == schoolsoort)
    else:
        query = Instantie.actieve(schoolsoort)
    zoek = (zoek or "").strip()
    if zoek:
        patroon = f"%{zoek}%"
        query = query.where(Instantie.naam ** patroon | Instantie.plaats ** patroon | Instantie.brin ** patroon)
    return list(query)


def opsturen_form(keuzes, zoek="", **kwargs):
    form = OpsturenForm(**kwargs)
    instanties = instanties_voor(keuzes.schoolsoort, zoek)
    form.instantie.choices = [(i.id, i.weergave) for i in instanties]
    if len(instanties) != 1:
        form.instantie.choices.insert(0, ("", "Kies uw instantie"))
    gebruiker = kanaal().gebruiker()
    if gebruiker is not None and request.method == "GET" and not form.naam.data:
        form.naam.data, form.email.data = gebruiker.naam, gebruiker.email
    return form


def limieten():
    return Limieten(max_bytes=current_app.config["MAX_UPLOAD_BYTES"], max_rows=current_app.config["MAX_UPLOAD_ROWS"])


def bestandsnaam(naam):
    return (PurePath((naam or "").replace("\\", "/")).name or "leerlingbestand")[:255]


def samenvatting(form, namen, fouten):
    """The red summary of step 4: (field, messages) per field it named after Opsturen. A field that
    is right by now stays in it as 'in orde', so the summary keeps its height and the form below
    it does not move; the file is always asked again (a browser does not keep a chosen file)."""
    return [(form[naam], [form.BESTAND_OPNIEUW] if naam == "bestand" else fouten.get(naam, []))
            for naam in namen if naam in form]


def begrens(bevindingen, per_code=BEWAARD_PER_CODE):
    """Findings (Bevinding) bounded for storage, as dicts in sheet order: per code the first
    `per_code` (the core's summary); when a code has more, each kept finding carries the code's
    exact total as `totaal`."""
    totalen, bewaard = {}, []
    for groep in validate.samenvatting(bevindingen, per_code):
        if groep.meer:
            totalen[groep.code] = {"totaal": groep.aantal}
        bewaard += groep.eerste
    return [{**b.to_dict(), "cel": b.cel, "niveau": b.niveau, **totalen.get(b.code, {})}
            for b in sorted(bewaard, key=validate.bladvolgorde)]


def groepeer(bevindingen, voorbeelden=VOORBEELDEN_PER_CODE):
    """Stored findings (begrens) back in groups for a page: per code its level, exact count,
    message and the first rows; errors first, then the most frequent."""
    groepen = {}
    for b in bevindingen:
        groep = groepen.setdefault(b["code"], {"code": b["code"], "niveau": b.get("niveau", "W"), "aantal": 0,
                                               "totaal": 0, "bericht": b["message"], "voorbeelden": []})
        groep["aantal"] += 1
        groep["totaal"] = max(groep["totaal"], b.get("totaal") or 0)
        if len(groep["voorbeelden"]) < voorbeelden:
            groep["voorbeelden"].append(b)
    for groep in groepen.values():
        groep["aantal"] = max(groep["aantal"], groep.pop("totaal"))
    return sorted(groepen.values(), key=lambda g: (g["niveau"] != "E", -g["aantal"], g["code"]))


def aantal(bevindingen):
    """The exact number of findings a bounded list stands for."""
    return sum(groep["aantal"] for groep in groepeer(bevindingen, voorbeelden=0))


def _json(bevindingen):
    return json.dumps(begrens(bevindingen), ensure_ascii=False)


def _rij_json(leerling):
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in leerling.items()}


def systeem_bevindingen(resultaat, instantie, keuzes, sha256, met_account, vervangt=None):
    """Warnings against what the system already holds (errors.md, last table). `vervangt`: the id
    of the sent-back list this corrected one replaces (same original file; not a duplicate of it)."""
    bevindingen = []
    eerder = Aanlevering.eerder_opgestuurd(sha256, instantie, keuzes.soort, schooljaar(), behalve=vervangt)
    if eerder:
        bevindingen.append(Bevinding("duplicate_submission", params={
            "datum": eerder.aangemaakt.strftime("%d-%m-%Y"), "kenmerk": eerder.kenmerk}))
    if not met_account:
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


def controleer(keuzes, form, data, naam, koppeling_json=""):
    """Check an upload (through a confirmed column mapping, if any: portal/koppelen.py): in this
    request when it is small, else as a job for a worker (portal/controles.py). Returns the Controle."""
    inline = controles.inline(data)
    controle, tot = aanmelden(keuzes, form, data, naam, inline, koppeling_json)
    if inline:
        controles.uitvoeren(controle, tot)
    else:
        controles.wek()
    return Controle.get_by_id(controle.id)


def aanmelden(keuzes, form, data, naam, inline, koppeling_json=""):
    """Store the upload as a check that only this browser session may open. `inline`: this request
    checks it itself, so it is stored already claimed; otherwise it waits for a worker.
    Returns (controle, claim)."""
    Controle.opruimen()
    tot = controles.nieuwe_claim() if inline else None
    controle = Controle.create(
        status="bezig" if inline else "wacht", geclaimd_tot=tot, pogingen=1 if inline else 0,
        kanaal=kanaal().naam, gebruiker=kanaal().gebruiker(), schoolsoort=keuzes.schoolsoort, soort=keuzes.soort,
        instantie=form.instantie.data, naam=form.naam.data.strip(), email=form.email.data,
        toelichting=(form.toelichting.data or "").strip(), bestandsnaam=naam, bestand=data,
        koppeling_json=koppeling_json)
    session["controles"] = (session.get("controles", []) + [controle.token])[-5:]
    return controle, tot


def voer_uit(controle, tot):
    """Check a stored upload, in the request or in a worker, and write the outcome while the claim
    `tot` holds: the findings on the Controle (errors), or (none) an Aanlevering with its mails and
    the Controle pointing at it, in one transaction."""
    keuzes = Keuzes(controle.schoolsoort, controle.soort)
    data = bytes(controle.bestand)  # PostgreSQL hands a bytea back as a memoryview
    resultaat = koppeling.check_met_koppeling(data, keuzes.format, koppeling.van_json(controle.koppeling_json),
                                              limieten=limieten())
    if not resultaat.ok:
        if not controles.afronden(controle.id, tot, status="klaar", rijen=resultaat.rijen,
                                  fouten_json=_json(resultaat.fouten), waarschuwingen_json=_json(resultaat.waarschuwingen)):
            raise controles.ClaimVerloren(controle.id)
        return None
    with db.database.atomic():
        # First the claim: it locks the row, so a worker that took the check over waits and then finds it done.
        if not controles.afronden(controle.id, tot, status="klaar", rijen=resultaat.rijen, bestand=b""):
            raise controles.ClaimVerloren(controle.id)
        aanlevering = indienen(controle, resultaat, data, gebruiker=controle.gebruiker, toelichting=controle.toelichting)
        Controle.update(kenmerk=aanlevering.kenmerk).where(Controle.id == controle.id).execute()
    return aanlevering


def indienen(herkomst, resultaat, data, *, gebruiker, toelichting, details=""):
    """The Aanlevering of a list without errors, its log entry and its mails; the caller holds the
    transaction. `herkomst` is the Controle (or the sent-back Aanlevering, portal/correctie.py)
    whose answers, file and column mapping the list carries."""
    keuzes = Keuzes(herkomst.schoolsoort, herkomst.soort)
    met_account = getattr(kanaal_van(herkomst.kanaal), "met_account", False)
    sha256 = hashlib.sha256(data).hexdigest()
    vervangt = herkomst.id if isinstance(herkomst, Aanlevering) else None
    waarschuwingen = resultaat.waarschuwingen + systeem_bevindingen(resultaat, herkomst.instantie, keuzes, sha256,
                                                                    met_account, vervangt)
    aanlevering = Aanlevering.maak(
        instantie=herkomst.instantie, schoolsoort=keuzes.schoolsoort, soort=keuzes.soort, schooljaar=schooljaar(),
        naam=herkomst.naam, email=herkomst.email, toelichting=toelichting,
        kanaal=herkomst.kanaal, gebruiker=gebruiker, bestandsnaam=herkomst.bestandsnaam, bestand=data, sha256=sha256,
        aantal_leerlingen=len(resultaat.leerlingen), aantal_waarschuwingen=len(waarschuwingen),
        leerlingen_json=json.dumps([_rij_json(r) for r in resultaat.leerlingen], ensure_ascii=False),
        waarschuwingen_json=_json(waarschuwingen), koppeling_json=herkomst.koppeling_json)
    Gebeurtenis.log("ingediend", aanlevering=aanlevering, gebruiker=gebruiker,
                    wie="" if gebruiker else f"{aanlevering.naam} ({aanlevering.email}, openbare site)",
                    details=f"{_telwoord(aanlevering.aantal_leerlingen, 'leerling', 'leerlingen')}, "
                            f"{_telwoord(len(waarschuwingen), 'waarschuwing', 'waarschuwingen')}{details}")
    bevestigingsmail(aanlevering)
    return aanlevering


def _telwoord(n, een, meer):
    return f"{n} {een if n == 1 else meer}"


def moet_koppelen(controle):
    """A checked file whose titles are not the format's goes to the column mapping (portal/koppelen.py),
    unless it already went through one."""
    return (controle.status == "klaar" and not controle.kenmerk and not controle.koppeling_json
            and koppeling.nodig(b["code"] for b in json.loads(controle.fouten_json)))


def na_de_controle(controle):
    """Where a check leads the session that sent it: the waiting page, its result page, or (no
    errors) the success page; then this check and the earlier attempts of this session, which
    hold the same personal data, are gone."""
    keuzes = Keuzes(controle.schoolsoort, controle.soort)
    if moet_koppelen(controle):
        return see_other(".koppelen", token=controle.token, **keuzes.args)
    if controle.status != "klaar" or not controle.kenmerk:
        return see_other(".controle", token=controle.token, **keuzes.args)
    opgestuurd(controle.token, controle.kenmerk)
    return see_other(".klaar", kenmerk=controle.kenmerk, **keuzes.args)


def opgestuurd(token, kenmerk):
    """A check became list `kenmerk`: this session's checks (the same personal data) are gone, the
    list is the session's to see, and the check's address now leads to it, so that Back after
    sending never says the check expired and nothing was sent (which would invite a second copy)."""
    Controle.verwijder(session.get("controles", []) + ([token] if token else []))
    session["controles"] = []
    session["ingediend"] = list(dict.fromkeys(session.get("ingediend", []) + [kenmerk]))[-10:]
    if token:
        session["opgestuurd"] = (session.get("opgestuurd", []) + [[token, kenmerk]])[-5:]


def bevestigingsmail(aanlevering):
    context = {"aanlevering": aanlevering, "format": format_voor(aanlevering.schoolsoort, aanlevering.soort),
               "soort_naam": SOORTEN[aanlevering.soort],
               "aantal_waarschuwingen": aantal(vergelijking.waarschuwingen(aanlevering))}
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
    """This session's check, or None when it has expired or belongs to another browser."""
    if token not in session.get("controles", []):
        return None
    return Controle.geldig(token)


def mag_zien(aanlevering):
    """This browser sent it, or (in the portal) it is a list of the user's own school or the helpdesk's."""
    if aanlevering.kenmerk in session.get("ingediend", []):
        return True
    gebruiker = kanaal().gebruiker()
    return gebruiker is not None and (gebruiker.is_helpdesk or aanlevering.instantie_id in {i.id for i in gebruiker.instanties})


def opnieuw_aanlevering(sleutel):
    """The sent-back list behind ?opnieuw=…: the kenmerk in the portal, the status token on the public site."""
    if not sleutel:
        return None
    if kanaal().met_account:
        aanlevering = Aanlevering.get_or_none(Aanlevering.kenmerk == sleutel)
        return aanlevering if aanlevering is not None and mag_zien(aanlevering) else None
    return Aanlevering.get_or_none(Aanlevering.status_token == sleutel)


def eerdere_antwoorden(keuzes):
    """Step 4 opened from a result page, from 'Opnieuw opsturen', or after an earlier list of this
    session: the answers given there, so nothing is typed twice."""
    if request.method != "GET":
        return {}
    controle = eigen_controle(request.args.get("controle"))
    if controle is not None:
        return {"instantie": controle.instantie_id, "naam": controle.naam, "email": controle.email,
                "toelichting": controle.toelichting}
    aanlevering = opnieuw_aanlevering(request.args.get("opnieuw"))
    if aanlevering is not None:
        return {"instantie": aanlevering.instantie_id, "naam": aanlevering.naam, "email": aanlevering.email,
                "toelichting": aanlevering.toelichting or f"Verbeterde versie van lijst {aanlevering.kenmerk}."}
    for kenmerk in reversed(session.get("ingediend", [])):
        vorige = Aanlevering.get_or_none(Aanlevering.kenmerk == kenmerk)
        if vorige is not None and vorige.schoolsoort == keuzes.schoolsoort:
            return {"instantie": vorige.instantie_id, "naam": vorige.naam, "email": vorige.email}
    return {}


def opnieuw_link(aanlevering, _external=False):
    """Step 4 of the wizard the list came through, with its earlier answers filled in."""
    naam = registratie_van(aanlevering.kanaal)
    if naam is None:
        return None
    sleutel = aanlevering.kenmerk if aanlevering.kanaal == "portal" else aanlevering.status_token
    return url_for(f"{naam}.opsturen", schoolsoort=aanlevering.schoolsoort, soort=aanlevering.soort,
                   opnieuw=sleutel, _external=_external)


def getal(n):
    """50000 → '50.000', as Dutch readers write it."""
    return f"{n:,}".replace(",", ".")


bp.add_app_template_global(opnieuw_link, "opnieuw_link")
bp.add_app_template_global(groepeer, "groepeer")
bp.add_app_template_global(lambda code: CATALOG[code].oplossing if code in CATALOG else "", "oplossing")
bp.add_app_template_filter(getal, "getal")


def pagina_van(args, totaal):
    pagina = instantie_id(args.get("pagina")) or 1
    paginas = max(1, -(-totaal // PER_PAGINA))
    return min(pagina, paginas), paginas


# ----------------------------------------------------------------------------------------------
# The routes; every view is open here, the registration's Kanaal narrows it (see above)
# ----------------------------------------------------------------------------------------------
def page(template, stap, keuzes, status=200, block="wizard", headers=None, **context):
    return render(template, block=block, status=status, headers=headers, stap=stap, stappen=STAPPEN, keuzes=keuzes,
                  kanaal=kanaal(), vaste_schoolsoort=vaste_schoolsoort(),
                  schoolsoort_labels=SCHOOLSOORT_LABELS, soorten=SOORTEN, soort_uitleg=SOORT_UITLEG,
                  schooljaar=schooljaar(), paginatitel=f"Stap {stap}: {STAPPEN[stap - 1]} – Leerlinglijst aanleveren",
                  **context)


@bp.route("/", methods=["GET", "POST"])
@toegang("anoniem")
def start():
    keuzes = lees_keuzes(request.args)
    form = SchoolsoortForm(schoolsoort=keuzes.schoolsoort)
    if vaste_schoolsoort() and request.method == "POST":
        return see_other(".soort", **keuzes.args)
    if form.validate_on_submit():
        return see_other(".soort", **lees_keuzes({"schoolsoort": form.schoolsoort.data, "soort": keuzes.soort}).args)
    return page("wizard/schoolsoort.html", 1, keuzes, form=form, status=422 if form.errors else 200)


@bp.route("/soort", methods=["GET", "POST"])
@toegang("anoniem")
def soort():
    keuzes = lees_keuzes(request.args)
    if not keuzes.schoolsoort:
        return see_other(".start")
    form = SoortForm(soort=keuzes.soort)
    if form.validate_on_submit():
        return see_other(".format", **keuzes._replace(soort=form.soort.data).args)
    return page("wizard/soort.html", 2, keuzes, form=form, status=422 if form.errors else 200)


@bp.route("/format", endpoint="format")
@toegang("anoniem")
def format_():
    keuzes = lees_keuzes(request.args)
    if not keuzes.soort:
        return see_other(".soort" if keuzes.schoolsoort else ".start", **keuzes.args)
    return page("wizard/format.html", 3, keuzes, format=keuzes.format)


@bp.route("/format/<naam>.xlsx")
@toegang("anoniem")
def download(naam):
    from portal.lijsten.workbook import template
    fmt = FORMATS.get(naam) or abort(404)
    return send_file(io.BytesIO(template(fmt)), as_attachment=True, download_name=f"Leerlinglijst {fmt.naam}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/opsturen", methods=["GET", "POST"])
@toegang("anoniem")
@limiter.limit(lambda: current_app.config["PUBLIC_UPLOAD_LIMIT"], methods=["POST"], key_func=per_bezoeker,
               exempt_when=lambda: not kanaal().beperkt)
# A fresh session costs one GET, so one address (a school's NAT) also has a looser limit of its own.
@limiter.limit(lambda: current_app.config["PUBLIC_UPLOAD_LIMIT_ADRES"], methods=["POST"],
               key_func=get_remote_address, exempt_when=lambda: not kanaal().beperkt)
def opsturen():
    keuzes = lees_keuzes(request.args)
    if not keuzes.soort:
        return see_other(".start", **keuzes.args)
    form = opsturen_form(keuzes, **eerdere_antwoorden(keuzes))
    if form.website.data:  # the honeypot: answer as if nothing happened, store nothing
        return see_other(".start")
    if form.validate_on_submit():
        data = form.bestand.data.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        gemaakt = controleer(keuzes, form, data, bestandsnaam(form.bestand.data.filename))
        return na_de_controle(gemaakt)
    namen = [naam for naam in (*form.INLINE, "bestand") if naam in form.errors or naam == "bestand"]
    return page("wizard/opsturen.html", 4, keuzes, form=form,
                samenvatting=samenvatting(form, namen, form.errors) if request.method == "POST" else None,
                opnieuw=opnieuw_aanlevering(request.args.get("opnieuw")),
                status=422 if request.method == "POST" else 200)


@bp.route("/opsturen/veld", methods=["GET", "POST"])
@toegang("anoniem")
def veld():
    """Inline validation of one field (never the file), with the real form class. It answers with
    that field's row and, once step 4 shows an error summary, the summary as it now stands."""
    keuzes = lees_keuzes(request.args)
    if request.method == "GET":  # a reload or a bookmark of the check: back to the step itself
        return see_other(".opsturen" if keuzes.soort else ".start", **keuzes.args)
    naam = request.form.get("_veld")
    if naam not in OpsturenForm.INLINE or not keuzes.soort:
        abort(404)
    form = opsturen_form(keuzes)
    namen = [n for n in request.form.get("_samenvatting", "").split(",") if n in form.INLINE or n == "bestand"]
    fouten = form.veldfouten(tuple({naam, *namen} & set(form.INLINE)))
    return render("wizard/_veld.html", field=form[naam], form=form, keuzes=keuzes,
                  samenvatting=samenvatting(form, namen, fouten) if namen else None)


@bp.route("/instanties")
@toegang("anoniem")
def instanties():
    keuzes = lees_keuzes(request.args)
    form = opsturen_form(keuzes, zoek=request.args.get("zoek", ""))
    return render("wizard/_instanties.html", form=form)


def verlopen():
    """An expired or foreign check: say so and offer to start again (never a bare 404). A check this
    session has sent leads to the list it became."""
    keuzes = lees_keuzes(request.args)
    token = (request.view_args or {}).get("token")
    kenmerk = next((k for t, k in session.get("opgestuurd", []) if token and t == token), None)
    if kenmerk is not None:
        return see_other(".klaar", kenmerk=kenmerk, **keuzes.args)
    return page("wizard/verlopen.html", 5, keuzes, status=410, uren=int(Controle.BEWAREN.total_seconds() // 3600))


@bp.route("/controle/<token>")
@toegang("anoniem")
def controle(token):
    gevonden = eigen_controle(token)
    if gevonden is None:
        return verlopen()
    if gevonden.status in controles.WACHTEND:
        return wachten(gevonden)
    if gevonden.status == "mislukt":
        return page("wizard/mislukt.html", 5, Keuzes(gevonden.schoolsoort, gevonden.soort), status=500, controle=gevonden)
    if gevonden.kenmerk:
        return na_de_controle(gevonden)
    keuzes = Keuzes(gevonden.schoolsoort, gevonden.soort)
    if moet_koppelen(gevonden):
        return see_other(".koppelen", token=token, **keuzes.args)
    bevindingen = json.loads(gevonden.fouten_json) + json.loads(gevonden.waarschuwingen_json)
    bevindingen.sort(key=lambda b: b["row"] or 0)     # stable: each list is stored in sheet order
    pagina, paginas = pagina_van(request.args, len(bevindingen))
    form = opsturen_form(keuzes, formdata=None, instantie=gevonden.instantie_id, naam=gevonden.naam,
                         email=gevonden.email, toelichting=gevonden.toelichting)
    groepen = groepeer(bevindingen)
    return page("wizard/controle.html", 5, keuzes, controle=gevonden, form=form, alle=bevindingen,
                aantal_fouten=sum(g["aantal"] for g in groepen if g["niveau"] == "E"),
                aantal=sum(g["aantal"] for g in groepen), bewaard=len(bevindingen),
                bevindingen=bevindingen[(pagina - 1) * PER_PAGINA:pagina * PER_PAGINA], pagina=pagina, paginas=paginas)


WACHTPAGINA_VERVERSEN = 2  # seconds; the page without JavaScript reloads itself (Refresh header)


def wachten(gevonden):
    """The waiting page: its progress fragment polls itself (hx-trigger 'load delay:1s', swapped
    by the next one) until the check is done; without JavaScript the page reloads itself."""
    headers = {} if web.is_htmx() else {"Refresh": str(WACHTPAGINA_VERVERSEN)}
    return page("wizard/wachten.html", 5, Keuzes(gevonden.schoolsoort, gevonden.soort), headers=headers,
                **wacht_context(gevonden))


def wacht_context(gevonden):
    return dict(controle=gevonden, voor=controles.plaats_in_wachtrij(gevonden) if gevonden.status == "wacht" else 0,
                seconden=max(0, int((nu() - gevonden.aangemaakt).total_seconds())))


@bp.route("/controle/<token>/voortgang")
@toegang("anoniem")
def voortgang(token):
    """The progress fragment; once the check is done, htmx is sent to the check's page."""
    gevonden = eigen_controle(token)
    if gevonden is None or gevonden.status not in controles.WACHTEND or not web.is_htmx():
        response = see_other(".controle", token=token, **lees_keuzes(request.args).args)
        if web.is_htmx():
            response = current_app.response_class(status=204, headers={"HX-Redirect": response.location})
        return response
    return page("wizard/wachten.html", 5, Keuzes(gevonden.schoolsoort, gevonden.soort), block="voortgang",
                **wacht_context(gevonden))


@bp.route("/controle/<token>/gemarkeerd.xlsx")
@toegang("anoniem")
def gemarkeerd(token):
    from portal.lijsten.validate import check_bytes
    from portal.lijsten.workbook import annotated
    gevonden = eigen_controle(token)
    if gevonden is None:
        return verlopen()
    if gevonden.status != "klaar" or gevonden.kenmerk:
        return see_other(".controle", token=token)
    data = bytes(gevonden.bestand)  # PostgreSQL hands a bytea back as a memoryview
    fmt = format_voor(gevonden.schoolsoort, gevonden.soort)
    from portal.correctie import als_bestand
    verbeterd = als_bestand(gevonden)   # being corrected in the browser: the rows as they are now
    if verbeterd is not None:
        data, resultaat = verbeterd, check_bytes(verbeterd, fmt, limieten=limieten())
    else:
        resultaat = koppeling.check_met_koppeling(data, fmt, koppeling.van_json(gevonden.koppeling_json),
                                                  limieten=limieten())
    naam = PurePath(gevonden.bestandsnaam).stem
    return send_file(io.BytesIO(annotated(data, resultaat)), as_attachment=True,
                     download_name=f"{naam} - fouten gemarkeerd.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/klaar/<kenmerk>")
@toegang("anoniem")
def klaar(kenmerk):
    aanlevering = Aanlevering.get_or_none(Aanlevering.kenmerk == kenmerk)
    if aanlevering is None or not mag_zien(aanlevering):
        abort(404)
    keuzes = Keuzes(aanlevering.schoolsoort, aanlevering.soort)
    waarschuwingen = vergelijking.waarschuwingen(aanlevering)
    return page("wizard/klaar.html", 5, keuzes, aanlevering=aanlevering, waarschuwingen=waarschuwingen,
                aantal_waarschuwingen=aantal(waarschuwingen))


from portal import koppelen  # noqa: E402,F401 - the mapping step's routes on this blueprint
