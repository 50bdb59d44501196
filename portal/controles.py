"""The check of an uploaded list as a job, so that no request waits for a large list.

The upload stores the file as a `Controle` with status 'wacht' and redirects to a waiting page;
a worker claims it with a conditional UPDATE (as the outbox in mail.py does), so with several
gunicorn workers each check runs exactly once, runs the same check as the wizard always did
(wizard.voer_uit) and writes the outcome: 'klaar' (with findings, or with the kenmerk of the
Aanlevering it became) or 'mislukt'. A worker that dies mid-check leaves a claim that expires;
the next worker takes it over, and after MAX_POGINGEN attempts the check is 'mislukt'.

The worker is a daemon thread in each gunicorn worker (start_worker, started by app.py) and the
command `flask --app app controles-verwerken`. Small lists are checked in the request itself
(INLINE_BYTES): for them a waiting page would only add a round trip.
"""
import logging
import threading
from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context

from portal.extensions import db
from portal.models import Controle, nu

log = logging.getLogger(__name__)

WACHTEND = ("wacht", "bezig")
# Checked in the request up to this size (a .csv; an .xlsx up to XLSX_DEEL of it): for a small list
# a waiting page only adds a round trip. Measured on the shared 2-core machine (Python reader, load
# 6): 10,000 rows are a 1.0 MB .xlsx checked in 0.9 s or a 1.6 MB .csv in 0.26 s; an .xlsx is
# compressed and costs about three times as much per byte. At load 9 a 1 MB .xlsx took up to 3.8 s
# end to end, so the limits keep an inline request near half of the 10 s any request may take,
# while every 10,000-row list is still answered in one request.
INLINE_BYTES = 2_000_000
XLSX_DEEL = 0.6
# A check of the largest list allowed (MAX_UPLOAD_ROWS, 20 MB) takes well under a minute even on
# a busy machine; a claim that outlives that belongs to a worker that died.
CLAIM_SECONDEN = 120
MAX_POGINGEN = 3

# Only a wake-up hint for this process's worker thread (the upload that was just stored); the
# queue itself is the database, so every process sees every check.
_wekker = threading.Event()


class ClaimVerloren(Exception):
    """This worker's claim expired and another worker took the check over: write nothing."""


def inline(data):
    """Is this upload checked in the request itself (True) or as a job?"""
    grens = current_app.config.get("CONTROLE_INLINE_BYTES", INLINE_BYTES)
    if data[:2] == b"PK":  # a zip: an .xlsx
        grens *= XLSX_DEEL
    return len(data) <= grens


def nieuwe_claim():
    return nu() + timedelta(seconds=current_app.config.get("CONTROLE_CLAIM_SECONDEN", CLAIM_SECONDEN))


def wek():
    _wekker.set()


def _open_of_verlopen(moment):
    return (Controle.status == "wacht") | ((Controle.status == "bezig") & (Controle.geclaimd_tot < moment))


def claim(controle_id):
    """Claim one waiting check (or one whose worker let its claim expire) for this worker.
    Returns the claim (its expiry, which identifies it) or None when another worker has it."""
    moment = nu()
    tot = nieuwe_claim()
    geclaimd = (Controle.update(status="bezig", geclaimd_tot=tot, pogingen=Controle.pogingen + 1)
                .where((Controle.id == controle_id) & _open_of_verlopen(moment))
                .execute())
    return tot if geclaimd == 1 else None


def afronden(controle_id, tot, **velden):
    """Write the outcome, only while this worker still holds its claim; False when it lost it."""
    return (Controle.update(geclaimd_tot=None, **velden)
            .where((Controle.id == controle_id) & (Controle.status == "bezig") & (Controle.geclaimd_tot == tot))
            .execute()) == 1


def _verzoek():
    """The mails are rendered with the layout's context processors, which ask for the logged-in
    user: a worker runs the check in an anonymous request of its own (links use PUBLIC_URL anyway)."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=current_app.config["PUBLIC_URL"])


def uitvoeren(controle, tot):
    """Run a claimed check. A check that raises is 'mislukt' (the user sees a page that says
    so), never a waiting page that waits forever."""
    from portal import wizard  # the wizard holds the check; it imports this module too
    if controle.pogingen > MAX_POGINGEN:
        log.warning("Controle %s opgegeven na %s pogingen", controle.id, controle.pogingen - 1)
        afronden(controle.id, tot, status="mislukt", bestand=b"")
        return
    try:
        with _verzoek():
            wizard.voer_uit(controle, tot)
    except ClaimVerloren:
        log.warning("Controle %s: claim verlopen, een andere worker heeft hem overgenomen", controle.id)
    except Exception:
        log.exception("Controle %s mislukt", controle.id)
        afronden(controle.id, tot, status="mislukt", bestand=b"")


def verwerk(controle_id):
    """Claim and run one check; True when this worker ran it."""
    tot = claim(controle_id)
    if tot is None:
        return False
    uitvoeren(Controle.get_by_id(controle_id), tot)
    return True


def wachtende(limit=20):
    return [rij.id for rij in Controle.select(Controle.id).where(_open_of_verlopen(nu()))
            .order_by(Controle.id).limit(limit)]


def verwerk_wachtende():
    """Run what waits (oldest first). Returns how many checks this worker ran."""
    return sum(verwerk(controle_id) for controle_id in wachtende())


def plaats_in_wachtrij(controle):
    """How many checks wait before this one."""
    return Controle.select().where((Controle.status == "wacht") & (Controle.id < controle.id)).count()


def start_worker(app, interval=1.0, stop=None):
    """A daemon thread per process that runs waiting checks; claims keep workers from colliding.
    `stop` (a threading.Event) ends it, for tests."""
    stop = stop or threading.Event()

    def loop():
        while not stop.is_set():
            _wekker.wait(interval)
            _wekker.clear()
            try:
                with app.app_context():
                    db.database.connect(reuse_if_open=True)
                    try:
                        while verwerk_wachtende():
                            pass
                    finally:
                        db.database.close()
            except Exception:  # keep the thread alive; the next round tries again
                log.exception("Controles verwerken mislukt")

    thread = threading.Thread(target=loop, name="controles", daemon=True)
    thread.start()
    return thread
