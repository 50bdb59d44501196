"""The data: instanties, accounts, aanleveringen, leerlingen, the mail outbox and the audit log.

Models own their queries. Every query of school data goes through a classmethod that takes the
user, so that the scoping to the user's instanties lives in one place.
"""
import hashlib
import json
import secrets
from datetime import datetime, timedelta, timezone

from flask_login import UserMixin
from peewee import (
    BlobField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField,
    SQL, IntegerField, IntegrityError, PostgresqlDatabase, TextField, fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.lijsten.formats import SCHOOLSOORTEN, max_lengte  # one list of schoolsoorten: the schema's

ROLLEN = {
    "vo_beheerder": "VO beheerder",
    "mbo_beheerder": "MBO beheerder",
    "helpdesk": "Helpdesk",
}
ROL_SCHOOLSOORT = {"vo_beheerder": "VO", "mbo_beheerder": "MBO"}
STATUSSEN = {
    "ingediend": "Ingediend, wacht op controle",
    "verwerkt": "Verwerkt",
    "afgekeurd": "Teruggestuurd",
    "ingetrokken": "Ingetrokken",
}


def nu():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Instantie(db.Model):
    naam = CharField(max_length=200)
    brin = CharField(max_length=4)
    vestigingsnummer = CharField(max_length=2, default="")
    schoolsoort = CharField(max_length=3, choices=[(s, s) for s in SCHOOLSOORTEN])
    plaats = CharField(max_length=80, default="")
    actief = BooleanField(default=True)

    class Meta:
        # (naam, id): the overview sorted by instantie walks the instanties in this order.
        indexes = ((("brin", "vestigingsnummer"), True), (("naam", "id"), False))

    def __str__(self):
        return self.weergave

    @property
    def weergave(self):
        code = self.brin + (self.vestigingsnummer or "")
        plaats = f", {self.plaats}" if self.plaats else ""
        return f"{self.naam}{plaats} ({code})"

    @classmethod
    def actieve(cls, schoolsoort=None):
        query = cls.select().where(cls.actief == True)  # noqa: E712 (peewee expression)
        if schoolsoort:
            query = query.where(cls.schoolsoort == schoolsoort)
        return query.order_by(cls.naam)

    @classmethod
    def van(cls, gebruiker):
        """The instanties a user may see: all for the helpdesk, their own for a beheerder."""
        if gebruiker.is_helpdesk:
            return cls.select().order_by(cls.naam)
        return (cls.select().join(GebruikerInstantie)
                .where(GebruikerInstantie.gebruiker == gebruiker).order_by(cls.naam))


class Gebruiker(UserMixin, db.Model):
    email = CharField(max_length=254, unique=True)
    naam = CharField(max_length=200)
    wachtwoord_hash = CharField(max_length=255)
    rol = CharField(max_length=20, choices=list(ROLLEN.items()))
    actief = BooleanField(default=True)
    aangemaakt = DateTimeField(default=nu)
    laatst_ingelogd = DateTimeField(null=True)
    # Part of the id in the session cookie: raising it (logout, new password) ends every session
    # of this account, also copies of the cookie elsewhere.
    sessie_versie = IntegerField(default=0)

    def get_id(self):
        return f"{self.id}:{self.sessie_versie}"

    @classmethod
    def bij_sessie(cls, sessie_id):
        """The active account of a session id made by get_id(), or None when that session ended."""
        gebruiker_id, _, versie = str(sessie_id).partition(":")
        if not (gebruiker_id.isdigit() and versie.isdigit() and len(gebruiker_id) < 10 and len(versie) < 10):
            return None
        return cls.get_or_none((cls.id == int(gebruiker_id)) & (cls.sessie_versie == int(versie))
                               & (cls.actief == True))  # noqa: E712

    def beeindig_sessies(self):
        """Every session of this account ends at its next request."""
        Gebruiker.update(sessie_versie=Gebruiker.sessie_versie + 1).where(Gebruiker.id == self.id).execute()

    @property
    def is_active(self):
        return self.actief

    @property
    def is_helpdesk(self):
        return self.rol == "helpdesk"

    @property
    def is_beheerder(self):
        return self.rol in ROL_SCHOOLSOORT

    @property
    def rol_naam(self):
        return ROLLEN[self.rol]

    @property
    def schoolsoort(self):
        return ROL_SCHOOLSOORT.get(self.rol)

    def zet_wachtwoord(self, wachtwoord):
        # Werkzeug's default is scrypt, a current memory-hard algorithm.
        self.wachtwoord_hash = generate_password_hash(wachtwoord)

    def controleer_wachtwoord(self, wachtwoord):
        return check_password_hash(self.wachtwoord_hash, wachtwoord)

    @property
    def wachtwoord_vingerafdruk(self):
        """Changes whenever the password does: a reset link that carries it works only once."""
        return hashlib.sha256(self.wachtwoord_hash.encode()).hexdigest()[:16]

    @property
    def instanties(self):
        return Instantie.van(self)

    @classmethod
    def met_email(cls, email):
        return cls.get_or_none(fn.LOWER(cls.email) == (email or "").strip().lower())


class GebruikerInstantie(db.Model):
    gebruiker = ForeignKeyField(Gebruiker, backref="koppelingen", on_delete="CASCADE")
    instantie = ForeignKeyField(Instantie, backref="koppelingen", on_delete="CASCADE")

    class Meta:
        indexes = ((("gebruiker", "instantie"), True),)


def nieuw_kenmerk():
    # Short enough to read aloud on the phone, random enough not to be guessed.
    alfabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "LL-" + "".join(secrets.choice(alfabet) for _ in range(8))


class Aanlevering(db.Model):
    kenmerk = CharField(max_length=20, unique=True, default=nieuw_kenmerk)
    instantie = ForeignKeyField(Instantie, backref="aanleveringen")
    schoolsoort = CharField(max_length=3)
    soort = CharField(max_length=20)  # overstapper | niet-overstapper
    schooljaar = CharField(max_length=9)
    naam = CharField(max_length=200)
    email = CharField(max_length=254)
    toelichting = TextField(default="")
    kanaal = CharField(max_length=10)  # portal | publiek
    gebruiker = ForeignKeyField(Gebruiker, null=True, backref="aanleveringen", on_delete="SET NULL")
    bestandsnaam = CharField(max_length=255)
    sha256 = CharField(max_length=64, index=True)
    aantal_leerlingen = IntegerField(default=0)
    aantal_waarschuwingen = IntegerField(default=0)
    waarschuwingen_json = TextField(default="[]")
    # The column mapping the check went through (lijsten.koppeling); a database default too, as step 10 adds it.
    koppeling_json = TextField(default="", constraints=[SQL("DEFAULT ''")])
    status = CharField(max_length=12, default="ingediend", index=True)
    reden = TextField(default="")  # why the helpdesk sent it back
    status_token = CharField(max_length=64, unique=True, default=lambda: secrets.token_urlsafe(32))
    aangemaakt = DateTimeField(default=nu, index=True)
    behandeld = DateTimeField(null=True)
    behandelaar = ForeignKeyField(Gebruiker, null=True, backref="behandeld", on_delete="SET NULL")

    @property
    def status_naam(self):
        return STATUSSEN.get(self.status, self.status)

    @classmethod
    def maak(cls, bestand=None, leerlingen_json="[]", **velden):
        """A new Aanlevering with its file and rows (stored beside it, see AanleveringInhoud)."""
        with db.database.atomic():
            aanlevering = cls.create(**velden)
            AanleveringInhoud.create(aanlevering=aanlevering, bestand=bestand, leerlingen_json=leerlingen_json)
        return aanlevering

    @classmethod
    def aantal_wachtend(cls):
        """Lists that wait for the helpdesk."""
        return cls.select().where(cls.status == "ingediend").count()

    @classmethod
    def eerder_opgestuurd(cls, sha256, instantie, soort, schooljaar, behalve=None):
        """The latest earlier submission of the same file for this instantie, soort and schooljaar
        (a withdrawn one does not count, nor `behalve`: the sent-back list a corrected one replaces),
        or None."""
        query = (cls.select()
                 .where((cls.sha256 == sha256) & (cls.instantie == instantie) & (cls.soort == soort)
                        & (cls.schooljaar == schooljaar) & (cls.status != "ingetrokken")))
        if behalve is not None:
            query = query.where(cls.id != behalve)
        return query.order_by(cls.aangemaakt.desc()).first()

    @property
    def inhoud(self):
        if "_inhoud_cache" not in self.__dict__:
            self.__dict__["_inhoud_cache"] = AanleveringInhoud.get_or_none(AanleveringInhoud.aanlevering == self.id)
        return self.__dict__["_inhoud_cache"]

    @property
    def bestand(self):
        """The original file's bytes, or None once the retention period has removed it."""
        return bytes(self.inhoud.bestand) if self.inhoud and self.inhoud.bestand is not None else None

    @property
    def leerlingen_json(self):
        """The clean rows as the validator gave them (JSON); read without the file beside them (a load
        needs only the rows, and the file is megabytes)."""
        if "_inhoud_cache" in self.__dict__:
            return self.inhoud.leerlingen_json if self.inhoud else "[]"
        tekst = (AanleveringInhoud.select(AanleveringInhoud.leerlingen_json)
                 .where(AanleveringInhoud.aanlevering == self.id).scalar())
        return tekst if tekst is not None else "[]"


class AanleveringInhoud(db.Model):
    """The bulky personal part of an Aanlevering, in a table of its own: changing a list's status
    (claim, load, reject) rewrites only the small row, not megabytes of file and rows."""
    aanlevering = ForeignKeyField(Aanlevering, primary_key=True, backref="inhouden", on_delete="CASCADE")
    bestand = BlobField(null=True)  # removed after the retention period; the record stays
    leerlingen_json = TextField(default="[]")


class Leerling(db.Model):
    # The columns of the formats take their length from the schema (formats.py), the one place
    # where a column's rules stand; a clean value always fits.
    # The instantie's own index would repeat the first column of the unique (instantie, leerlingnummer):
    # every index costs the load time, so none is made twice (see Meta.indexes).
    instantie = ForeignKeyField(Instantie, backref="leerlingen", on_delete="CASCADE", index=False)
    type = CharField(max_length=20)  # overstapper | niet-overstapper
    schooljaar = CharField(max_length=9)
    # No index: nothing looks students up by their list (an Aanlevering is never deleted).
    aanlevering = ForeignKeyField(Aanlevering, null=True, backref="leerlingen", on_delete="SET NULL", index=False)
    leerlingnummer = CharField(max_length=max_lengte("leerlingnummer"))
    bsn = CharField(max_length=max_lengte("bsn"), null=True)
    onderwijsnummer = CharField(max_length=max_lengte("onderwijsnummer"), null=True)
    voorletters = CharField(max_length=max_lengte("voorletters"))
    voornaam = CharField(max_length=max_lengte("voornaam"))
    tussenvoegsel = CharField(max_length=max_lengte("tussenvoegsel"), default="")
    achternaam = CharField(max_length=max_lengte("achternaam"))
    geslacht = CharField(max_length=max_lengte("geslacht"))
    geboortedatum = DateField()
    postcode = CharField(max_length=max_lengte("postcode"), default="")
    woonplaats = CharField(max_length=max_lengte("woonplaats"), default="")
    telefoonnummer = CharField(max_length=max_lengte("telefoonnummer"), default="")
    email = CharField(max_length=max_lengte("email"), default="")
    klas = CharField(max_length=max_lengte("klas"), default="")
    leerjaar = IntegerField(null=True)
    onderwijsniveau = CharField(max_length=max_lengte("onderwijsniveau"), default="")
    profiel_sector = CharField(max_length=max_lengte("profiel_sector"), default="")
    mentor = CharField(max_length=max_lengte("mentor"), default="")
    vervolgwens = CharField(max_length=max_lengte("vervolgwens"), default="")
    lob_activiteit = CharField(max_length=max_lengte("lob_activiteit"), default="")
    crebocode = CharField(max_length=max_lengte("crebocode"), default="")
    opleidingsnaam = CharField(max_length=max_lengte("opleidingsnaam"), default="")
    niveau = IntegerField(null=True)
    leerweg = CharField(max_length=max_lengte("leerweg"), default="")
    cohort = IntegerField(null=True)
    studieloopbaanbegeleider = CharField(max_length=max_lengte("studieloopbaanbegeleider"), default="")
    verwachte_einddatum = DateField(null=True)
    aangemaakt = DateTimeField(default=nu)
    gewijzigd = DateTimeField(default=nu)

    class Meta:
        # The overview's sorts and filters walk these (keyset pagination: the page after a row starts
        # at that row's place in the index); see leerlingen.SORTERINGEN and migrations step 7. Each
        # index costs every load: 13 made a 50,000-row load 4x slower than the 8 before, so there
        # are 8 (with the partial one on onderwijsnummer below).
        # bsn and onderwijsnummer come first: the load looks them up within an instantie, the
        # comparison across every other instantie.
        indexes = (
            (("instantie", "leerlingnummer"), True),
            (("bsn", "instantie"), False),
            (("achternaam", "voornaam", "id"), False),
            (("leerlingnummer", "id"), False),
            (("geboortedatum", "id"), False),
            (("klas", "achternaam", "id"), False),
            # The filters together, so that a count, or a filter on several of them, is answered
            # from this index alone (SQLite fetches a table row only for what passes).
            (("schooljaar", "type", "leerjaar", "klas", "instantie"), False),
        )

    @classmethod
    def bekend_bij(cls, instantie, rijen, stuk=500):
        """The leerlingnummers of these rows whose student the instantie already has: the same
        leerlingnummer, BSN or onderwijsnummer."""
        aantal = cls.select().where(cls.instantie == instantie).count()
        if not aantal:  # a school's first list: nothing to look up
            return set()
        per_nummer = {}
        for rij in rijen:
            for veld in ("leerlingnummer", "bsn", "onderwijsnummer"):
                if rij.get(veld):
                    per_nummer.setdefault((veld, rij[veld]), set()).add(rij.get("leerlingnummer"))
        bekend = set()
        if aantal <= len(per_nummer):
            # A list as large as the school: reading the school's own numbers once is far cheaper
            # than a hundred IN queries (4 of the 11 s of a 50,000-row upload on a busy machine).
            velden = ("leerlingnummer", "bsn", "onderwijsnummer")
            for rij in cls.select(cls.leerlingnummer, cls.bsn, cls.onderwijsnummer).where(cls.instantie == instantie).tuples():
                for veld, waarde in zip(velden, rij):
                    bekend |= per_nummer.get((veld, waarde), set())
            return bekend
        for veld in ("leerlingnummer", "bsn", "onderwijsnummer"):
            waarden = [w for (v, w) in per_nummer if v == veld]
            kolom = getattr(cls, veld)
            for i in range(0, len(waarden), stuk):
                query = cls.select(kolom).where((cls.instantie == instantie) & kolom.in_(waarden[i:i + stuk]))
                for (waarde,) in query.tuples():
                    bekend |= per_nummer[(veld, waarde)]
        return bekend

    @property
    def bsn_gemaskeerd(self):
        return masker(self.bsn)

    @classmethod
    def van(cls, gebruiker):
        """Every student query starts here: scoped to the user's instanties."""
        return cls.select(cls, Instantie).join(Instantie).where(cls.zichtbaar_voor(gebruiker))

    @classmethod
    def zichtbaar_voor(cls, gebruiker):
        """The condition 'this user may see this student'. The ids are a list, not a subquery, so
        the database knows how few they are and plans the overview on them."""
        if gebruiker.is_helpdesk:
            return SQL("1 = 1")
        return cls.instantie.in_([i for (i,) in Instantie.van(gebruiker).select(Instantie.id).tuples()])

    @classmethod
    def statistieken_bijwerken(cls, database=None):
        """SQLite plans by the statistics ANALYZE leaves (PostgreSQL's autovacuum keeps its own): without
        them it walks half the table for a filter that another index answers in a few rows. A sampled
        ANALYZE (analysis_limit) reads the first rows of each index only and takes every low-cardinality
        column for equally selective, so the whole table is read: ~0.3 s at 100,000 students. Run by
        step 7; not by a load (it would cost the load that much again)."""
        database = database or db.database
        if not is_postgres(database):
            database.execute_sql("ANALYZE leerling")

    def save(self, *args, **kwargs):
        nieuw = self.id is None or kwargs.get("force_insert")
        with db.database.atomic():
            uitkomst = super().save(*args, **kwargs)
            if nieuw:
                type(self).zoekindex_aanvullen(self.id - 1, self.id)
        return uitkomst

    @classmethod
    def zoekindex_aanvullen(cls, na_id, tot_id=None):
        """SQLite: the search text of new students (id above `na_id`, up to `tot_id`), in one statement:
        a load calls it once for all its rows (see migrations step 7, which has triggers for UPDATE
        and DELETE only). PostgreSQL's index keeps itself."""
        if not is_postgres():
            tot = "" if tot_id is None else f" AND id <= {int(tot_id)}"
            db.database.execute_sql(f"INSERT INTO {ZOEKTABEL} (rowid, zoektekst) SELECT id, {zoektekst()} "
                                    f"FROM leerling WHERE id > ?{tot}", (na_id,))

    @classmethod
    def zoekterm(cls, woord, veel=False):
        """Where one word of the overview's search matches: a word of three or more letters anywhere
        in the leerlingnummer, achternaam, tussenvoegsel or voornaam; a word of two, or one with a
        digit, at the start of one of them (so '12' finds leerlingnummer 12345, not 51234). A single
        character is no search term (None). With `veel` (the word matches many students) SQLite is
        told not to start from the matches but to test each row it walks in the sort's index.

        Both databases answer from a trigram index over the same text (zoektekst()): PostgreSQL from
        a pg_trgm GIN index on the expression, SQLite from an FTS5 table with the trigram tokenizer,
        kept by save(), a load's zoekindex_aanvullen() and triggers on UPDATE and DELETE (both made
        by migrations step 7). Case does not count.
        """
        woord = woord.translate(_GEEN_PATROON)
        if len(woord) < 2:
            return None  # one letter says next to nothing, and no trigram index can answer it
        deel = (SCHEIDING if len(woord) < 3 or any(c.isdigit() for c in woord) else "") + woord
        if is_postgres():
            return SQL(f"{zoektekst()} ILIKE %s", [f"%{deel}%"])
        # A phrase of the trigram tokenizer matches where its text occurs (as LIKE '%…%' does), and
        # answers from the index alone; LIKE would read every candidate's text again.
        zin = '"' + deel.replace('"', '""') + '"'
        treffers = SQL(f"(SELECT rowid FROM {ZOEKTABEL} WHERE {ZOEKTABEL} MATCH ?)", [zin])
        return ((cls.id + 0) if veel else cls.id).in_(treffers)  # id + 0: no index, so a test per row


# Leerjaar may be empty; sorted as 0 so that no sort key is NULL (a NULL compares as unknown,
# and a page that starts after it would never come).
LEERJAAR_SORTERING = fn.COALESCE(Leerling.leerjaar, SQL("0"))
# Most students have a BSN: the onderwijsnummer is indexed where there is one (nearly free to keep).
Leerling.add_index(Leerling.index(Leerling.onderwijsnummer, Leerling.instantie,
                                  where=Leerling.onderwijsnummer.is_null(False)))

# The text the search looks in: the fields behind '#', a character no leerlingnummer or name holds,
# so that '%#ja%' means 'a field that starts with ja'. One definition for the index and the query.
SCHEIDING = "#"
ZOEKVELDEN = ("leerlingnummer", "achternaam", "tussenvoegsel", "voornaam")
ZOEKTABEL = "leerling_zoek"  # SQLite: the FTS5 table (rowid = leerling.id)
_GEEN_PATROON = str.maketrans("", "", "%_\\" + SCHEIDING)


def zoektekst(tabel=None):
    """The SQL expression of the search text, on `tabel`'s columns (e.g. 'new' in a trigger)."""
    kolommen = [f"{tabel}.{v}" if tabel else v for v in ZOEKVELDEN]
    return "(" + " || ".join(f"'{SCHEIDING}' || {k}" for k in kolommen) + ")"


def is_postgres(database=None):
    database = database or db.database
    database = getattr(database, "obj", None) or database  # FlaskDB may hand over a Proxy
    return isinstance(database, PostgresqlDatabase)


def masker(nummer):
    """A BSN or onderwijsnummer as shown where the full number is not needed: *****6782."""
    if not nummer:
        return ""
    return "*" * (len(nummer) - 4) + nummer[-4:]


class MailBericht(db.Model):
    """The outbox: a mail is stored with what caused it and sent outside the request."""
    aan = CharField(max_length=254, index=True)
    onderwerp = CharField(max_length=255)
    tekst = TextField()
    html = TextField(default="")
    aangemaakt = DateTimeField(default=nu)
    verzonden = DateTimeField(null=True, index=True)
    pogingen = IntegerField(default=0)
    volgende_poging = DateTimeField(default=nu)
    geclaimd_tot = DateTimeField(null=True)
    laatste_fout = TextField(default="")


class Controle(db.Model):
    """One checked upload that had errors: kept briefly so the user can see every finding,
    download the marked-up file and send a corrected one with the same choices. Only the
    browser session that made it can open it; it is deleted on success or after a few hours."""
    token = CharField(max_length=64, unique=True, default=lambda: secrets.token_urlsafe(32))
    kanaal = CharField(max_length=10)
    gebruiker = ForeignKeyField(Gebruiker, null=True, on_delete="CASCADE")
    schoolsoort = CharField(max_length=3)
    soort = CharField(max_length=20)
    instantie = ForeignKeyField(Instantie, null=True, on_delete="CASCADE")
    naam = CharField(max_length=200, default="")
    email = CharField(max_length=254, default="")
    toelichting = TextField(default="")
    bestandsnaam = CharField(max_length=255)
    bestand = BlobField()
    rijen = IntegerField(default=0)
    fouten_json = TextField(default="[]")
    waarschuwingen_json = TextField(default="[]")
    # The column mapping the check went through (lijsten.koppeling); a database default too, as step 10 adds it.
    koppeling_json = TextField(default="", constraints=[SQL("DEFAULT ''")])
    aangemaakt = DateTimeField(default=nu, index=True)
    # A large list is checked as a job (portal/controles.py): wacht → bezig → klaar, or mislukt.
    status = CharField(max_length=10, default="klaar", index=True)
    geclaimd_tot = DateTimeField(null=True)
    pogingen = IntegerField(default=0)
    kenmerk = CharField(max_length=20, null=True)  # the Aanlevering a check without errors became

    BEWAREN = timedelta(hours=3)

    @classmethod
    def geldig(cls, token, zonder_bestand=False):
        """The check with this token, unless it is older than BEWAREN; else None. zonder_bestand:
        without the file's bytes (its `bestand` is then None)."""
        velden = [f for f in cls._meta.sorted_fields if f is not cls.bestand] if zonder_bestand else [cls]
        return cls.select(*velden).where((cls.token == token) & (cls.aangemaakt >= nu() - cls.BEWAREN)).first()

    @classmethod
    def verwijder(cls, tokens):
        return cls.delete().where(cls.token.in_(list(tokens))).execute()

    @classmethod
    def opruimen(cls):
        """Failed checks hold students' data: gone after BEWAREN (also by the retention command)."""
        return cls.delete().where(cls.aangemaakt < nu() - cls.BEWAREN).execute()


class Gebeurtenis(db.Model):
    """The audit log: who did what to which aanlevering, and when. Never a BSN."""
    aanlevering = ForeignKeyField(Aanlevering, null=True, backref="gebeurtenissen", on_delete="CASCADE")
    gebruiker = ForeignKeyField(Gebruiker, null=True, on_delete="SET NULL")
    wie = CharField(max_length=200, default="")
    actie = CharField(max_length=40)
    details = TextField(default="")
    tijd = DateTimeField(default=nu, index=True)

    @classmethod
    def log(cls, actie, aanlevering=None, gebruiker=None, wie="", details=""):
        if gebruiker is not None and not wie:
            wie = f"{gebruiker.naam} ({gebruiker.email})"
        # A name and an address can together exceed the column; PostgreSQL would refuse the row.
        return cls.create(actie=actie, aanlevering=aanlevering, gebruiker=gebruiker, wie=wie[:200], details=details)


class Afremming(db.Model):
    """Wrong passwords per e-mail address (known or not, so an answer never tells which accounts
    exist), kept in the database so that every worker counts together. `sleutel` is a hash of the
    address, not the address: someone's mistyped address is not kept."""
    sleutel = CharField(max_length=64, unique=True)
    fouten = IntegerField(default=0)
    wacht_tot = DateTimeField(null=True)
    bijgewerkt = DateTimeField(default=nu, index=True)

    @staticmethod
    def sleutel_voor(email):
        return hashlib.sha256(("inloggen:" + (email or "").strip().lower()).encode()).hexdigest()

    @classmethod
    def wachttijd(cls, email):
        """Seconds before this address may try again (0: now)."""
        rij = cls.get_or_none(cls.sleutel == cls.sleutel_voor(email))
        if rij is None or rij.wacht_tot is None:
            return 0
        return max(0, int((rij.wacht_tot - nu()).total_seconds() + 0.999))

    @classmethod
    def fout(cls, email, vrij, basis, maximum):
        """Count a wrong password; after `vrij` of them each next one doubles the wait."""
        sleutel = cls.sleutel_voor(email)
        with db.database.atomic():
            if not cls.update(fouten=cls.fouten + 1, bijgewerkt=nu()).where(cls.sleutel == sleutel).execute():
                try:
                    with db.database.atomic():
                        cls.create(sleutel=sleutel, fouten=1)
                except IntegrityError:  # another worker made it just now
                    cls.update(fouten=cls.fouten + 1, bijgewerkt=nu()).where(cls.sleutel == sleutel).execute()
            fouten = cls.get(cls.sleutel == sleutel).fouten
            if fouten >= vrij:
                wacht = min(basis * 2 ** (fouten - vrij), maximum)
                cls.update(wacht_tot=nu() + timedelta(seconds=wacht)).where(cls.sleutel == sleutel).execute()

    @classmethod
    def gelukt(cls, email):
        cls.delete().where(cls.sleutel == cls.sleutel_voor(email)).execute()

    @classmethod
    def opruimen(cls, dagen=1):
        return cls.delete().where(cls.bijgewerkt < nu() - timedelta(days=dagen)).execute()


class Kolomkoppeling(db.Model):
    """A column mapping an instantie confirmed for a file with these titles (issue 13): proposed,
    filled in, for its next file with the same titles. `titels` is lijsten.koppeling.sleutel_van."""
    instantie = ForeignKeyField(Instantie, on_delete="CASCADE")
    format = CharField(max_length=40)
    titels = CharField(max_length=64)
    koppeling_json = TextField()          # {normalised title: field or '' (ignored)}
    gebruiker = ForeignKeyField(Gebruiker, null=True, on_delete="SET NULL")
    bijgewerkt = DateTimeField(default=nu)

    class Meta:
        indexes = ((("instantie", "format", "titels"), True),)

    @classmethod
    def onthouden(cls, instantie, format_naam, titels):
        rij = cls.get_or_none((cls.instantie == instantie) & (cls.format == format_naam) & (cls.titels == titels))
        return json.loads(rij.koppeling_json) if rij else {}

    @classmethod
    def bewaar(cls, instantie, format_naam, titels, koppeling, gebruiker=None):
        """Insert or replace; two workers confirming at once end with one row (the last one)."""
        tekst = json.dumps(koppeling, ensure_ascii=False)
        (cls.insert(instantie=instantie, format=format_naam, titels=titels, koppeling_json=tekst,
                    gebruiker=gebruiker, bijgewerkt=nu())
            .on_conflict(conflict_target=[cls.instantie, cls.format, cls.titels],
                         update={cls.koppeling_json: tekst, cls.gebruiker: gebruiker, cls.bijgewerkt: nu()})
            .execute())
class Correctielijst(db.Model):
    """A list being corrected in the browser (issue 13): the rows of a Controle (step 5) or of a
    sent-back Aanlevering (`bron`), one Correctierij each, so that an edit reads and writes a few
    rows, not the whole list. Once sent, `aanlevering` is the list it became."""
    controle = ForeignKeyField(Controle, null=True, unique=True, on_delete="CASCADE")
    bron = ForeignKeyField(Aanlevering, null=True, on_delete="CASCADE", backref="correctielijsten")
    aanlevering = ForeignKeyField(Aanlevering, null=True, on_delete="SET NULL")
    titels_json = TextField(default="[]")        # the title row of the file, as it was
    bestand_json = TextField(default="[]")       # findings without a row (e.g. empty rows skipped)
    aantal_fouten = IntegerField(default=0)
    aantal_waarschuwingen = IntegerField(default=0)
    aangemaakt = DateTimeField(default=nu)


class Correctierij(db.Model):
    """One data row of a Correctielijst: its cells (JSON), its findings and lookup keys for the
    rules across rows (duplicates): normalised more loosely than the rules compare, so that the
    rows a rule could pair are always found (the rule itself then decides)."""
    lijst = ForeignKeyField(Correctielijst, on_delete="CASCADE", backref="rijen")
    rij = IntegerField()                          # the spreadsheet row number in the original file
    cellen_json = TextField()
    bevindingen_json = TextField(default="[]")
    fouten = IntegerField(default=0)
    waarschuwingen = IntegerField(default=0)
    verwijderd = BooleanField(default=False)
    s_leerlingnummer = CharField(max_length=64, default="")
    s_bsn = CharField(max_length=64, default="")
    s_onderwijsnummer = CharField(max_length=64, default="")
    s_naam = CharField(max_length=128, default="")

    class Meta:
        indexes = (
            (("lijst", "rij"), True),
            (("lijst", "fouten"), False),
            (("lijst", "s_leerlingnummer"), False),
            (("lijst", "s_bsn"), False),
            (("lijst", "s_onderwijsnummer"), False),
            (("lijst", "s_naam"), False),
        )


class Correctie(db.Model):
    """The edit log: one change to one cell of a list, kept with the check and then with the
    Aanlevering it became (the original file stays as uploaded). Written by the correction in the
    browser (portal/correctie.py) and by the one-click fixes.

    controle     the Controle (step 5) the change was made on; None once sent or for a sent-back list
    aanlevering  the Aanlevering the corrected list became (set on Opsturen); None until then
    lijst        the Correctielijst the change was made in (None for a change made elsewhere)
    rij          spreadsheet row number in the original file (as the findings name it)
    kolom        the column title as in the format; "" = the whole row was removed ("Rij verwijderen"),
                 or put back when nieuw is "teruggezet" ("Terugzetten")
    oud, nieuw   the cell before and after, as text ("" for empty); a removed row has both ""
    gebruiker    the account that made it (None for a visitor of the public site)
    door         who, as shown: "Naam (e-mail)" of the account, or "bezoeker"
    wanneer      when (UTC)
    soort        "hand" (typed by the user) or "herstel" (a one-click fix)
    """
    SOORTEN = ("hand", "herstel")
    controle = ForeignKeyField(Controle, null=True, on_delete="CASCADE")
    aanlevering = ForeignKeyField(Aanlevering, null=True, on_delete="CASCADE", backref="correcties")
    lijst = ForeignKeyField(Correctielijst, null=True, on_delete="SET NULL")
    rij = IntegerField()
    kolom = CharField(max_length=200, default="")
    oud = TextField(default="")
    nieuw = TextField(default="")
    gebruiker = ForeignKeyField(Gebruiker, null=True, on_delete="SET NULL")
    door = CharField(max_length=200, default="bezoeker")
    wanneer = DateTimeField(default=nu, index=True)
    soort = CharField(max_length=10, default="hand", choices=[(s, s) for s in SOORTEN])


class SchemaVersie(db.Model):
    versie = IntegerField()


MODELS = [Instantie, Gebruiker, GebruikerInstantie, Aanlevering, AanleveringInhoud, Leerling, MailBericht, Controle, Gebeurtenis,
          Afremming, Kolomkoppeling, Correctielijst, Correctierij, Correctie, SchemaVersie]
