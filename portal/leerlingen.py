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
from peewee import Field, IntegrityError, Tuple, fn
from playhouse.flask_utils import get_object_or_404

from portal.extensions import db
from portal.leerlingformulier import maak_formulier, model_waarden
from portal.lijsten.export import export_xlsx
from portal.lijsten.formats import GEMEENSCHAPPELIJK, SOORTEN, format_voor
from portal.models import LEERJAAR_SORTERING, Gebeurtenis, Instantie, Leerling, nu
from portal.schooljaar import recente_schooljaren, schooljaar
from portal.web import render, see_other, toegang

bp = Blueprint("leerlingen", __name__, url_prefix="/leerlingen")

PER_PAGINA = 50
# Above this many matches a search's page is found by walking the sort's index rather than by
# sorting all the matches. High: a name search's matches cluster in the name order ('vos' lies
# far down the name index: 166,000 rows walked for 50 at 200,000 students, 290 ms), while sorting
# 10,000 rows takes ~20 ms; at 20,000 ('ja') the sort cost as much as walking.
VEEL_TREFFERS = 10_000
_TITEL = {k.veld: k.titel for k in GEMEENSCHAPPELIJK}  # column titles from the schema
def _naam():
    return (Leerling.achternaam, Leerling.voornaam, Leerling.id)


SORTERINGEN = {
    # key in the URL → (column title, fields to order by). Every order ends in the id (a total order,
    # so a page can start after a row) and is read from an index of Leerling (Meta.indexes):
    # naam, leerlingnummer, geboortedatum and klas from an index of their own; the others per value
    # (GROEPEN).
    "naam": ("Naam", _naam),
    "leerlingnummer": (_TITEL["leerlingnummer"], lambda: (Leerling.leerlingnummer, Leerling.id)),
    "geboortedatum": (_TITEL["geboortedatum"], lambda: (Leerling.geboortedatum, Leerling.id)),
    "klas": ("Klas", lambda: (Leerling.klas, Leerling.achternaam, Leerling.id)),
    "leerjaar": ("Leerjaar", lambda: (LEERJAAR_SORTERING,) + _naam()),
    "type": ("Type", lambda: (Leerling.type,) + _naam()),
    "instantie": ("Instantie", lambda: (Instantie.naam, Instantie.id) + _naam()),
    "schooljaar": ("Schooljaar", lambda: (Leerling.schooljaar,) + _naam()),
}
# Sorts on a column of few values (a few, or an instantie's hundreds of students each): an index per
# sort would cost every load more than it gives. The page is read value by value, each value's
# students by name; a count per value (from the filter or the unique index) says which values there
# are. key → (the column, how many of the sort's fields stand for it).
GROEPEN = {
    "type": (lambda: Leerling.type, 1),
    "schooljaar": (lambda: Leerling.schooljaar, 1),
    "leerjaar": (lambda: LEERJAAR_SORTERING, 1),
    "instantie": (lambda: Leerling.instantie, 2),  # its order: Instantie (naam, id)
}

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
    na: int | None = None     # the page starts after this student (keyset: the link 'Volgende')
    voor: int | None = None   # the page ends before this student ('Vorige')
    # Not from the URL: set by pagina() once the count shows that a search matched many students.
    veel_treffers: bool = False
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
            na=getal("na"),
            voor=getal("voor"),
        )

    def args(self, **wijzig) -> dict:
        """The filters as URL arguments, defaults left out (for links that keep the filters). The
        place in the list (pagina, na, voor) only when asked: a new filter or sort starts at page 1."""
        f = replace(self, **wijzig)
        uit = {"q": f.q, "type": f.type, "instantie": f.instantie, "klas": f.klas, "leerjaar": f.leerjaar,
               "schooljaar": f.schooljaar, "sorteer": f.sorteer if f.sorteer != "naam" else None,
               "pagina": f.pagina if f.pagina > 1 and "pagina" in wijzig else None,
               "na": wijzig.get("na"), "voor": wijzig.get("voor")}
        return {k: v for k, v in uit.items() if v not in (None, "")}

    def sorteer_args(self, sleutel) -> dict:
        """A column header link: sort by this column, or reverse when it is already sorted on."""
        nieuw = f"-{sleutel}" if self.sorteer == sleutel else sleutel
        return self.args(sorteer=nieuw)

    def richting(self, sleutel):
        if self.sorteer == sleutel:
            return "ascending"
        if self.sorteer == f"-{sleutel}":
            return "descending"
        return None


def voorwaarden(gebruiker, filters: Filters) -> list:
    """The conditions of the overview: the students a user may see, filtered as asked."""
    waar = [Leerling.zichtbaar_voor(gebruiker)]
    termen = (Leerling.zoekterm(woord, veel=filters.veel_treffers) for woord in filters.q.split()[:5])
    waar += [term for term in termen if term is not None]
    if filters.type:
        waar.append(Leerling.type == filters.type)
    if filters.instantie:
        waar.append(Leerling.instantie == filters.instantie)
    if filters.klas:
        waar.append(Leerling.klas == filters.klas)
    if filters.leerjaar is not None:
        waar.append(Leerling.leerjaar == filters.leerjaar)
    if filters.schooljaar:
        waar.append(Leerling.schooljaar == filters.schooljaar)
    return waar


def zoek(gebruiker, filters: Filters):
    """The students a user may see, filtered as asked (not yet sorted or paged), with their instantie."""
    return Leerling.select(Leerling, Instantie).join(Instantie).where(*voorwaarden(gebruiker, filters))


def _getoond():
    """The columns the overview shows: a row of 40 columns costs peewee most of a page's time."""
    return (Leerling.id, Leerling.instantie, Leerling.leerlingnummer, Leerling.voornaam, Leerling.tussenvoegsel,
            Leerling.achternaam, Leerling.bsn, Leerling.onderwijsnummer, Leerling.geboortedatum, Leerling.klas,
            Leerling.leerjaar, Leerling.type, Leerling.schooljaar, Instantie.id, Instantie.naam)


def sorteervelden(filters: Filters, omgekeerd=False):
    """The fields to order by, and whether descending (the sort's direction, or against it)."""
    sleutel = filters.sorteer.lstrip("-")
    velden = SORTERINGEN[sleutel][1]()
    op_naam = all(a is b for a, b in zip(velden[-3:], _naam())) and len(velden) >= 3
    if op_naam and not filters.veel_treffers and any(map(Leerling.zoekterm, filters.q.split()[:5])):
        # With a search the matches are mostly few: sorting them beats walking the name index row by
        # row (the database would otherwise pick the index to avoid the sort). Same order otherwise.
        velden = velden[:-3] + (Leerling.achternaam.concat(""),) + velden[-2:]
    return velden, filters.sorteer.startswith("-") != omgekeerd


def sorteer(query, filters: Filters, omgekeerd=False):
    velden, aflopend = sorteervelden(filters, omgekeerd)
    return query.order_by(*(v.desc() if aflopend else v for v in velden))


def _voorbij(velden, waarden, aflopend):
    """Rows after `waarden` in the order of `velden` (keyset: the database starts in the index there)."""
    waarden = [v.to_value(w) if isinstance(v, Field) else w for v, w in zip(velden, waarden)]
    return Tuple(*velden) < Tuple(*waarden) if aflopend else Tuple(*velden) > Tuple(*waarden)


def _lezen(query, filters, omgekeerd=False, plek=None, overslaan=0, groepen=None):
    """Up to PER_PAGINA rows in the overview's order (or against it), after the row whose sort values
    are `plek`, or from the start skipping `overslaan` rows. Each query below walks one index."""
    velden, aflopend = sorteervelden(filters, omgekeerd)

    def stuk(extra, aantal, velden=velden, overslaan=0):
        geordend = query.where(*extra).order_by(*(v.desc() if aflopend else v for v in velden))
        return list(geordend.offset(overslaan or None).limit(aantal))

    if groepen is not None:
        return _per_waarde(stuk, filters, velden, aflopend, plek, overslaan, groepen)
    if plek is None:
        return stuk([], PER_PAGINA, overslaan=overslaan)
    return stuk([_voorbij(velden, plek, aflopend)], PER_PAGINA)


def _per_waarde(stuk, filters, velden, aflopend, plek, overslaan, groepen):
    """The page of a sort in GROEPEN: value after value, each one's students by name (after `plek`
    in its value). None when plek's value is no longer among the results."""
    kolom, breedte = GROEPEN[filters.sorteer.lstrip("-")]
    kolom, rest = kolom(), velden[breedte:]
    if breedte == 2:  # instanties: in the order of their names
        namen = dict(Instantie.select(Instantie.id, Instantie.naam).where(Instantie.id.in_(list(groepen))).tuples())
        waarden = sorted(groepen, key=lambda i: (namen[i], i), reverse=aflopend)
    else:
        waarden = sorted(groepen, reverse=aflopend)
    if plek is not None:
        if plek[breedte - 1] not in groepen:
            return None
        waarden = waarden[waarden.index(plek[breedte - 1]):]
    rijen = []
    for waarde in waarden:
        if overslaan >= groepen[waarde]:
            overslaan -= groepen[waarde]
            continue
        # A large value of an indexed column (a schooljaar): walk the name index and test each row,
        # rather than fetch a third of the table by that index and sort it.
        gelijk = (kolom.concat("") if groepen[waarde] > VEEL_TREFFERS and kolom is Leerling.schooljaar else kolom) == waarde
        na = [_voorbij(rest, plek[breedte:], aflopend)] if plek is not None and waarde == plek[breedte - 1] else []
        rijen += stuk([gelijk] + na, PER_PAGINA - len(rijen), rest, overslaan)
        overslaan = 0
        if len(rijen) == PER_PAGINA:
            break
    return rijen


@dataclass
class Pagina:
    leerlingen: list
    totaal: int
    nummer: int
    paginas: int

    def links(self, filters: Filters) -> dict:
        """URL arguments of Eerste, Vorige, Volgende and Laatste (those that lead somewhere). Plain
        links: Vorige and Volgende name the student the page borders on, Laatste is read backwards."""
        links = {}
        if self.nummer > 1:
            links["eerste"] = filters.args()
            links["vorige"] = (filters.args(pagina=self.nummer - 1, voor=self.leerlingen[0].id)
                               if self.nummer > 2 else links["eerste"])
        if self.nummer < self.paginas:
            links["volgende"] = filters.args(pagina=self.nummer + 1, na=self.leerlingen[-1].id)
            links["laatste"] = filters.args(pagina=self.paginas)
        return links


def pagina(gebruiker, filters: Filters) -> Pagina:
    """One page of the overview. A page reached by a link starts at a student (keyset); a page asked
    only by its number is the first, the last (the order read backwards), or counted (OFFSET)."""
    waar, sleutel, groepen = voorwaarden(gebruiker, filters), filters.sorteer.lstrip("-"), None
    if sleutel in GROEPEN:
        groep = GROEPEN[sleutel][0]()
        groepen = dict(Leerling.select(groep, fn.COUNT(Leerling.id)).where(*waar).group_by(groep).tuples())
        totaal = sum(groepen.values())
    else:
        totaal = Leerling.select(Leerling.id).where(*waar).count()
    filters.veel_treffers = totaal > VEEL_TREFFERS
    if not filters.veel_treffers:
        groepen = None  # few: one query sorts them all, rather than one query per value
    paginas = max(math.ceil(totaal / PER_PAGINA), 1)
    nummer = min(filters.pagina, paginas)
    query = zoek(gebruiker, filters).select(*_getoond())
    rijen = None
    rand = filters.na or filters.voor
    if rand and 1 < nummer:
        velden, _ = sorteervelden(filters)
        plek = query.select(*velden).where(Leerling.id == rand).tuples().first()
        if plek is not None:
            rijen = _lezen(query, filters, omgekeerd=not filters.na, plek=plek, groepen=groepen)
            if rijen is not None and not filters.na:
                rijen = rijen[::-1] if len(rijen) == PER_PAGINA else None  # near the start: by number
    if not rijen:
        if nummer == paginas and nummer > 1:
            rest = totaal - (paginas - 1) * PER_PAGINA
            rijen = _lezen(query, filters, omgekeerd=True, groepen=groepen)[:rest][::-1]
        else:
            rijen = _lezen(query, filters, overslaan=(nummer - 1) * PER_PAGINA, groepen=groepen)
    return Pagina(rijen, totaal, nummer, paginas)


def leerling_of_404(leerling_id):
    return get_object_or_404(Leerling.van(current_user), Leerling.id == leerling_id)


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
    deze = pagina(current_user, filters)
    return render("leerlingen/overzicht.html", block="resultaten", leerlingen=deze.leerlingen, totaal=deze.totaal,
                  pagina=deze, filters=filters, instanties=instanties, sorteringen=SORTERINGEN,
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
