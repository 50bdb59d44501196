"""The Leerlingen area of the portal: the overview (search, filters, sorting, pages), manual entry,
editing, deleting and the export to .xlsx.

Beheerders see the students of their own instanties, the helpdesk sees all; every query starts at
`Leerling.van(gebruiker)`, so a student of another school answers 404.
"""
import math
from dataclasses import dataclass, field, replace
from datetime import date

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user
from peewee import IntegrityError

from portal.extensions import db
from portal.leerlingformulier import maak_formulier, model_waarden
from portal.lijsten.export import export_xlsx
from portal.lijsten.formats import GEMEENSCHAPPELIJK, SOORTEN, format_voor
from portal.models import Gebeurtenis, Instantie, Leerling, nu
from portal.schooljaar import recente_schooljaren, schooljaar
from portal.web import render, see_other, toegang

bp = Blueprint("leerlingen", __name__, url_prefix="/leerlingen")

PER_PAGINA = 50
_TITEL = {k.veld: k.titel for k in GEMEENSCHAPPELIJK}  # column titles from the schema
SORTERINGEN = {
    # key in the URL → (column title, fields to order by)
    "naam": ("Naam", lambda: (Leerling.achternaam, Leerling.voornaam, Leerling.id)),
    "leerlingnummer": (_TITEL["leerlingnummer"], lambda: (Leerling.leerlingnummer, Leerling.id)),
    "geboortedatum": (_TITEL["geboortedatum"], lambda: (Leerling.geboortedatum, Leerling.id)),
    "klas": ("Klas", lambda: (Leerling.klas, Leerling.achternaam, Leerling.id)),
    "leerjaar": ("Leerjaar", lambda: (Leerling.leerjaar, Leerling.achternaam, Leerling.id)),
    "type": ("Type", lambda: (Leerling.type, Leerling.achternaam, Leerling.id)),
    "instantie": ("Instantie", lambda: (Instantie.naam, Leerling.achternaam, Leerling.id)),
    "schooljaar": ("Schooljaar", lambda: (Leerling.schooljaar, Leerling.achternaam, Leerling.id)),
}
_WILDCARDS = str.maketrans("", "", "%_\\")


# ---------------------------------------------------------------------------------------------
# The overview's query
# ---------------------------------------------------------------------------------------------
@dataclass
class Filters:
    q: str = ""
    type: str = ""
    instantie: int | None = None
    klas: str = ""
    leerjaar: int | None = None
    schooljaar: str = ""
    sorteer: str = "naam"
    pagina: int = 1
    extra: dict = field(default_factory=dict)

    @classmethod
    def uit(cls, args, instantie_ids):
        def getal(naam):
            waarde = (args.get(naam) or "").strip()
            return int(waarde) if waarde.isdigit() and len(waarde) < 9 else None
        sorteer = args.get("sorteer") or "naam"
        if sorteer.lstrip("-") not in SORTERINGEN:
            sorteer = "naam"
        instantie = getal("instantie")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            type=args.get("type") if args.get("type") in SOORTEN else "",
            instantie=instantie if instantie in instantie_ids else None,
            klas=(args.get("klas") or "").strip()[:20],
            leerjaar=getal("leerjaar"),
            schooljaar=(args.get("schooljaar") or "").strip()[:9],
            sorteer=sorteer,
            pagina=max(getal("pagina") or 1, 1),
        )

    def args(self, **wijzig) -> dict:
        """The filters as URL arguments, defaults left out (for links that keep the filters)."""
        f = replace(self, **wijzig)
        uit = {"q": f.q, "type": f.type, "instantie": f.instantie, "klas": f.klas, "leerjaar": f.leerjaar,
               "schooljaar": f.schooljaar, "sorteer": f.sorteer if f.sorteer != "naam" else None,
               "pagina": f.pagina if f.pagina > 1 else None}
        return {k: v for k, v in uit.items() if v not in (None, "")}

    def sorteer_args(self, sleutel) -> dict:
        """A column header link: sort by this column, or reverse when it is already sorted on."""
        nieuw = f"-{sleutel}" if self.sorteer == sleutel else sleutel
        return self.args(sorteer=nieuw, pagina=1)

    def richting(self, sleutel):
        if self.sorteer == sleutel:
            return "ascending"
        if self.sorteer == f"-{sleutel}":
            return "descending"
        return None


def zoek(gebruiker, filters: Filters):
    """The students a user may see, filtered as asked (not yet sorted or paged)."""
    query = Leerling.van(gebruiker)
    for woord in filters.q.translate(_WILDCARDS).split()[:5]:
        nummer = Leerling.leerlingnummer.startswith(woord)
        if any(c.isdigit() for c in woord):
            query = query.where(nummer)       # a name holds no digits (formats.md ²): skip the name scan
        else:
            query = query.where(Leerling.achternaam.contains(woord) | Leerling.voornaam.contains(woord) | nummer)
    if filters.type:
        query = query.where(Leerling.type == filters.type)
    if filters.instantie:
        query = query.where(Leerling.instantie == filters.instantie)
    if filters.klas:
        query = query.where(Leerling.klas == filters.klas)
    if filters.leerjaar is not None:
        query = query.where(Leerling.leerjaar == filters.leerjaar)
    if filters.schooljaar:
        query = query.where(Leerling.schooljaar == filters.schooljaar)
    return query


def sorteer(query, filters: Filters):
    sleutel = filters.sorteer.lstrip("-")
    velden = SORTERINGEN[sleutel][1]()
    if sleutel == "naam" and filters.q:
        # With a search the matches are few: sorting them beats walking the name index row by row
        # (the database would otherwise pick the index to avoid the sort). Same order otherwise.
        velden = (Leerling.achternaam.concat(""), Leerling.voornaam, Leerling.id)
    if filters.sorteer.startswith("-"):
        velden = tuple(v.desc() for v in velden)
    return query.order_by(*velden)


def pagina(gebruiker, filters: Filters):
    """→ (students on the page, total count, number of pages); the page number is clamped."""
    query = zoek(gebruiker, filters)
    totaal = query.count()
    paginas = max(math.ceil(totaal / PER_PAGINA), 1)
    filters.pagina = min(filters.pagina, paginas)
    rijen = list(sorteer(query, filters).paginate(filters.pagina, PER_PAGINA))
    return rijen, totaal, paginas


def leerling_of_404(leerling_id):
    leerling = Leerling.van(current_user).where(Leerling.id == leerling_id).first()
    if leerling is None:
        abort(404)
    return leerling


def _bestaande(instantie, behalve=None):
    """For the form: the other student of the instantie that already uses a number, by name."""
    def zoek_ander(veld, waarde):
        query = Leerling.select().where((Leerling.instantie == instantie) & (getattr(Leerling, veld) == waarde))
        if behalve is not None:
            query = query.where(Leerling.id != behalve)
        ander = query.first()
        return None if ander is None else naam(ander)
    return zoek_ander


def naam(leerling):
    delen = [leerling.voornaam, leerling.tussenvoegsel, leerling.achternaam]
    return " ".join(d for d in delen if d)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
@bp.route("/")
@toegang("beheerder")
def overzicht():
    instanties = list(Instantie.van(current_user))
    filters = Filters.uit(request.args, {i.id for i in instanties})
    rijen, totaal, paginas = pagina(current_user, filters)
    return render("leerlingen/overzicht.html", block="resultaten", leerlingen=rijen, totaal=totaal,
                  paginas=paginas, filters=filters, instanties=instanties, sorteringen=SORTERINGEN,
                  schooljaren=recente_schooljaren(aantal=4), soorten=SOORTEN, naam=naam)


def _keuze():
    """Type leerling and Instantie for a new student, from the query string."""
    instanties = list(Instantie.van(current_user))
    gekozen_id = request.args.get("instantie", type=int)
    instantie = next((i for i in instanties if i.id == gekozen_id), None)
    if instantie is None and len(instanties) == 1:
        instantie = instanties[0]
    soort = request.args.get("type") if request.args.get("type") in SOORTEN else None
    fmt = format_voor(instantie.schoolsoort, soort) if instantie and soort else None
    return instanties, instantie, soort, fmt


@bp.route("/nieuw", methods=["GET", "POST"])
@toegang("beheerder")
def nieuw():
    instanties, instantie, soort, fmt = _keuze()
    form = maak_formulier(fmt, formdata=request.form if request.method == "POST" else None) if fmt else None
    if request.method == "POST":
        if form is None:
            abort(400)
        if form.controleer(_bestaande(instantie)):
            leerling = _opslaan(form, Leerling(instantie=instantie, type=soort, schooljaar=schooljaar()))
            if leerling:
                flash(f"Leerling {naam(leerling)} ({leerling.leerlingnummer}) is opgeslagen.", "succes")
                return see_other("leerlingen.overzicht")
    return render("leerlingen/formulier.html", block="formulier", status=422 if form and form.fouten else 200,
                  form=form, instanties=instanties, instantie=instantie, soort=soort, soorten=SOORTEN,
                  leerling=None, actie=url_for("leerlingen.nieuw", type=soort, instantie=instantie and instantie.id),
                  inline=url_for("leerlingen.veld", type=soort, instantie=instantie and instantie.id))


@bp.route("/<int:leerling_id>/wijzigen", methods=["GET", "POST"])
@toegang("beheerder")
def wijzigen(leerling_id):
    leerling = leerling_of_404(leerling_id)
    fmt = format_voor(leerling.instantie.schoolsoort, leerling.type)
    if request.method == "POST":
        form = maak_formulier(fmt, formdata=request.form)
        if form.controleer(_bestaande(leerling.instantie, behalve=leerling.id)) and _opslaan(form, leerling):
            flash(f"De gegevens van {naam(leerling)} zijn opgeslagen.", "succes")
            return see_other("leerlingen.overzicht")
    else:
        form = maak_formulier(fmt, leerling=leerling)
    return render("leerlingen/formulier.html", block="formulier", status=422 if form.fouten else 200,
                  form=form, instantie=leerling.instantie, soort=leerling.type, soorten=SOORTEN, leerling=leerling,
                  actie=url_for("leerlingen.wijzigen", leerling_id=leerling.id),
                  inline=url_for("leerlingen.veld", leerling=leerling.id))


def _opslaan(form, leerling):
    """Store the checked form; a number taken meanwhile (unique index) becomes a field message."""
    nieuw = leerling.id is None
    for veld, waarde in model_waarden(form.fmt, form.schoon).items():
        setattr(leerling, veld, waarde)
    leerling.gewijzigd = nu()
    try:
        with db.database.atomic():
            leerling.save()
            Gebeurtenis.log("leerling_toegevoegd" if nieuw else "leerling_gewijzigd", gebruiker=current_user,
                            details=f"Leerlingnummer {leerling.leerlingnummer}, {leerling.instantie.weergave}")
    except IntegrityError:
        if nieuw:
            leerling.id = None
        form.leerlingnummer.errors.append(
            f"Leerlingnummer {leerling.leerlingnummer} is al in gebruik bij een andere leerling van deze "
            "instantie. Kies een ander leerlingnummer.")
        return None
    return leerling


@bp.route("/veld", methods=["POST"])
@toegang("beheerder")
def veld():
    """Inline check of one field when it loses focus: the same form class, that field's row."""
    leerling_id = request.args.get("leerling", type=int)
    if leerling_id:
        leerling = leerling_of_404(leerling_id)
        instantie, fmt = leerling.instantie, format_voor(leerling.instantie.schoolsoort, leerling.type)
    else:
        leerling = None
        _, instantie, _, fmt = _keuze()
    naam_veld = request.form.get("_veld", "")
    if fmt is None or naam_veld not in fmt.velden:
        abort(400)
    form = maak_formulier(fmt, formdata=request.form)
    form.controleer(_bestaande(instantie, behalve=leerling and leerling.id))
    return render("leerlingen/_veld.html", form=form, veld=form[naam_veld], inline=request.full_path)


@bp.route("/<int:leerling_id>/verwijderen", methods=["GET", "POST"])
@toegang("beheerder")
def verwijderen(leerling_id):
    leerling = leerling_of_404(leerling_id)
    if request.method == "POST":
        with db.database.atomic():
            Gebeurtenis.log("leerling_verwijderd", gebruiker=current_user,
                            details=f"Leerlingnummer {leerling.leerlingnummer}, {leerling.instantie.weergave}")
            leerling.delete_instance()
        flash(f"Leerling {naam(leerling)} ({leerling.leerlingnummer}) is verwijderd.", "succes")
        return see_other("leerlingen.overzicht")
    return render("leerlingen/verwijderen.html", leerling=leerling, naam=naam(leerling))


@bp.route("/export")
@toegang("beheerder")
def export():
    """The students of the overview (same filters) in the format of the chosen type, as .xlsx."""
    instanties = list(Instantie.van(current_user))
    filters = Filters.uit(request.args, {i.id for i in instanties})
    soort = filters.type or "overstapper"
    schoolsoort = _export_schoolsoort(instanties, filters)
    fmt = format_voor(schoolsoort, soort)
    query = (sorteer(zoek(current_user, replace(filters, type=soort)), filters)
             .where(Instantie.schoolsoort == schoolsoort))
    geteld = []
    data = export_xlsx(fmt, (geteld.append(1) or leerling for leerling in query.iterator()))
    _log_export(fmt, filters, instanties, len(geteld))
    bestandsnaam = f"leerlingen-{fmt.naam}-{date.today().isoformat()}.xlsx"
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{bestandsnaam}"'})


def _log_export(fmt, filters, instanties, aantal):
    """The export holds full BSNs: the audit log says who took how many of whose students, and when.
    The search text is left out of it (it may be a BSN)."""
    gekozen = next((i for i in instanties if i.id == filters.instantie), None)
    bereik = gekozen.weergave if gekozen else (
        "alle instanties" if current_user.is_helpdesk else f"eigen instanties ({len(instanties)})")
    extra = [f"{naam} {waarde}" for naam, waarde in (("klas", filters.klas), ("leerjaar", filters.leerjaar),
                                                     ("schooljaar", filters.schooljaar)) if waarde]
    if filters.q:
        extra.append("met zoekterm")
    details = f"{aantal} leerlingen, {fmt.naam}, {bereik}" + (f" ({', '.join(extra)})" if extra else "")
    Gebeurtenis.log("leerlingen_geexporteerd", gebruiker=current_user, details=details)


def _export_schoolsoort(instanties, filters):
    if current_user.schoolsoort:
        return current_user.schoolsoort
    gekozen = next((i for i in instanties if i.id == filters.instantie), None)
    if gekozen:
        return gekozen.schoolsoort
    return request.args.get("schoolsoort") if request.args.get("schoolsoort") in ("VO", "MBO") else "VO"
