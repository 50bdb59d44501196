"""The mapping step of the wizard (issue 13, point 4): a file whose titles are not the format's is
read through a column mapping the user confirms, instead of only showing header errors.

Routes on the wizard's blueprint (portal.wizard.bp), so both registrations (portal and public site)
get them with their own Kanaal. A confirmed mapping is remembered per instantie in the portal
(Kolomkoppeling) and per browser session on the public site (anyone may choose any instantie there,
so a visitor must not change what a school is proposed), and proposed, filled in, for the next file
with the same titles.
"""
from flask import request, session
from flask_wtf import FlaskForm

from portal.lijsten import koppeling as kp
from portal.lijsten.formats import format_voor
from portal.lijsten.reader import Bestandsfout, kolomletter, read_sheet
from portal.lijsten.validate import titel_sleutel
from portal.models import Kolomkoppeling
from portal.web import render, see_other, toegang
from portal.wizard import (Keuzes, bp, controleer, eigen_controle, na_de_controle, kanaal, limieten, opsturen_form, page,
                           verlopen)

SESSIE_BEWAARD = 5      # mappings a visitor's session remembers (the cookie stays small)


class KoppelForm(FlaskForm):
    """Only the CSRF token: the choices are one <select> per column of the file, read below."""


def _sessiesleutel(fmt, titels_sleutel):
    return f"{fmt.naam}:{titels_sleutel}"


def onthouden(controle, fmt, titels_sleutel):
    """{normalised title: field or ''} confirmed earlier for these titles, or {}."""
    if kanaal().met_account:
        return Kolomkoppeling.onthouden(controle.instantie_id, fmt.naam, titels_sleutel)
    return dict(session.get("koppelingen", {}).get(_sessiesleutel(fmt, titels_sleutel), {}))


def onthoud(controle, fmt, titels, titels_sleutel, koppeling):
    per_titel = {titel_sleutel(titel): koppeling.get(j, "") for j, titel in titels}
    if kanaal().met_account:
        Kolomkoppeling.bewaar(controle.instantie_id, fmt.naam, titels_sleutel, per_titel, gebruiker=kanaal().gebruiker())
        return
    bewaard = dict(session.get("koppelingen", {}))
    bewaard.pop(_sessiesleutel(fmt, titels_sleutel), None)
    bewaard[_sessiesleutel(fmt, titels_sleutel)] = per_titel
    session["koppelingen"] = dict(list(bewaard.items())[-SESSIE_BEWAARD:])


def gekozen(form_data, titels, fmt):
    """The user's choices {position: field or ''}; a value that is not a field of the format is ignored."""
    velden = set(fmt.velden)
    uit = {}
    for j, _ in titels:
        waarde = form_data.get(f"kolom-{j}", "")
        uit[j] = waarde if waarde in velden else ""
    return uit


def fouten_van(koppeling, titels, fmt):
    """What stops a confirmation: a column of the format chosen twice. (Required columns that are
    still missing do not stop it: the check then names them, as for any file.)"""
    letters = {j: kolomletter(j) for j, _ in titels}
    return [f"U koos {fmt.kolom_voor_veld(veld).titel} voor meer dan één kolom "
            f"({' en '.join(letters[j] for j in js)}); kies het voor één kolom en zet de andere op 'Niet gebruiken'."
            for veld, js in kp.dubbel(koppeling).items()]


def bevestigd(controle, keuzes, data, koppeling_json):
    """Check the file through the confirmed mapping, exactly as step 4 checks a file (same answers
    kept): on to its findings, or sent. The check it replaces is gone."""
    form = opsturen_form(keuzes, formdata=None, instantie=controle.instantie_id, naam=controle.naam,
                         email=controle.email, toelichting=controle.toelichting)
    gemaakt = controleer(keuzes, form, data, controle.bestandsnaam, koppeling_json=koppeling_json)
    controle.delete_instance()
    return na_de_controle(gemaakt)


@bp.route("/controle/<token>/koppelen", methods=["GET", "POST"])
@toegang("anoniem")
def koppelen(token):
    controle = eigen_controle(token)
    if controle is None:
        return verlopen()
    keuzes = Keuzes(controle.schoolsoort, controle.soort)
    fmt = format_voor(controle.schoolsoort, controle.soort)
    data = bytes(controle.bestand)       # PostgreSQL hands a bytea back as a memoryview
    try:
        titels = kp.titels_van(read_sheet(data, limieten()))
    except Bestandsfout:
        return see_other(".controle", token=token, **keuzes.args)
    sleutel = kp.sleutel_van(titels)
    form = KoppelForm()
    fouten = []
    if request.method == "POST":
        koppeling = gekozen(request.form, titels, fmt)
        fouten = fouten_van(koppeling, titels, fmt)
        if form.validate_on_submit() and not fouten and not request.form.get("_tonen"):
            onthoud(controle, fmt, titels, sleutel, koppeling)
            return bevestigd(controle, keuzes, data, kp.naar_json(titels, koppeling))
        voorstellen = [kp.Voorstel(j, titel, koppeling[j] or None, None) for j, titel in titels]
    else:
        eigen = kp.van_json(controle.koppeling_json)     # 'Koppeling aanpassen' from a checked mapping
        voorstellen = ([kp.Voorstel(j, titel, eigen.get(j) or None, None) for j, titel in titels] if eigen
                       else kp.voorstel(titels, fmt, onthouden(controle, fmt, sleutel)))
    context = dict(controle=controle, fmt=fmt, voorstellen=voorstellen, form=form, fouten=fouten,
                   ontbrekend=kp.ontbrekend(fmt, {v.positie: v.veld for v in voorstellen if v.veld}),
                   onthouden=any(v.bron == "onthouden" for v in voorstellen))
    status = 422 if request.method == "POST" else 200
    if request.form.get("_tonen"):     # a <select> changed: only the state above the choices is swapped
        return render("koppeling/koppelen.html", block="stand", keuzes=keuzes, **context)
    return page("koppeling/koppelen.html", 5, keuzes, status=status, **context)


def gelezen_als(bron):
    """The columns a Controle or Aanlevering was read through: [(title in file, format title or None)]."""
    tekst = getattr(bron, "koppeling_json", "") or ""
    return kp.gelezen_als(tekst, format_voor(bron.schoolsoort, bron.soort)) if tekst else []


bp.add_app_template_global(gelezen_als, "gelezen_als")
