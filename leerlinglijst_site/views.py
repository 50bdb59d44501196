"""The public site's own pages beside the wizard: the help pages."""
from flask import abort

from leerlinglijst_site.hulp import ONDERWERPEN, foutengroepen
from portal.web import render, toegang


@toegang("anoniem")
def hulp(onderwerp):
    gekozen = ONDERWERPEN.get(onderwerp)
    if gekozen is None:
        abort(404)
    context = {"foutengroepen": foutengroepen()} if onderwerp == "fouten" else {}
    return render(gekozen.template, onderwerp=gekozen, onderwerpen=ONDERWERPEN, **context)


@toegang("anoniem")
def hulp_overzicht():
    """Every help topic and the helpdesk's contact details ("Voor meer informatie en onderwerpen")."""
    return render("help/overzicht.html", onderwerp=None, paginatitel="Meer informatie")
