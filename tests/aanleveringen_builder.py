"""Aanleveringen for the helpdesk tests, made directly (the wizard that makes them is tested apart).

The rows are the validator's own output for a generated file, so they look exactly like what the
wizard stores: clean values keyed by veld, dates as ISO strings, plus 'rij'.
"""
import datetime as dt
import hashlib
import json

from portal.lijsten.formats import format_voor
from portal.lijsten.validate import check_bytes
from portal.models import Aanlevering, Gebruiker, Instantie
from tests.builders import VANDAAG, leerlingen, make_xlsx


def schone_rijen(fmt, aantal, seed=1, wijzig=None):
    """`aantal` clean rows of `fmt`; `wijzig(i, rij)` may change the title-keyed rows first."""
    rijen = leerlingen(fmt, aantal, seed=seed)
    for i, rij in enumerate(rijen):
        if wijzig:
            wijzig(i, rij)
    bestand = make_xlsx(fmt, rijen)
    resultaat = check_bytes(bestand, fmt, vandaag=VANDAAG)
    assert resultaat.ok, [b.to_dict() for b in resultaat.fouten][:3]
    schoon = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()}
              for r in resultaat.leerlingen]
    return schoon, bestand


def instantie(code="99AA00"):
    return Instantie.get((Instantie.brin == code[:4]) & (Instantie.vestigingsnummer == code[4:]))


def maak_aanlevering(code="99AA00", soort="overstapper", aantal=5, seed=1, rijen=None, bestand=None,
                     kanaal="portal", gebruiker="vo@demo.nl", schooljaar="2025-2026", waarschuwingen=(),
                     **velden):
    school = instantie(code)
    fmt = format_voor(school.schoolsoort, soort)
    if rijen is None:
        rijen, bestand = schone_rijen(fmt, aantal, seed=seed)
    bestand = bestand or b"PK\x03\x04 test"
    account = Gebruiker.met_email(gebruiker) if gebruiker and kanaal == "portal" else None
    return Aanlevering.maak(
        instantie=school, schoolsoort=school.schoolsoort, soort=soort, schooljaar=schooljaar,
        naam=velden.pop("naam", "Petra Indiener"), email=velden.pop("email", "petra@school.example"),
        toelichting=velden.pop("toelichting", ""), kanaal=kanaal, gebruiker=account,
        bestandsnaam=velden.pop("bestandsnaam", "leerlingen.xlsx"), bestand=bestand,
        sha256=hashlib.sha256(bestand).hexdigest(), aantal_leerlingen=len(rijen),
        aantal_waarschuwingen=len(waarschuwingen), leerlingen_json=json.dumps(rijen),
        waarschuwingen_json=json.dumps(list(waarschuwingen)), **velden)
