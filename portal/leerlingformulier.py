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

# The seed's sections: Type leerling and Instantie are chosen first; then Leerling (the numbers
# that identify the student) and Persoonsgegevens, then what a format adds.
SECTIES = {
    "Leerling": ("leerlingnummer", "bsn", "onderwijsnummer"),
    "Persoonsgegevens": ("voorletters", "voornaam", "tussenvoegsel", "achternaam", "geslacht", "geboortedatum"),
    "Adres en contact": ("postcode", "woonplaats", "telefoonnummer", "email"),
}
OVERIG = "School"   # every column of a format that is not in SECTIES
SECTIE_NAMEN = (*SECTIES, OVERIG)

# Labels where the seed adds to the column title; the title itself stays the start of the label.
LABELS = {
    "onderwijsnummer": "Onderwijsnummer (verplicht indien BSN niet beschikbaar is)",
}
# Hints written for a web form. The schema's `uitleg` is written for the Excel format (columns,
# "opgemaakt als Tekst", "Kies uit: …"); a field listed here gets this text instead, a dropdown
# gets none (its options say it all) unless listed.
HINTS = {
    "leerlingnummer": "Het nummer van de leerling in uw leerlingadministratie: letters, cijfers en koppeltekens, "
                      "maximaal 20 tekens.",
    "bsn": "Het burgerservicenummer: 9 cijfers. Heeft de leerling geen BSN? Laat dit veld dan leeg en vul "
           "het onderwijsnummer in.",
    "onderwijsnummer": "Alleen voor een leerling zonder BSN: 9 cijfers, beginnend met 10.",
    "klas": "De klas of groep van de leerling, bijvoorbeeld 4B; maximaal 20 tekens.",
    "geboortedatum": "Als dd-mm-jjjj, bijvoorbeeld 03-05-2010.",
    "telefoonnummer": "Eén telefoonnummer, bijvoorbeeld 06-12345678 of +32 470 12 34 56.",
    "email": "Eén e-mailadres, bijvoorbeeld naam@voorbeeld.nl.",
}

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
        self._verplichte_nummers()

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

    def _verplichte_nummers(self):
        # As in the seed: BSN carries the *, and the Onderwijsnummer's label says when it is
        # needed instead (formats.md ¹), so no marker changes while the user types.
        self.bsn.flags.required = True
        self.onderwijsnummer.flags.required = False

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
                veld = "bsn"                  # the field marked with *
            if veld is None:
                continue
            kiezen = isinstance(self[veld], SelectField)
            bericht = b.formulier_bericht(invullen="kies een waarde uit de lijst" if kiezen else "vul het in")
            if b.is_fout:
                self[veld].errors.append(bericht)
            else:
                self.waarschuwingen.setdefault(veld, []).append(bericht)
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
    label = LABELS.get(kolom.veld, kolom.titel)
    if kolom.soort == "datum":
        extra.setdefault("autocomplete", "off")
    if kolom.waarden:
        labels = CODE_LABELS.get(kolom.veld, {})
        keuzes = [("", "Kies…")] + [(str(w), labels.get(w, str(w))) for w in kolom.waarden]
        # The schema judges a value, not the select: a wrong code gets the file check's message.
        return SelectField(label, choices=keuzes, validate_choice=False, render_kw=extra,
                           description=HINTS.get(kolom.veld, ""))
    if kolom.max_len:
        extra.setdefault("maxlength", max(kolom.max_len * 2, 40))   # cleaned-up text may be shorter
    return StringField(label, render_kw=extra, description=HINTS.get(kolom.veld, kolom.uitleg))


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
    form._verplichte_nummers()
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
