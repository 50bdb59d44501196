"""Schema versions. A new database gets the current schema at once; an existing one is upgraded
step by step, keeping its data. To change the schema: change the model, then append a step here.
"""
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from portal import models as m


def _migrator(database):
    database = getattr(database, "obj", None) or database  # FlaskDB may hand over a Proxy
    if "postgres" in type(database).__name__.lower():
        return PostgresqlMigrator(database)
    return SqliteMigrator(database)


def _add_column(database, model, field_name):
    table = model._meta.table_name
    if field_name not in {c.name for c in database.get_columns(table)}:
        migrate(_migrator(database).add_column(table, field_name, model._meta.fields[field_name]))


def _v2_aanleveringen(database):
    # As version 2 made it: the file and the rows still in the aanlevering row (moved in step 5).
    from peewee import BlobField, TextField
    database.create_tables([m.Aanlevering, m.Leerling, m.MailBericht, m.Gebeurtenis], safe=True)
    kolommen = {c.name for c in database.get_columns("aanlevering")}
    if "bestand" not in kolommen:
        migrator = _migrator(database)
        migrate(migrator.add_column("aanlevering", "bestand", BlobField(null=True)),
                migrator.add_column("aanlevering", "leerlingen_json", TextField(default="[]")))


def _v3_laatst_ingelogd(database):
    _add_column(database, m.Gebruiker, "laatst_ingelogd")


def _v4_controles(database):
    database.create_tables([m.Controle], safe=True)


def _v5_inhoud_apart(database):
    """Move the file and the rows out of the aanlevering row, keeping them."""
    database.create_tables([m.AanleveringInhoud], safe=True)
    kolommen = {c.name for c in database.get_columns("aanlevering")}
    if "bestand" in kolommen:
        database.execute_sql(
            "INSERT INTO aanleveringinhoud (aanlevering_id, bestand, leerlingen_json) "
            "SELECT id, bestand, leerlingen_json FROM aanlevering")
        migrator = _migrator(database)
        migrate(migrator.drop_column("aanlevering", "bestand"), migrator.drop_column("aanlevering", "leerlingen_json"))


def _v6_sessies_en_afremming(database):
    """Hardening: a session version per account (logout ends every session) and the per-account
    count of wrong passwords."""
    if "sessie_versie" not in {c.name for c in database.get_columns("gebruiker")}:
        # In one statement: peewee's SQLite migrator would rebuild the table for NOT NULL, which
        # the foreign keys to gebruiker forbid.
        database.execute_sql("ALTER TABLE gebruiker ADD COLUMN sessie_versie INTEGER NOT NULL DEFAULT 0")
    database.create_tables([m.Afremming], safe=True)


def _v9_correcties(database):
    """Correcting a list in the browser (issue 13): the rows being corrected and the edit log."""
    database.create_tables([m.Correctielijst, m.Correctierij, m.Correctie], safe=True)


# Version 1 is the foundation: instanties, accounts and their links.
STAPPEN = [
    (2, _v2_aanleveringen),
    (3, _v3_laatst_ingelogd),
    (4, _v4_controles),
    (5, _v5_inhoud_apart),
    (6, _v6_sessies_en_afremming),
    (9, _v9_correcties),
]
LAATSTE = STAPPEN[-1][0]


def huidige_versie(database):
    if not database.table_exists(m.SchemaVersie._meta.table_name):
        return 1 if database.table_exists(m.Gebruiker._meta.table_name) else None
    rij = m.SchemaVersie.select().order_by(m.SchemaVersie.versie.desc()).first()
    return rij.versie if rij else None


def upgrade(database=None):
    """Create or upgrade the schema; returns (from, to). Safe to run twice."""
    database = database or m.db.database
    with database.atomic():
        van = huidige_versie(database)
        if van is None:
            database.create_tables(m.MODELS, safe=True)
            m.SchemaVersie.create(versie=LAATSTE)
            return None, LAATSTE
        database.create_tables([m.SchemaVersie], safe=True)
        for versie, stap in STAPPEN:
            if versie > van:
                stap(database)
        if van < LAATSTE:
            m.SchemaVersie.delete().execute()
            m.SchemaVersie.create(versie=LAATSTE)
        return van, LAATSTE
