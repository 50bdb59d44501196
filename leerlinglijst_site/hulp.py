"""The help pages. The page of common errors is generated from the error catalog, so the page and
the validator cannot disagree."""
import re
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Onderwerp:
    titel: str
    template: str


ONDERWERPEN = {
    "aanleveren": Onderwerp("Hoe lever ik een leerlinglijst aan?", "help/aanleveren.html"),
    "fouten": Onderwerp("Welke fouten komen voor binnen leerlinglijsten?", "help/fouten.html"),
    "toevoegen": Onderwerp("Hoe kan ik leerlingen toevoegen?", "help/toevoegen.html"),
    "elk-jaar": Onderwerp("Moeten leerlingen elk jaar opnieuw aangeleverd worden?", "help/elk_jaar.html"),
}

# What a placeholder of a catalog message stands for, in words for the reader of the help page.
PLAATSHOUDERS = {
    "rij": "rijnummer", "kolom": "kolomtitel", "letter": "kolomletter", "waarde": "waarde",
    "max": "maximum", "aantal": "aantal", "bladen": "werkbladen", "gevonden": "format van het bestand",
    "gekozen": "gekozen format", "format": "format", "tekens": "tekens", "eerste_rij": "rijnummer",
    "andere_rij": "rijnummer", "leeftijd": "leeftijd", "schoolsoort": "schoolsoort", "niveau": "niveau",
    "leerjaar": "leerjaar", "min": "minimum", "lijst": "toegestane waarden", "datum": "datum",
    "kenmerk": "kenmerk", "leerlingnummer": "leerlingnummer",
}
_PLAATSHOUDER = re.compile(r"\{(\w+)\}")


def bericht_met_plaatshouders(sjabloon: str) -> Markup:
    """A catalog message with each {placeholder} shown as <var>what it stands for</var>."""
    delen = []
    positie = 0
    for treffer in _PLAATSHOUDER.finditer(sjabloon):
        delen.append(escape(sjabloon[positie:treffer.start()]))
        naam = treffer.group(1)
        delen.append(Markup("<var>{}</var>").format(PLAATSHOUDERS.get(naam, naam.replace("_", " "))))
        positie = treffer.end()
    delen.append(escape(sjabloon[positie:]))
    return Markup("").join(delen)


def foutengroepen():
    """[(group, [(Foutsoort, message markup)])] in catalog order, for the page of common errors."""
    from portal.lijsten.errors import groepen
    return [(groep, [(soort, bericht_met_plaatshouders(soort.bericht)) for soort in soorten])
            for groep, soorten in groepen().items() if soorten]
