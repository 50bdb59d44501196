"""Operator commands: `flask --app app <command>`."""
import csv
import io
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from portal import migrations, verwerken
from portal.lijsten.commands import leerlinglijst
from portal.config import DEFAULT_DEMO_PASSWORD
from portal.extensions import db
from portal.models import ROLLEN, SCHOOLSOORTEN, Afremming, Controle, Gebruiker, GebruikerInstantie, Instantie

DEMO_INSTANTIES = [
    # Invented schools; BRIN codes starting with 99 are not issued.
    ("99AA", "00", "Voorbeeldcollege", "VO", "Utrecht"),
    ("99AB", "00", "Lyceum De Proeftuin", "VO", "Amersfoort"),
    ("99BA", "00", "ROC Voorbeeldstad", "MBO", "Utrecht"),
    ("99BB", "01", "Vakcollege Demodorp", "MBO", "Zeist"),
]
DEMO_ACCOUNTS = [
    ("vo@demo.nl", "Vera Oosterhout (demo)", "vo_beheerder", "VO"),
    ("mbo@demo.nl", "Mo Bakker (demo)", "mbo_beheerder", "MBO"),
    ("helpdesk@demo.nl", "Hanna de Helpdesk (demo)", "helpdesk", None),
]


def upgrade_schema():
    van, naar = migrations.upgrade(db.database)
    if van is None:
        click.echo(f"Database aangemaakt (schemaversie {naar}).")
    elif van < naar:
        click.echo(f"Database bijgewerkt van schemaversie {van} naar {naar}.")
    else:
        click.echo(f"Database is actueel (schemaversie {naar}).")


def maak_gebruiker(email, naam, rol, wachtwoord, instanties=()):
    with db.database.atomic():
        gebruiker = Gebruiker.met_email(email)
        if gebruiker is None:
            gebruiker = Gebruiker(email=email.strip().lower(), naam=naam, rol=rol)
        gebruiker.naam, gebruiker.rol, gebruiker.actief = naam, rol, True
        gebruiker.zet_wachtwoord(wachtwoord)
        gebruiker.save()
        for instantie in instanties:
            GebruikerInstantie.get_or_create(gebruiker=gebruiker, instantie=instantie)
    return gebruiker


def importeer_instanties(tekst):
    """CSV with the columns BRIN, naam, schoolsoort (and optionally vestigingsnummer, plaats)."""
    proef = tekst[:2048]
    dialect = csv.Sniffer().sniff(proef, delimiters=";,\t") if proef.strip() else csv.excel
    lezer = csv.DictReader(io.StringIO(tekst), dialect=dialect)
    velden = {(naam or "").strip().lower(): naam for naam in lezer.fieldnames or []}
    ontbreekt = [k for k in ("brin", "naam", "schoolsoort") if k not in velden]
    if ontbreekt:
        raise click.ClickException(f"Kolom(men) ontbreken: {', '.join(ontbreekt)}. Nodig: BRIN, naam, schoolsoort.")
    nieuw = bijgewerkt = 0
    problemen = []
    with db.database.atomic():
        for nummer, rij in enumerate(lezer, start=2):
            waarde = {k: (rij.get(v) or "").strip() for k, v in velden.items()}
            brin, soort = waarde["brin"].upper(), waarde["schoolsoort"].upper()
            if len(brin) != 4 or not brin.isalnum() or soort not in SCHOOLSOORTEN or not waarde["naam"]:
                problemen.append(f"rij {nummer}: BRIN (4 tekens), naam en schoolsoort (VO of MBO) zijn nodig")
                continue
            vestiging = waarde.get("vestigingsnummer", "")
            instantie, gemaakt = Instantie.get_or_create(
                brin=brin, vestigingsnummer=vestiging,
                defaults={"naam": waarde["naam"], "schoolsoort": soort, "plaats": waarde.get("plaats", "")})
            if not gemaakt:
                instantie.naam, instantie.schoolsoort = waarde["naam"], soort
                instantie.plaats = waarde.get("plaats", instantie.plaats)
                instantie.save()
            nieuw += gemaakt
            bijgewerkt += not gemaakt
    return nieuw, bijgewerkt, problemen


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create or upgrade the schema, then the demo instanties and accounts (idempotent)."""
    upgrade_schema()
    instanties = []
    with db.database.atomic():
        for brin, vestiging, naam, soort, plaats in DEMO_INSTANTIES:
            instantie, _ = Instantie.get_or_create(
                brin=brin, vestigingsnummer=vestiging,
                defaults={"naam": naam, "schoolsoort": soort, "plaats": plaats})
            instanties.append(instantie)
    wachtwoord = current_app.config["DEMO_PASSWORD"]
    for email, naam, rol, soort in DEMO_ACCOUNTS:
        eigen = [i for i in instanties if i.schoolsoort == soort]
        maak_gebruiker(email, naam, rol, wachtwoord, eigen)
    if wachtwoord == DEFAULT_DEMO_PASSWORD:
        click.echo(f"Demo-accounts (wachtwoord: het standaardwachtwoord {DEFAULT_DEMO_PASSWORD!r}; "
                   "zet DEMO_PASSWORD voor een eigen wachtwoord):")
    else:
        # An operator's own password is never printed: a terminal log or CI output may be shared.
        click.echo("Demo-accounts (wachtwoord: het wachtwoord uit DEMO_PASSWORD):")
    for email, _, rol, _ in DEMO_ACCOUNTS:
        click.echo(f"  {email:<20} {ROLLEN[rol]}")


@click.group("db")
def db_group():
    """The database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Create or upgrade the schema to the newest version, keeping the data."""
    upgrade_schema()


@click.command("gebruiker-aanmaken")
@click.argument("email")
@click.option("--naam", required=True)
@click.option("--rol", type=click.Choice(list(ROLLEN)), required=True)
@click.option("--brin", multiple=True, help="BRIN (met vestigingsnummer, bijv. 99AA00) van de instantie(s) van een beheerder")
@click.password_option("--wachtwoord", prompt="Wachtwoord", confirmation_prompt="Nogmaals")
@with_appcontext
def gebruiker_aanmaken(email, naam, rol, brin, wachtwoord):
    """Create an account, or update it (name, role, password, instanties)."""
    instanties = []
    for code in brin:
        code = code.strip().upper()
        instantie = Instantie.get_or_none((Instantie.brin == code[:4]) & (Instantie.vestigingsnummer == code[4:]))
        if instantie is None:
            raise click.ClickException(f"Instantie {code} bestaat niet. Importeer eerst de instanties.")
        instanties.append(instantie)
    if len(wachtwoord) < 12:
        raise click.ClickException("Een wachtwoord heeft minstens 12 tekens.")
    maak_gebruiker(email, naam, rol, wachtwoord, instanties)
    click.echo(f"Gebruiker {email} ({ROLLEN[rol]}) is opgeslagen.")


@click.command("instanties-importeren")
@click.argument("bestand", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def instanties_importeren(bestand):
    """Import or update instanties from a CSV file (columns BRIN, naam, schoolsoort)."""
    nieuw, bijgewerkt, problemen = importeer_instanties(bestand.read())
    click.echo(f"{nieuw} instanties toegevoegd, {bijgewerkt} bijgewerkt.")
    for probleem in problemen:
        click.echo(f"Overgeslagen: {probleem}", err=True)
    if problemen:
        sys.exit(1)


@click.command("mail-versturen")
@with_appcontext
def mail_versturen():
    """Send the mails that are due now (the app also does this in the background)."""
    from portal.mail import send_pending
    verzonden, mislukt = send_pending(limit=1000)
    click.echo(f"{verzonden} verstuurd, {mislukt} mislukt (wordt later opnieuw geprobeerd).")


@click.command("controles-verwerken")
@click.option("--blijven", is_flag=True, help="Blijf draaien en controleer nieuwe lijsten zodra ze binnenkomen.")
@with_appcontext
def controles_verwerken(blijven):
    """Check the uploaded lists that wait (each worker process also does this in the background)."""
    import time
    from portal import controles
    while True:
        aantal = controles.verwerk_wachtende()
        if aantal or not blijven:
            click.echo(f"{aantal} {'lijst' if aantal == 1 else 'lijsten'} gecontroleerd.")
        if not blijven:
            return
        time.sleep(0 if aantal else 1)


@click.group("helpdesk")
def helpdesk_group():
    """The helpdesk's periodic work."""


@helpdesk_group.command("opschonen")
@click.option("--dagen", type=click.IntRange(min=0), default=None,
              help="Bewaartermijn in dagen (standaard BEWAARTERMIJN_DAGEN).")
@with_appcontext
def opschonen(dagen):
    """Delete the original files of loaded, rejected and withdrawn lists after the retention period."""
    if dagen is None:
        dagen = current_app.config["BEWAARTERMIJN_DAGEN"]
    aantal = verwerken.opschonen(dagen)
    click.echo(f"{aantal} originele bestanden verwijderd (ouder dan {dagen} dagen); de aanleveringen blijven bewaard.")
    controles = Controle.opruimen()
    click.echo(f"{controles} verlopen controles van foute bestanden verwijderd.")
    Afremming.opruimen()  # counts of wrong passwords older than a day


# Every operator command, in one list: each is a plain click command at module level (the core's
# `leerlinglijst` group needs no app), and create_app adds them all here.
COMMANDS = (seed_demo, db_group, gebruiker_aanmaken, instanties_importeren, mail_versturen,
            controles_verwerken, helpdesk_group, leerlinglijst)


def register(app):
    for command in COMMANDS:
        app.cli.add_command(command)
