"""The help pages. The page of common errors is generated from the error catalog, so the page and
the validator cannot disagree; each message is shown as a user would meet it, with example values
(rij 5, the configured 20 MB and 50.000 leerlingen) in place of its placeholders."""
import re
from dataclasses import dataclass

from flask import current_app, has_app_context
from markupsafe import Markup, escape

from portal.lijsten.formats import ONDERWIJSNIVEAUS, VERVOLGWENSEN_VO

PRODUCT_NAAM = "InterGrip"      # the default of the PRODUCT_NAAM setting


def product_naam() -> str:
    return current_app.config.get("PRODUCT_NAAM") or PRODUCT_NAAM if has_app_context() else PRODUCT_NAAM


@dataclass(frozen=True)
class Onderwerp:
    sjabloon: str           # the title; {product} is the PRODUCT_NAAM setting
    template: str

    @property
    def titel(self) -> str:
        return self.sjabloon.format(product=product_naam())


ONDERWERPEN = {
    "aanleveren": Onderwerp("Hoe lever ik een leerlinglijst aan?", "help/aanleveren.html"),
    "fouten": Onderwerp("Welke fouten komen voor binnen leerlinglijsten?", "help/fouten.html"),
    "toevoegen": Onderwerp("Hoe kan ik leerlingen toevoegen aan {product}?", "help/toevoegen.html"),
    "elk-jaar": Onderwerp("Moeten leerlingen elk jaar opnieuw aangeleverd worden?", "help/elk_jaar.html"),
}


def getal(n: int) -> str:
    """50000 → 50.000, as Dutch readers write it."""
    return f"{n:,}".replace(",", ".")


# Example values for the placeholders, as a real message would have them. A code that needs a
# value of its own (a BSN that fails the 11-proef, a date that is not one) has it in VOORBEELDEN.
ALGEMEEN = {
    "rij": 5, "kolom": "Voornaam", "letter": "E", "waarde": "Jan3", "aantal": 3, "bladen": "Leerlingen, Blad2",
    "gevonden": "VO-niet-overstapper", "gekozen": "VO-overstapper", "format": "VO-overstapper",
    "tekens": "3", "eerste_rij": 2, "andere_rij": 2, "leeftijd": 31, "schoolsoort": "VO", "niveau": "HAVO",
    "leerjaar": 3, "min": 1, "max": 5, "datum": "03-05-2010", "kenmerk": "LL-2026-0042",
    "leerlingnummer": "123456", "cel": "E5", "lijst": ", ".join(ONDERWIJSNIVEAUS),
}
VOORBEELDEN = {
    "file_too_large": lambda c: {"max": c.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024) // (1024 * 1024)},
    "too_many_rows": lambda c: {"max": getal(c.get("MAX_UPLOAD_ROWS", 50_000)),
                                "aantal": getal(c.get("MAX_UPLOAD_ROWS", 50_000) + 2_480)},
    "file_corrupt": lambda c: {"max": getal(32_767)},
    "merged_cells": lambda c: {"waarde": "A5:C5"},
    "empty_rows_skipped": lambda c: {"aantal": 2},
    "duplicate_header_row": lambda c: {"rij": 14},
    "header_not_in_first_row": lambda c: {"rij": 3},
    "header_missing": lambda c: {"kolom": "Klas"},
    "header_renamed": lambda c: {"waarde": "Geboorte datum", "letter": "I", "kolom": "Geboortedatum"},
    "header_unknown": lambda c: {"waarde": "Opmerkingen", "letter": "Q"},
    "header_duplicate": lambda c: {"kolom": "Voornaam", "letter": "F"},
    "data_outside_columns": lambda c: {"letter": "R"},
    "required": lambda c: {"kolom": "Achternaam"},
    "too_long": lambda c: {"kolom": "Klas", "max": 20},
    "formula_without_value": lambda c: {"kolom": "Leerjaar"},
    "cell_error_value": lambda c: {"kolom": "Leerjaar", "waarde": "#VERW!"},
    "unexpected_date_value": lambda c: {"kolom": "Klas", "waarde": "03-01-2026"},
    "number_not_whole": lambda c: {"kolom": "Leerlingnummer", "waarde": "1234,5"},
    "bsn_scientific_notation": lambda c: {"waarde": "1,23457E+08"},
    "bsn_length": lambda c: {"aantal": 7},
    "bsn_checksum": lambda c: {"waarde": "123456789"},
    "bsn_leading_zero_restored": lambda c: {"waarde": "012345672"},
    "onderwijsnummer_checksum": lambda c: {"waarde": "101222332"},
    "duplicate_leerlingnummer": lambda c: {"waarde": "123456"},
    "tussenvoegsel_in_achternaam": lambda c: {"waarde": "van Dijk"},
    "tussenvoegsel_unknown": lambda c: {"waarde": "vna"},
    "geslacht_invalid": lambda c: {"waarde": "X"},
    "date_invalid": lambda c: {"kolom": "Geboortedatum", "waarde": "31-02-2010"},
    "date_two_digit_year": lambda c: {"kolom": "Geboortedatum", "waarde": "03-05-10"},
    "date_serial_converted": lambda c: {"kolom": "Geboortedatum", "waarde": "40301", "datum": "03-05-2010"},
    "date_in_future": lambda c: {"waarde": "03-05-2030"},
    "date_implausible": lambda c: {"waarde": "03-05-1890"},
    "postcode_format": lambda c: {"waarde": "3811"},
    "phone_invalid": lambda c: {"waarde": "12345"},
    "email_invalid": lambda c: {"waarde": "jan@@school"},
    "leerjaar_invalid": lambda c: {"waarde": "4e"},
    "leerjaar_out_of_range": lambda c: {"waarde": 7},
    "onderwijsniveau_invalid": lambda c: {"waarde": "mavo-havo"},
    "brugklas_niveau_leerjaar": lambda c: {"waarde": "HAVO/VWO"},
    "cohort_out_of_range": lambda c: {"waarde": 2005, "max": 2027},
    "mbo_leerjaar_high": lambda c: {"waarde": 6},
    "einddatum_in_past": lambda c: {"waarde": "31-07-2025"},
    "vervolgwens_invalid": lambda c: {"waarde": "STUDEREN", "lijst": ", ".join(VERVOLGWENSEN_VO)},
    "duplicate_submission": lambda c: {"datum": "12-09-2026"},
}
_PLAATSHOUDER = re.compile(r"\{(\w+)\}")


def voorbeeldbericht(code: str, sjabloon: str, config=None) -> Markup:
    """A catalog message as a user would read it, each filled-in example value in <var>."""
    waarden = dict(ALGEMEEN)
    maak = VOORBEELDEN.get(code)
    if maak is not None:
        waarden.update(maak(config or {}))
    delen = []
    positie = 0
    for treffer in _PLAATSHOUDER.finditer(sjabloon):
        delen.append(escape(sjabloon[positie:treffer.start()]))
        waarde = waarden.get(treffer.group(1), "…")
        delen.append(Markup("<var>{}</var>").format(waarde))
        positie = treffer.end()
    delen.append(escape(sjabloon[positie:]))
    return Markup("").join(delen)


def foutengroepen():
    """[(group, [(Foutsoort, example message markup)])] in catalog order, for the page of common errors."""
    from portal.lijsten.errors import groepen
    config = current_app.config if has_app_context() else {}
    return [(groep, [(soort, voorbeeldbericht(soort.code, soort.bericht, config)) for soort in soorten])
            for groep, soorten in groepen().items() if soorten]
