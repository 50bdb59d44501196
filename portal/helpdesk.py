"""The helpdesk's review: the queue of Aanleveringen, the detail page, Verwerken, Afkeuren,
the original file (the retention command `flask --app app helpdesk opschonen` is in portal/cli.py)."""
import datetime as dt
import io
import re
from pathlib import PurePath

from flask import Blueprint, flash, request, send_file, url_for
from flask_login import current_user
from peewee import fn
from playhouse.flask_utils import get_object_or_404

from portal import mail, verwerken
from portal.extensions import db
from portal.lijsten.export import export_xlsx
from portal.lijsten.formats import SOORTEN, format_voor, telefoon_tonen
from portal.models import SCHOOLSOORTEN, STATUSSEN, Aanlevering, Gebeurtenis, Instantie
from portal.vergelijking import rijen, vergelijk, waarschuwingen, zonder_bsn
from portal.web import Bladzijden, render, see_other, toegang

bp = Blueprint("helpdesk", __name__, url_prefix="/helpdesk")
bp.add_app_template_filter(zonder_bsn, "zonder_bsn")


@bp.app_template_filter("telefoon")
def telefoon(e164):
    """A stored +31612345678 as people write it: 06-12345678 (other numbers as telefoon_tonen has them)."""
    tonen = telefoon_tonen(e164) if e164 else ""
    return re.sub(r"^(06) (\d{8})$", r"\1-\2", tonen)


PER_PAGINA = 50
FILTERS = ("status", "schoolsoort", "soort", "instantie", "schooljaar")


def _filters(args):
    gekozen = {naam: (args.get(naam) or "").strip() for naam in FILTERS}
    if "status" not in args:
        gekozen["status"] = "ingediend"  # the queue opens on what waits for the helpdesk
    return gekozen


def wachtrij_query(gekozen, zonder=None):
    """The queue under the chosen filters (all but `zonder`), newest first."""
    query = Aanlevering.select(Aanlevering, Instantie).join(Instantie)
    velden = {"status": Aanlevering.status, "schoolsoort": Aanlevering.schoolsoort, "soort": Aanlevering.soort,
              "instantie": Aanlevering.instantie, "schooljaar": Aanlevering.schooljaar}
    for naam, waarde in gekozen.items():
        if waarde and naam != zonder:
            if naam == "instantie" and not (waarde.isdigit() and len(waarde) < 10):
                continue
            query = query.where(velden[naam] == waarde)
    return query.order_by(Aanlevering.aangemaakt.desc(), Aanlevering.id.desc())


def status_aantallen(gekozen):
    query = (wachtrij_query(gekozen, zonder="status").select(Aanlevering.status, fn.COUNT(Aanlevering.id))
             .order_by().group_by(Aanlevering.status).tuples())
    return dict(query)


def _pagina(args):
    try:
        return min(max(1, int(args.get("pagina", 1))), 1_000_000)
    except ValueError:
        return 1


@bp.route("/")
@toegang("helpdesk")
def wachtrij():
    gekozen = _filters(request.args)
    lijst = Bladzijden(wachtrij_query(gekozen), PER_PAGINA)
    schooljaren = [s for (s,) in Aanlevering.select(Aanlevering.schooljaar).distinct()
                   .order_by(Aanlevering.schooljaar.desc()).tuples()]
    return render("helpdesk/wachtrij.html", block="resultaten", gekozen=gekozen,
                  aanleveringen=list(lijst.get_object_list()), totaal=lijst.totaal, pagina=lijst.get_page(),
                  paginas=lijst.get_page_count(), aantallen=status_aantallen(gekozen),
                  statussen=STATUSSEN, schoolsoorten=SCHOOLSOORTEN, soorten=SOORTEN,
                  instanties=Instantie.select().order_by(Instantie.naam), schooljaren=schooljaren)


def _aanlevering(aanlevering_id):
    return get_object_or_404(Aanlevering, Aanlevering.id == aanlevering_id)


_UITKOMST = re.compile(r"(\d+) nieuw, (\d+) bijgewerkt, (\d+) ongewijzigd")


def resultaat(aanlevering):
    """What loading did, from the log (a fresh comparison after loading says "0 nieuw"): a dict
    with nieuw, bijgewerkt and ongewijzigd, or None when the list was not loaded."""
    if aanlevering.status != "verwerkt":
        return None
    gebeurtenis = (aanlevering.gebeurtenissen.where(Gebeurtenis.actie == "verwerkt")
                   .order_by(Gebeurtenis.tijd.desc(), Gebeurtenis.id.desc()).first())
    treffer = gebeurtenis and _UITKOMST.search(gebeurtenis.details)
    if not treffer:
        return None
    return dict(zip(("nieuw", "bijgewerkt", "ongewijzigd"), map(int, treffer.groups())))


def detail_context(aanlevering, pagina=1):
    alle = rijen(aanlevering)
    vergelijking = vergelijk(aanlevering)
    per_rij = {r.get("leerlingnummer"): "nieuw" for r in vergelijking.nieuw}
    per_rij.update({r.get("leerlingnummer"): "gewijzigd" for r, _ in vergelijking.gewijzigd})
    per_rij.update({r.get("leerlingnummer"): "ongewijzigd" for r in vergelijking.ongewijzigd})
    return dict(resultaat=resultaat(aanlevering),
        aanlevering=aanlevering, fmt=format_voor(aanlevering.schoolsoort, aanlevering.soort),
        rijen=alle[(pagina - 1) * PER_PAGINA: pagina * PER_PAGINA], aantal_rijen=len(alle), pagina=pagina,
        paginas=max(1, -(-len(alle) // PER_PAGINA)), vergelijking=vergelijking, per_rij=per_rij,
        waarschuwingen=waarschuwingen(aanlevering, helpdesk=True), soorten=SOORTEN,
        gebeurtenissen=list(aanlevering.gebeurtenissen.order_by(Gebeurtenis.tijd, Gebeurtenis.id)))


@bp.route("/<int:aanlevering_id>")
@toegang("helpdesk")
def detail(aanlevering_id):
    aanlevering = _aanlevering(aanlevering_id)
    return render("helpdesk/detail.html", block="rijen", **detail_context(aanlevering, _pagina(request.args)))


@bp.route("/logboek")
@toegang("helpdesk")
def logboek():
    """What happened outside a list: exports (full BSNs), students added, changed or deleted by hand.
    The events of a list stand on its own page."""
    query = (Gebeurtenis.select().where(Gebeurtenis.aanlevering.is_null())
             .order_by(Gebeurtenis.tijd.desc(), Gebeurtenis.id.desc()))
    totaal, pagina = query.count(), _pagina(request.args)
    return render("helpdesk/logboek.html", gebeurtenissen=list(query.paginate(pagina, PER_PAGINA)),
                  totaal=totaal, pagina=pagina, paginas=max(1, -(-totaal // PER_PAGINA)))


def _status_link(aanlevering):
    if aanlevering.kanaal == "portal" and aanlevering.gebruiker_id:
        return url_for("aanleveringen.detail", aanlevering_id=aanlevering.id, _external=True)
    return url_for("aanleveringen.status", token=aanlevering.status_token, _external=True)


def leerlingen_tekst(aantal):
    return f"{aantal} {'leerling' if aantal == 1 else 'leerlingen'}"


@bp.route("/<int:aanlevering_id>/verwerken", methods=["GET", "POST"])
@toegang("helpdesk")
def verwerk(aanlevering_id):
    """Loading cannot be undone: the button on the detail page asks first, on a page of its own
    (plain HTML, so also without JavaScript), how many students will be added and changed."""
    aanlevering = _aanlevering(aanlevering_id)
    if aanlevering.status != "ingediend":
        flash("Deze lijst is intussen al behandeld of ingetrokken; er is niets geladen.", "fout")
        return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)
    if request.method == "GET" or request.form.get("bevestigd") != "ja":
        return render("helpdesk/verwerken.html", aanlevering=aanlevering, vergelijking=vergelijk(aanlevering),
                      soorten=SOORTEN)
    try:
        with db.database.atomic():  # the students, the status, the log and the mail: all or nothing
            uitkomst = verwerken.verwerk(aanlevering, current_user)
            mail.queue(aanlevering.email, f"Uw leerlinglijst {aanlevering.kenmerk} is verwerkt", "verwerkt",
                       aanlevering=aanlevering, uitkomst=uitkomst, link=_status_link(aanlevering))
    except verwerken.NietMeerIngediend:
        flash("Deze lijst is intussen al behandeld of ingetrokken; er is niets geladen.", "fout")
        return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)
    flash(f"Lijst {aanlevering.kenmerk} is verwerkt: {leerlingen_tekst(uitkomst.nieuw)} toegevoegd, "
          f"{uitkomst.bijgewerkt} bijgewerkt, {uitkomst.ongewijzigd} ongewijzigd. "
          "De indiener krijgt hierover een e-mail.", "succes")
    return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)


@bp.route("/<int:aanlevering_id>/afkeuren", methods=["POST"])
@toegang("helpdesk")
def afkeuren(aanlevering_id):
    aanlevering = _aanlevering(aanlevering_id)
    reden = (request.form.get("reden") or "").strip()
    if not reden:
        return render("helpdesk/detail.html", status=422, reden_fout="Vul de reden in; de indiener krijgt die te lezen.",
                      **detail_context(aanlevering))
    try:
        with db.database.atomic():
            reden = verwerken.afkeuren(aanlevering, current_user, reden[:2000])
            mail.queue(aanlevering.email, f"Uw leerlinglijst {aanlevering.kenmerk} is teruggestuurd", "afgekeurd",
                       aanlevering=aanlevering, reden=reden, link=_status_link(aanlevering))
    except verwerken.NietMeerIngediend:
        flash("Deze lijst is intussen al behandeld of ingetrokken.", "fout")
        return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)
    flash(f"Lijst {aanlevering.kenmerk} is teruggestuurd naar de indiener.", "succes")
    return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def waardenkopie(aanlevering):
    """The list as the helpdesk downloads it: the checked rows written anew by our own writer, values
    only. The uploaded bytes never leave the server: a formula or link in them can not run on a
    helpdesk computer, and text that looks like a formula is stored as text."""
    fmt = format_voor(aanlevering.schoolsoort, aanlevering.soort)
    datums = {k.veld for k in fmt.kolommen if k.soort == "datum"}

    def waarden(rij):
        return {veld: (dt.date.fromisoformat(waarde) if veld in datums and isinstance(waarde, str) and waarde else waarde)
                for veld, waarde in rij.items()}
    return export_xlsx(fmt, (waarden(rij) for rij in rijen(aanlevering)))


def downloadnaam(bestandsnaam):
    """The uploaded name as far as it is safe in a header: no control characters, always .xlsx."""
    stam = re.sub(r"[\x00-\x1f\x7f]", "", PurePath(bestandsnaam or "").stem).strip() or "leerlingen"
    return f"{stam}.xlsx"


@bp.route("/<int:aanlevering_id>/bestand")
@toegang("helpdesk")
def bestand(aanlevering_id):
    aanlevering = _aanlevering(aanlevering_id)
    if aanlevering.bestand is None:
        flash("Het originele bestand is na de bewaartermijn verwijderd.", "info")
        return see_other("helpdesk.detail", aanlevering_id=aanlevering_id)
    Gebeurtenis.log("bestand_gedownload", aanlevering=aanlevering, gebruiker=current_user)
    response = send_file(io.BytesIO(waardenkopie(aanlevering)), mimetype=XLSX, as_attachment=True,
                         download_name=downloadnaam(aanlevering.bestandsnaam), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


