"""Mail through an outbox: stored in the same transaction as what caused it, sent outside the
request, retried with back-off while the SMTP server is down, never lost.

Without MAIL_SERVER a mail is 'sent' by writing it as an .eml file to instance/mail/, where a
developer can read it.
"""
import logging
import smtplib
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_mail import Message

from portal.extensions import db, mail
from portal.models import MailBericht, nu

log = logging.getLogger(__name__)

MAX_POGINGEN = 12
# How long a worker holds a mail while it sends it. Every SMTP step gives up after MAIL_TIMEOUT
# (extensions.Mail), and one mail takes about eight steps: the claim outlasts them all, so a slow
# server never lets a second worker send the same mail.
CLAIM_SECONDEN = 300
STAPPEN_PER_MAIL = 10


def claim_seconden():
    return max(CLAIM_SECONDEN, STAPPEN_PER_MAIL * current_app.config["MAIL_TIMEOUT"])


def queue(aan, onderwerp, template, **context):
    """Store a mail in the outbox; render both the text and the HTML part from mail/<template>."""
    tekst = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    return MailBericht.create(aan=aan, onderwerp=onderwerp, tekst=tekst, html=html)


def aantal_vandaag(aan):
    sinds = nu() - timedelta(days=1)
    return MailBericht.select().where((MailBericht.aan == aan) & (MailBericht.aangemaakt >= sinds)).count()


def _claim(bericht_id, tot):
    """Claim one mail for this process; several workers never send the same mail twice."""
    moment = nu()
    geclaimd = (MailBericht.update(geclaimd_tot=tot)
                .where((MailBericht.id == bericht_id)
                       & MailBericht.verzonden.is_null()
                       & (MailBericht.geclaimd_tot.is_null() | (MailBericht.geclaimd_tot < moment)))
                .execute())
    return geclaimd == 1


def _wacht(pogingen):
    return timedelta(seconds=min(30 * 2 ** (pogingen - 1), 6 * 3600))


def _bewaar_lokaal(bericht):
    map_ = Path(current_app.instance_path) / "mail"
    map_.mkdir(parents=True, exist_ok=True)
    message = _message(bericht)
    pad = map_ / f"{bericht.aangemaakt:%Y%m%d-%H%M%S}-{bericht.id}.eml"
    pad.write_bytes(message.as_bytes())
    log.info("Geen MAIL_SERVER: mail %s aan %s bewaard als %s", bericht.id, bericht.aan, pad)


def _message(bericht):
    return Message(subject=bericht.onderwerp, recipients=[bericht.aan], body=bericht.tekst,
                   html=bericht.html or None, sender=current_app.config["MAIL_DEFAULT_SENDER"],
                   reply_to=current_app.config["HELPDESK_EMAIL"])   # answers reach the helpdesk, not noreply


def send_pending(limit=50):
    """Send what is due. Returns (sent, failed). Call from the worker thread or the command."""
    moment = nu()
    due = (MailBericht.select(MailBericht.id)
           .where(MailBericht.verzonden.is_null()
                  & (MailBericht.volgende_poging <= moment)
                  & (MailBericht.pogingen < MAX_POGINGEN))
           .order_by(MailBericht.id).limit(limit))
    ids = [rij.id for rij in due]
    verzonden = mislukt = 0
    for bericht_id in ids:
        if not _claim(bericht_id, nu() + timedelta(seconds=claim_seconden())):
            continue
        bericht = MailBericht.get_by_id(bericht_id)
        try:
            if current_app.config.get("MAIL_SERVER"):
                mail.send(_message(bericht))
            else:
                _bewaar_lokaal(bericht)
        except (smtplib.SMTPException, OSError, socket.error) as fout:
            mislukt += 1
            pogingen = bericht.pogingen + 1
            (MailBericht.update(pogingen=pogingen, volgende_poging=nu() + _wacht(pogingen),
                                geclaimd_tot=None, laatste_fout=f"{type(fout).__name__}: {fout}"[:500])
             .where(MailBericht.id == bericht_id).execute())
            log.warning("Mail %s niet verstuurd (poging %s): %s", bericht_id, pogingen, fout)
        else:
            verzonden += 1
            (MailBericht.update(verzonden=nu(), pogingen=bericht.pogingen + 1, geclaimd_tot=None, laatste_fout="")
             .where(MailBericht.id == bericht_id).execute())
    return verzonden, mislukt


def onverzonden():
    return MailBericht.select().where(MailBericht.verzonden.is_null()).order_by(MailBericht.aangemaakt)


def nu_opnieuw():
    """Try the unsent mail again now instead of after its back-off (also after the last attempt)."""
    onverzonden = MailBericht.verzonden.is_null()
    with db.database.atomic():
        MailBericht.update(pogingen=MAX_POGINGEN - 1).where(onverzonden & (MailBericht.pogingen >= MAX_POGINGEN)).execute()
        return MailBericht.update(volgende_poging=nu()).where(onverzonden).execute()


def start_worker(app, interval=5.0):
    """A daemon thread per process that empties the outbox; claims keep workers from colliding."""
    def loop():
        while True:
            time.sleep(interval)
            try:
                with app.app_context():
                    db.database.connect(reuse_if_open=True)
                    try:
                        send_pending()
                    finally:
                        db.database.close()
            except Exception:  # keep the thread alive; the next round tries again
                log.exception("Mailverzending mislukt")

    thread = threading.Thread(target=loop, name="mail-outbox", daemon=True)
    thread.start()
    return thread
