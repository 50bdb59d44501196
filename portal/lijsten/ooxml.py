"""What the workbooks we write need of openpyxl beyond its defaults.

openpyxl writes the children of a <font> in an order of its own (name, family, color, sz, …).
The schema of ECMA-376 (sml.xsd, CT_Font) is a sequence: b, i, strike, condense, extend, outline,
shadow, u, vertAlign, sz, color, name, family, charset, scheme, which is the order Excel itself
writes and the Open XML SDK (what Office validates with) checks. Excel opens openpyxl's order as
it is today; we write the schema's order anyway, so that the template, the annotated file and the
export pass a strict validator too (tests/test_ooxml.py runs the Open XML SDK over them).
"""
from __future__ import annotations

from openpyxl.styles.fonts import Font

__all__ = ["schema_volgorde"]

_CT_FONT = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz",
            "color", "name", "family", "charset", "scheme")


def schema_volgorde() -> None:
    """Let openpyxl write a font's children in the schema's order (idempotent)."""
    assert set(Font.__elements__) == set(_CT_FONT), Font.__elements__   # a new openpyxl: look again
    Font.__elements__ = _CT_FONT
