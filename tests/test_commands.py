"""`leerlinglijst check` and `template` through click's runner: output shape and exit codes."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from portal.lijsten.commands import leerlinglijst
from portal.lijsten.formats import FORMATS
from tests.builders import leerlingen, make_csv, make_xlsx, titel

VO_O = FORMATS['VO-overstapper']


@pytest.fixture
def bestand(tmp_path):
    def maak(rows, naam='lijst.xlsx', fmt=VO_O, maker=make_xlsx):
        pad = tmp_path / naam
        pad.write_bytes(maker(fmt, rows))
        return str(pad)
    return maak


def run(*args):
    return CliRunner().invoke(leerlinglijst, list(args))


def test_check_json_of_a_good_list_exits_0(bestand):
    rijen = leerlingen(VO_O, 5)
    rijen[1][titel(VO_O, 'postcode')] = None                # a warning does not block sending
    r = run('check', bestand(rijen), '--schoolsoort', 'VO', '--soort', 'overstapper', '--json')
    assert r.exit_code == 0, r.output
    uit = json.loads(r.output)
    assert set(uit) == {'ok', 'format', 'rows', 'errors', 'warnings'}
    assert (uit['ok'], uit['format'], uit['rows'], uit['errors']) == (True, 'VO-overstapper', 5, [])
    assert [(w['code'], w['row'], w['column']) for w in uit['warnings']] == [('postcode_missing', 3, 'Postcode')]
    assert set(uit['warnings'][0]) == {'code', 'row', 'column', 'value', 'message'}


def test_check_json_with_errors_exits_1(bestand):
    rijen = leerlingen(VO_O, 3)
    rijen[2][titel(VO_O, 'bsn')] = '123456789'
    r = run('check', bestand(rijen, 'lijst.csv', maker=make_csv), '--schoolsoort', 'vo', '--soort',
            'overstapper', '--json')
    assert r.exit_code == 1
    uit = json.loads(r.output)
    assert uit['ok'] is False
    assert [(e['code'], e['row'], e['column'], e['value']) for e in uit['errors']] == \
        [('bsn_checksum', 4, 'BSN', '123456789')]
    assert 'elfproef' in uit['errors'][0]['message']


def test_check_wrong_format_exits_1(bestand):
    mbo = FORMATS['MBO-overstapper']
    r = run('check', bestand(leerlingen(mbo, 2), fmt=mbo), '--schoolsoort', 'VO', '--soort', 'overstapper',
            '--json')
    assert r.exit_code == 1 and [e['code'] for e in json.loads(r.output)['errors']] == ['wrong_format']


def test_check_readable_lines(bestand):
    rijen = leerlingen(VO_O, 2)
    rijen[0][titel(VO_O, 'geslacht')] = 'Q'
    r = run('check', bestand(rijen), '--schoolsoort', 'VO', '--soort', 'overstapper')
    assert r.exit_code == 1
    assert 'Fout (rij 2, Geslacht) [geslacht_invalid]' in r.output
    assert 'niet worden opgestuurd' in r.output and '{' not in r.output


def test_check_bad_arguments_exit_2(bestand, tmp_path):
    pad = bestand(leerlingen(VO_O, 1))
    assert run('check', pad, '--schoolsoort', 'HBO', '--soort', 'overstapper').exit_code == 2
    assert run('check', pad, '--schoolsoort', 'VO').exit_code == 2
    assert run('check', pad, '--schoolsoort', 'VO', '--soort', 'anders').exit_code == 2
    r = run('check', str(tmp_path / 'bestaat-niet.xlsx'), '--schoolsoort', 'VO', '--soort', 'overstapper',
            '--json')
    assert r.exit_code == 2
    assert [e['code'] for e in json.loads(r.output)['errors']] == ['file_missing']
    assert run('check', str(tmp_path), '--schoolsoort', 'VO', '--soort', 'overstapper').exit_code == 2


def test_check_unreadable_file_type_is_a_finding_not_a_crash(tmp_path):
    pad = tmp_path / 'oud.xls'
    pad.write_bytes(b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + b'\x00' * 600)
    r = run('check', str(pad), '--schoolsoort', 'MBO', '--soort', 'niet-overstapper', '--json')
    assert r.exit_code == 1
    assert json.loads(r.output)['errors'][0]['code'].startswith('file_')


def test_template_writes_a_workbook_that_checks_clean(tmp_path):
    uit = tmp_path / 'format.xlsx'
    r = run('template', '--schoolsoort', 'MBO', '--soort', 'overstapper', '--output', str(uit))
    assert r.exit_code == 0, r.output
    assert uit.read_bytes()[:2] == b'PK'
    # An empty template has titles only: the check names exactly that, nothing about columns.
    r = run('check', str(uit), '--schoolsoort', 'MBO', '--soort', 'overstapper', '--json')
    assert [e['code'] for e in json.loads(r.output)['errors']] == ['no_data_rows']


# --- every cell type in every column, through `flask --app app leerlinglijst check` (#10.4) --------
from tests.test_validate import CELSOORTEN  # noqa: E402


@pytest.mark.parametrize('fmt', list(FORMATS.values()), ids=lambda f: f.naam)
@pytest.mark.parametrize('maker', [make_xlsx, make_csv], ids=['xlsx', 'csv'])
def test_check_command_answers_every_cell_type_in_every_column(app, tmp_path, fmt, maker):
    """The app's own CLI (app.cli, as `flask --app app leerlinglijst check` runs it): for each cell
    type, one file with that type in every cell, and one with it in a different column per row.
    Always exit 0 or 1 with one JSON object; a value that cannot be used is named on its cell."""
    runner = app.test_cli_runner()
    for naam, waarde in CELSOORTEN.items():
        overal = leerlingen(fmt, 2)
        for r in overal:
            r.update(dict.fromkeys(fmt.titels, waarde))
        per_kolom = leerlingen(fmt, len(fmt.kolommen))
        for r, kolom in zip(per_kolom, fmt.kolommen):
            r[kolom.titel] = waarde
        for rijen in (overal, per_kolom):
            pad = tmp_path / f'lijst.{"xlsx" if maker is make_xlsx else "csv"}'
            pad.write_bytes(maker(fmt, rijen))
            r = runner.invoke(args=['leerlinglijst', 'check', str(pad), '--schoolsoort', fmt.schoolsoort,
                                    '--soort', fmt.soort, '--json'])
            assert r.exit_code in (0, 1), (naam, r.output, r.exception)
            uit = json.loads(r.output)
            assert set(uit) == {'ok', 'format', 'rows', 'errors', 'warnings'}
            if naam == 'lang' and rijen is per_kolom:
                assert {(e['row'], e['column']) for e in uit['errors']} >= \
                    {(i + 2, k.titel) for i, k in enumerate(fmt.kolommen)}, naam


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.test_validate import _celwaarden  # noqa: E402


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fmt=st.sampled_from(list(FORMATS.values())), data=st.data())
def test_check_command_never_crashes_on_any_mix_of_cell_types(app, tmp_path, fmt, data):
    """A property through the app's own `leerlinglijst check`: any cell types in any columns."""
    rijen = leerlingen(fmt, 3)
    for kolom in data.draw(st.lists(st.sampled_from(fmt.kolommen), min_size=1, max_size=5, unique=True)):
        for r in rijen:
            r[kolom.titel] = data.draw(_celwaarden())
    pad = tmp_path / 'lijst.xlsx'
    pad.write_bytes(make_xlsx(fmt, rijen))
    r = app.test_cli_runner().invoke(args=['leerlinglijst', 'check', str(pad), '--schoolsoort', fmt.schoolsoort,
                                           '--soort', fmt.soort, '--json'])
    assert r.exit_code in (0, 1), (r.output, r.exception)
    assert json.loads(r.output)['rows'] == 3
