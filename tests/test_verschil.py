"""The differential test: generated lists of every format with every kind of defect give the same
findings (code, row, column, value, message) and the same clean columns as the core gave before
its rules were restructured (tests/data/verschil.json, written by `python -m tests.verschil
--schrijf` on that core; see tests/verschil.py)."""
import json

import pytest

from tests import verschil

VERWACHT = json.loads(verschil.PAD.read_text())
GEVALLEN = list(verschil.gevallen())


def test_every_generated_case_has_an_expected_outcome():
    assert sorted(naam for naam, _, _ in GEVALLEN) == sorted(VERWACHT)


@pytest.mark.parametrize("naam, fmt, data", GEVALLEN, ids=[g[0] for g in GEVALLEN])
def test_the_check_gives_what_the_old_core_gave(naam, fmt, data):
    uit = verschil.uitkomst(data, fmt)
    verwacht = VERWACHT[naam]
    for soort in ("errors", "warnings"):
        assert uit[soort] == verwacht[soort], soort
    assert {k: v for k, v in uit.items() if k not in ("errors", "warnings")} == \
        {k: v for k, v in verwacht.items() if k not in ("errors", "warnings")}
