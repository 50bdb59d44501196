"""The Dutch school year runs from 1 August to 31 July."""
from datetime import date

from portal.lijsten.formats import schooljaar_start as startjaar


def schooljaar(dag: date | None = None) -> str:
    """'2026-2027' for any day from 1 August 2026 to 31 July 2027."""
    jaar = startjaar(dag or date.today())
    return f"{jaar}-{jaar + 1}"


def recente_schooljaren(dag: date | None = None, aantal: int = 3) -> list[str]:
    jaar = startjaar(dag or date.today())
    return [f"{j}-{j + 1}" for j in range(jaar + 1, jaar - aantal, -1)]
