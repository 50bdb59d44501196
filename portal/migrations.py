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


def _v7_zoeken(database):
    """The overview at scale: an index under every offered sort, and the search's trigram index.
    Also run on a new database (upgrade below): the search index is not a model's."""
    database.execute_sql("DROP INDEX IF EXISTS leerling_achternaam")          # now the first column
    database.execute_sql("DROP INDEX IF EXISTS leerling_schooljaar")          # of a sort's index
    database.execute_sql("DROP INDEX IF EXISTS leerling_instantie_id")        # of the unique index
    database.execute_sql("DROP INDEX IF EXISTS leerling_instantie_id_achternaam")
    database.execute_sql("DROP INDEX IF EXISTS leerling_instantie_id_bsn")    # turned round:
    database.execute_sql("DROP INDEX IF EXISTS leerling_instantie_id_onderwijsnummer")  # bsn first
    database.execute_sql("DROP INDEX IF EXISTS leerling_aanlevering_id")       # never looked up
    database.execute_sql("DROP INDEX IF EXISTS leerling_instantie_id_achternaam_voornaam_id")  # an earlier draft
    m.Leerling._schema.create_indexes(safe=True)
    m.Instantie._schema.create_indexes(safe=True)
    tekst = m.zoektekst()
    if m.is_postgres(database):
        # pg_trgm is a trusted extension: the database's owner may create it (PostgreSQL 13+).
        database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        database.execute_sql(f"CREATE INDEX IF NOT EXISTS leerling_zoektekst ON leerling "
                             f"USING gin ({tekst} gin_trgm_ops)")
        database.execute_sql("ANALYZE leerling")
        return
    tabel = m.ZOEKTABEL
    if not database.table_exists(tabel):
        # Contentless (content=''): the index only, no second copy of the text.
        database.execute_sql(f"CREATE VIRTUAL TABLE {tabel} USING fts5(zoektekst, content='', tokenize='trigram')")
        database.execute_sql(f"INSERT INTO {tabel} (rowid, zoektekst) SELECT id, {tekst} FROM leerling")
        velden = ", ".join(m.ZOEKVELDEN)
        verwijder = f"INSERT INTO {tabel} ({tabel}, rowid, zoektekst) VALUES ('delete', old.id, {m.zoektekst('old')});"
        # No trigger on INSERT: Leerling.save() adds a new student's text, a load (verwerken.py) those
        # of all its new students in one statement; a trigger, even one that does nothing, cost a
        # 50,000-row load a quarter of its time (and one per row ten times that).
        database.execute_sql(f"CREATE TRIGGER {tabel}_ad AFTER DELETE ON leerling BEGIN {verwijder} END")
        database.execute_sql(f"CREATE TRIGGER {tabel}_au AFTER UPDATE OF {velden} ON leerling BEGIN {verwijder} "
                             f"INSERT INTO {tabel} (rowid, zoektekst) VALUES (new.id, {m.zoektekst('new')}); END")
    if database.execute_sql("SELECT 1 FROM leerling LIMIT 1").fetchone():
        m.Leerling.statistieken_bijwerken(database)  # statistics of an empty table would mislead later


def _v8_controles_als_taak(database):
    """A check runs as a job: its status, the claim of the worker that runs it, its attempts and
    the kenmerk of the Aanlevering it became. Existing checks are finished ('klaar')."""
    if "status" not in {c.name for c in database.get_columns("controle")}:
        # Plain statements: peewee's SQLite migrator would rebuild the table for NOT NULL.
        database.execute_sql("ALTER TABLE controle ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'klaar'")
        database.execute_sql("ALTER TABLE controle ADD COLUMN pogingen INTEGER NOT NULL DEFAULT 0")
        database.execute_sql("CREATE INDEX controle_status ON controle (status)")
    _add_column(database, m.Controle, "geclaimd_tot")
    _add_column(database, m.Controle, "kenmerk")


def _v10_kolomkoppeling(database):
    """Column mapping (issue 13): the mappings instanties confirmed, and on a check and an
    aanlevering the mapping it went through. Applies after steps 6-9 and needs none of them."""
    database.create_tables([m.Kolomkoppeling], safe=True)
    for model in (m.Controle, m.Aanlevering):
        tabel = model._meta.table_name
        if "koppeling_json" not in {c.name for c in database.get_columns(tabel)}:
            # One statement (as in step 6): SQLite's migrator would rebuild the table for NOT NULL.
            database.execute_sql(f"ALTER TABLE {tabel} ADD COLUMN koppeling_json TEXT NOT NULL DEFAULT ''")
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
    (7, _v7_zoeken),
    (8, _v8_controles_als_taak),
    (9, _v9_correcties),
    (10, _v10_kolomkoppeling),
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
            _v7_zoeken(database)
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
