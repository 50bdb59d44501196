"""The manual-entry form for one student, built from the schema of a format.

The fields, their labels (the column titles), which are required and every rule come from
portal/lijsten/formats.py; the form has no validators of its own. `controleer()` hands the typed
values to `check_record`, the same parsers, rules and messages as a file, and puts each finding on
its field: errors block saving, warnings are shown and do not. The only rules added here are those
a file cannot know: a leerlingnummer, BSN or onderwijsnummer already used in the instantie.
"""
from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from portal.lijsten.errors import Bevinding
from portal.lijsten.formats import Format, datum_tekst, telefoon_tonen
from portal.lijsten.validate import check_record

SECTIES = {
    "Persoonsgegevens": ("leerlingnummer", "bsn", "onderwijsnummer", "voorletters", "voornaam",
                         "tussenvoegsel", "achternaam", "geslacht", "geboortedatum"),
    "Adres en contact": ("postcode", "woonplaats", "telefoonnummer", "email"),
}
OVERIG = "School"   # every column of a format that is not in SECTIES
SECTIE_NAMEN = (*SECTIES, OVERIG)

CODE_LABELS = {
    "geslacht": {"M": "M (man)", "V": "V (vrouw)", "O": "O (onbekend of anders)"},
    "niveau": {1: "1 (Entree)"},
}
# Attributes that help browsers and keyboards: the right keypad, no autofill of a stranger's data.
INVOER = {
    "bsn": {"inputmode": "numeric", "autocomplete": "off"},
    "onderwijsnummer": {"inputmode": "numeric", "autocomplete": "off"},
    "leerlingnummer": {"autocomplete": "off"},
    "telefoonnummer": {"inputmode": "tel", "autocomplete": "off"},
    "email": {"inputmode": "email", "autocomplete": "off"},
    "postcode": {"autocomplete": "off"},
}
UNIEK = {
    "leerlingnummer": "Leerlingnummer {waarde} is al in gebruik bij een andere leerling van deze instantie "
                      "({naam}). Kies een ander leerlingnummer of wijzig die leerling.",
    "bsn": "Dit BSN is al in gebruik bij een andere leerling van deze instantie ({naam}). "
           "Controleer het BSN of wijzig die leerling.",
    "onderwijsnummer": "Dit onderwijsnummer is al in gebruik bij een andere leerling van deze instantie "
                       "({naam}). Controleer het nummer of wijzig die leerling.",
}


class LeerlingForm(FlaskForm):
    """Base of the generated classes; `fmt` is set on each subclass."""
    fmt: Format = None

    class Meta:
        csrf = False        # CSRFProtect guards every POST of the app; the template adds the token

    def __init__(self, *args, vandaag: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.vandaag = vandaag or dt.date.today()
        self.waarschuwingen: dict[str, list[str]] = {}
        self.bevindingen: list[Bevinding] = []
        self.schoon: dict = {}
        self._verplicht_onderwijsnummer()

    # -- the schema, per section ----------------------------------------------------------------
    def secties(self):
        """[(section name, [fields])] in the format's column order, empty sections left out."""
        uit = []
        for naam in SECTIE_NAMEN:
            velden = [self[k.veld] for k in self.fmt.kolommen if _sectie(k.veld) == naam]
            if velden:
                uit.append((naam, velden))
        return uit

    def kolom(self, veld):
        return self.fmt.kolom_voor_veld(veld)

    def _verplicht_onderwijsnummer(self):
        # Onderwijsnummer becomes required once the BSN is empty (formats.md ¹).
        leeg = not (self.bsn.data or "").strip()
        self.onderwijsnummer.flags.required = leeg

    # -- checking -------------------------------------------------------------------------------
    def waarden(self) -> dict:
        return {k.veld: (self[k.veld].data or None) for k in self.fmt.kolommen}

    def controleer(self, bestaande=None) -> bool:
        """Check every field with the file check's rules; `bestaande(veld, waarde)` returns the other
        student that already uses a number in the instantie, or None. True when nothing blocks."""
        for f in self:
            f.errors = []
        self.waarschuwingen = {}
        schoon, bevindingen = check_record(self.fmt, self.waarden(), vandaag=self.vandaag)
        self.schoon, self.bevindingen = schoon, bevindingen
        titels = {k.titel: k.veld for k in self.fmt.kolommen}
        for b in bevindingen:
            veld = titels.get(b.kolom)
            if b.code == "identifier_missing":
                veld = "onderwijsnummer"      # the field that became required
            if veld is None:
                continue
            if b.is_fout:
                self[veld].errors.append(b.bericht)
            else:
                self.waarschuwingen.setdefault(veld, []).append(b.bericht)
        if bestaande is not None:
            for veld, bericht in UNIEK.items():
                waarde = schoon.get(veld)
                if waarde and not self[veld].errors:
                    ander = bestaande(veld, waarde)
                    if ander is not None:
                        self[veld].errors.append(bericht.format(waarde=waarde, naam=ander))
        return not any(f.errors for f in self)

    @property
    def fouten(self) -> list[tuple[str, str]]:
        """(field id, message) for the summary above the form."""
        return [(f.id, e) for f in self for e in f.errors]


def _sectie(veld: str) -> str:
    for naam, velden in SECTIES.items():
        if veld in velden:
            return naam
    return OVERIG


def _veld(kolom):
    extra = dict(INVOER.get(kolom.veld, {}))
    if kolom.soort == "datum":
        extra.setdefault("autocomplete", "off")
    if kolom.waarden:
        labels = CODE_LABELS.get(kolom.veld, {})
        keuzes = [("", "Kies…")] + [(str(w), labels.get(w, str(w))) for w in kolom.waarden]
        # The schema judges a value, not the select: a wrong code gets the file check's message.
        return SelectField(kolom.titel, choices=keuzes, validate_choice=False, render_kw=extra,
                           description=kolom.uitleg)
    if kolom.max_len:
        extra.setdefault("maxlength", max(kolom.max_len * 2, 40))   # cleaned-up text may be shorter
    return StringField(kolom.titel, render_kw=extra, description=kolom.uitleg)


_KLASSEN: dict[str, type] = {}


def formulier_voor(fmt: Format) -> type[LeerlingForm]:
    """The form class of a format (made once per format)."""
    klasse = _KLASSEN.get(fmt.naam)
    if klasse is None:
        attrs = {"fmt": fmt, **{kolom.veld: _veld(kolom) for kolom in fmt.kolommen}}
        klasse = type(f"LeerlingForm_{fmt.naam.replace('-', '_')}", (LeerlingForm,), attrs)
        _KLASSEN[fmt.naam] = klasse
    return klasse


def maak_formulier(fmt: Format, formdata=None, leerling=None, vandaag=None) -> LeerlingForm:
    """A form for `fmt`: empty, filled from a stored Leerling, or from the posted data."""
    klasse = formulier_voor(fmt)
    data = formulier_waarden(fmt, leerling) if leerling is not None else None
    if formdata is not None:
        form = klasse(formdata=formdata, vandaag=vandaag)
    else:
        form = klasse(formdata=None, data=data, vandaag=vandaag)
    for kolom in fmt.kolommen:
        if kolom.verplicht:
            form[kolom.veld].flags.required = True
    form._verplicht_onderwijsnummer()
    return form


def formulier_waarden(fmt: Format, leerling) -> dict:
    """A stored student as the form shows it: dates dd-mm-jjjj, phone numbers nationally."""
    uit = {}
    for kolom in fmt.kolommen:
        waarde = getattr(leerling, kolom.veld, None)
        if waarde is None:
            waarde = ""
        elif isinstance(waarde, dt.date):
            waarde = datum_tekst(waarde)
        elif kolom.veld == "telefoonnummer" and waarde:
            waarde = telefoon_tonen(waarde)
        else:
            waarde = str(waarde)
        uit[kolom.veld] = waarde
    return uit


def model_waarden(fmt: Format, schoon: dict) -> dict:
    """check_record's clean values → Leerling fields (empty text stays '', numbers None)."""
    from portal.models import Leerling
    uit = {}
    for kolom in fmt.kolommen:
        waarde = schoon.get(kolom.veld)
        veld = Leerling._meta.fields[kolom.veld]
        if waarde is None and not veld.null:
            waarde = ""
        uit[kolom.veld] = waarde
    return uit
