"""The public wizard's routes (filled in by the wizard)."""
from leerlinglijst_site import bp
from portal.web import render, toegang


@bp.route("/")
@toegang("anoniem")
def index():
    return render("help/aanleveren.html", onderwerp=None)
