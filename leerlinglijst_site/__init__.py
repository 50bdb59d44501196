"""The public site at /leerlinglijst/: the upload wizard for visitors, and the help pages."""
from flask import Blueprint, abort

from leerlinglijst_site.hulp import ONDERWERPEN
from portal.web import render, toegang

bp = Blueprint("site", __name__, url_prefix="/leerlinglijst")


@bp.route("/hulp/")
@toegang("anoniem")
def hulp_overzicht():
    """Every help topic and the helpdesk's contact details ("Voor meer informatie en onderwerpen")."""
    return render("help/overzicht.html", onderwerp=None, paginatitel="Meer informatie")


@bp.route("/hulp/<onderwerp>")
@toegang("anoniem")
def hulp(onderwerp):
    gekozen = ONDERWERPEN.get(onderwerp)
    if gekozen is None:
        abort(404)
    from leerlinglijst_site.hulp import foutengroepen
    context = {"foutengroepen": foutengroepen()} if onderwerp == "fouten" else {}
    return render(gekozen.template, onderwerp=gekozen, onderwerpen=ONDERWERPEN, **context)


from leerlinglijst_site import views  # noqa: E402,F401  (the wizard routes register on bp)
