"""Plumbing shared by every blueprint: who may use a route, fragment rendering, pages, headers, errors."""
import math

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2.utils import concat
from playhouse.flask_utils import PaginatedQuery
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

TOEGANG = ("anoniem", "ingelogd", "beheerder", "helpdesk")


class DatabaseId(IntegerConverter):
    """<int:…> in a route: only ids a database integer column can hold match at all."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def toegang(wie):
    """Declare who may use a route: 'anoniem' (everyone), 'ingelogd', 'beheerder' or 'helpdesk'.

    The check itself runs in one place (check_toegang); a test walks the url_map and fails on a
    route that declares nothing.
    """
    if wie not in TOEGANG:
        raise ValueError(wie)

    def decorate(view):
        view.toegang = wie
        return view
    return decorate


def _hier():
    """This page's path and query, to come back to after logging in."""
    return request.full_path if request.query_string else request.path


def check_toegang():
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    wie = getattr(view, "toegang", None)
    if wie is None:  # a route that declares nothing is closed, not open
        abort(404)
    if wie == "anoniem":
        return None
    if not current_user.is_authenticated:
        if is_htmx():
            response = current_app.response_class(status=401)
            response.headers["HX-Redirect"] = url_for("auth.inloggen", next=_hier())
            return response
        return redirect(url_for("auth.inloggen", next=_hier()))
    if wie == "helpdesk" and not current_user.is_helpdesk:
        abort(404)
    if wie == "beheerder" and not (current_user.is_beheerder or current_user.is_helpdesk):
        abort(404)
    return None


def is_htmx():
    """A request from htmx that wants a fragment (not a boosted link or a history restore)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(template_name, block=None, status=200, headers=None, **context):
    """The whole page, or only `block` of it for an htmx request: one template, one URL."""
    env = current_app.jinja_env
    template = env.get_or_select_template(template_name)
    current_app.update_template_context(context)
    if block and is_htmx():
        html = concat(template.blocks[block](template.new_context(context)))
        if context.get("paginatitel"):
            # htmx takes document.title from a <title> at the top level of a fragment (and leaves it
            # out of the swap): the tab, the history and a screen reader then name the new step.
            html += env.get_template("_titel.html").render(context).strip()
    else:
        html = template.render(context)
    response = current_app.response_class(html, status=status, headers=headers or {})
    response.vary.add("HX-Request")
    return response


def see_other(endpoint, **values):
    """Valid input redirects with 303; htmx follows it and swaps the new step in."""
    return redirect(url_for(endpoint, **values), code=303)


class Bladzijden(PaginatedQuery):
    """peewee's PaginatedQuery (page number from ?pagina=) that keeps its count, to show how many
    were found, and shows a page number past the end as the last page. OFFSET paging: for short
    lists (the helpdesk's queue); the student overview pages by keyset (leerlingen.pagina)."""

    def __init__(self, query, per_pagina, var="pagina"):
        super().__init__(query, per_pagina, page_var=var)
        self.totaal = query.count()
        self._page_count = max(1, math.ceil(self.totaal / per_pagina))
        self.page = min(self.get_page(), self._page_count)


def security_headers(response):
    cdn = current_app.config["HTMX_CDN"]
    from portal.config import HTMX_CDN_URL
    script_src = "'self'" + (f" {HTMX_CDN_URL}" if cdn else "")
    response.headers.setdefault("Content-Security-Policy", "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages hold personal data: no copy in the browser's or a proxy's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


FOUT_TEKSTEN = {
    400: ("Het verzoek klopt niet", "Er ging iets mis met wat uw browser stuurde. Ga terug en probeer het opnieuw."),
    401: ("Log opnieuw in", "Uw sessie is verlopen. Log opnieuw in om verder te gaan."),
    403: ("Geen toegang", "U heeft geen toegang tot deze pagina."),
    404: ("Pagina niet gevonden", "Deze pagina bestaat niet, of u heeft er geen toegang toe. Controleer het adres of ga naar de startpagina."),
    405: ("Niet toegestaan", "Deze actie kan zo niet worden uitgevoerd. Ga terug en probeer het opnieuw."),
    413: ("Bestand te groot", "Het bestand is te groot. Een leerlingbestand mag maximaal 20 MB zijn; verdeel de lijst over meer bestanden."),
    429: ("Even geduld", "U heeft dit te vaak geprobeerd. Wacht een paar minuten en probeer het dan opnieuw."),
    500: ("Er ging iets mis", "Er ging aan onze kant iets mis. Uw gegevens zijn niet verloren; probeer het over een paar minuten opnieuw. Blijft het misgaan, neem dan contact op met de helpdesk."),
}


def foutpagina(status, titel=None, tekst=None):
    standaard_titel, standaard_tekst = FOUT_TEKSTEN.get(status, FOUT_TEKSTEN[500])
    headers = {}
    if is_htmx():
        # Show the message in the page's message area instead of replacing the form.
        headers = {"HX-Retarget": "#meldingen", "HX-Reswap": "innerHTML"}
    return render("fout.html", block="melding", status=status, headers=headers,
                  status_code=status, titel=titel or standaard_titel, tekst=tekst or standaard_tekst)


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_fout(error):
        return foutpagina(400, "Formulier verlopen",
                          "Dit formulier is verlopen of al eens verstuurd. Laad de pagina opnieuw en probeer het nog eens; "
                          "wat u al had ingevuld in eerdere stappen blijft bewaard.")

    @app.errorhandler(HTTPException)
    def http_fout(error):
        if error.code in (301, 302, 303, 307, 308):
            return error
        return foutpagina(error.code or 500)

    @app.errorhandler(Exception)
    def onverwacht(error):
        app.logger.exception("Onverwachte fout bij %s", request.path)
        return foutpagina(500)


def huidige_gebruiker():
    return current_user if current_user.is_authenticated else None


MENU = [
    # (endpoint, label, helpdesk only); an entry shows once its blueprint is registered
    ("leerlingen.overzicht", "Leerlingen", False),
    ("uploaden.start", "Leerlingen uploaden", False),
    ("aanleveringen.mijn", "Mijn aanleveringen", False),
    ("helpdesk.wachtrij", "Helpdesk", True),
    ("helpdesk.logboek", "Logboek", True),
]


def menu_huidig(endpoint: str | None) -> str | None:
    """The menu entry of the page at `endpoint`: its own entry, else the first entry of its
    blueprint (a list's page belongs to Helpdesk, not also to Logboek). One entry, never two."""
    if not endpoint:
        return None
    eigen = [e for e, _, _ in MENU if e == endpoint]
    blueprint = endpoint.split(".")[0]
    return (eigen or [e for e, _, _ in MENU if e.split(".")[0] == blueprint] or [None])[0]


def zet_context(app):
    @app.context_processor
    def layout_context():
        from portal.config import HTMX_CDN_URL, HTMX_SRI
        from leerlinglijst_site.hulp import ONDERWERPEN
        return {
            "sitenaam": "Leerlingenportaal" if huidige_gebruiker() else "Leerlinglijst aanleveren",
            "menu": MENU,
            "menu_huidig": menu_huidig(request.endpoint),
            "endpoints": app.view_functions,
            "hulponderwerpen": [(slug, o.titel) for slug, o in ONDERWERPEN.items()],
            "gebruiker": huidige_gebruiker(),
            "htmx_cdn": app.config["HTMX_CDN"],
            "htmx_cdn_url": HTMX_CDN_URL,
            "htmx_sri": HTMX_SRI,
            "is_htmx": is_htmx(),
        }
