"""`flask --app app leerlinglijst …`: check a file or write a template from the command line.

Plain click (no Flask import): app.py registers the group with `app.cli.add_command(leerlinglijst)`.
`check` runs exactly the code path of step 5 (validate.check_bytes). Exit codes (contract.md):
0 the list can be sent (warnings allowed), 1 it has errors, 2 wrong arguments or an unreadable path.
"""
from __future__ import annotations

import json
import sys

import click

from .formats import SCHOOLSOORTEN, SOORTEN, format_voor

_schoolsoort = click.option('--schoolsoort', required=True, type=click.Choice(SCHOOLSOORTEN, case_sensitive=False),
                            help='VO of MBO.')
_soort = click.option('--soort', required=True, type=click.Choice(list(SOORTEN), case_sensitive=False),
                      help='overstapper (Potentiële overstapper) of niet-overstapper.')


def _reden(fout: OSError, anders: str) -> str:
    """Why a path could not be used, in Dutch (the operating system says it in English)."""
    import errno
    return {errno.ENOENT: 'het bestand of de map bestaat niet', errno.EACCES: 'geen rechten',
            errno.EISDIR: 'het is een map', errno.ENOSPC: 'de schijf is vol'}.get(fout.errno, anders)


@click.group('leerlinglijst')
def leerlinglijst():
    """Leerlinglijsten controleren en formats maken."""


@leerlinglijst.command('check')
@click.argument('bestand', metavar='FILE', type=click.Path(dir_okay=False, path_type=str))
@_schoolsoort
@_soort
@click.option('--json', 'als_json', is_flag=True, help='Eén JSON-object op standaarduitvoer.')
def check(bestand: str, schoolsoort: str, soort: str, als_json: bool):
    """Controleer FILE (.xlsx of .csv) zoals stap 5 van het opsturen doet."""
    from .validate import check_bytes
    fmt = format_voor(schoolsoort.upper(), soort.lower())
    try:
        with open(bestand, 'rb') as f:
            data = f.read()
    except OSError as e:
        reden = _reden(e, 'onleesbaar')
        if als_json:
            click.echo(json.dumps({'ok': False, 'format': fmt.naam, 'rows': 0, 'errors': [{
                'code': 'file_missing', 'row': None, 'column': None, 'value': bestand,
                'message': f'Het bestand {bestand} kan niet worden gelezen ({reden}).'}], 'warnings': []},
                ensure_ascii=False))
        else:
            click.echo(f'Het bestand {bestand} kan niet worden gelezen ({reden}).', err=True)
        sys.exit(2)
    resultaat = check_bytes(data, fmt)
    if als_json:
        click.echo(json.dumps(resultaat.to_json(), ensure_ascii=False))
    else:
        _tekst(resultaat)
    sys.exit(0 if resultaat.ok else 1)


def _tekst(resultaat) -> None:
    fouten, waarsch = len(resultaat.fouten), len(resultaat.waarschuwingen)
    click.echo(f'Format {resultaat.format.naam}: {resultaat.rijen} '
               f'{"leerling" if resultaat.rijen == 1 else "leerlingen"} gelezen, '
               f'{fouten} {"fout" if fouten == 1 else "fouten"}, '
               f'{waarsch} {"waarschuwing" if waarsch == 1 else "waarschuwingen"}.')
    for b in resultaat.bevindingen:
        soort = 'Fout' if b.is_fout else 'Waarschuwing'
        plek = ', '.join(x for x in (f'rij {b.rij}' if b.rij else '', b.kolom or '') if x)
        click.echo(f'{soort}{" (" + plek + ")" if plek else ""} [{b.code}]: {b.bericht}')
    click.echo('De lijst kan worden opgestuurd.' if resultaat.ok
               else 'De lijst kan niet worden opgestuurd; verbeter eerst de fouten.')


@leerlinglijst.command('template')
@_schoolsoort
@_soort
@click.option('--output', required=True, type=click.Path(dir_okay=False, writable=True, path_type=str),
              help='Het .xlsx-bestand dat wordt geschreven.')
def template(schoolsoort: str, soort: str, output: str):
    """Schrijf het Excel-format (stap 3) van een schoolsoort en soort leerlingen."""
    from .workbook import template as maak_template     # the template writer is optional for `check`
    fmt = format_voor(schoolsoort.upper(), soort.lower())
    try:
        with open(output, 'wb') as f:
            f.write(maak_template(fmt))
    except OSError as e:
        click.echo(f'Kan {output} niet schrijven ({_reden(e, "niet te schrijven")}).', err=True)
        sys.exit(2)
    click.echo(f'Format {fmt.naam} geschreven naar {output}.')
