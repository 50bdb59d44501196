"""What the workbooks we write need of openpyxl beyond its defaults.

openpyxl writes the children of a <font> in an order of its own (name, charset, family, b, …,
color, sz, …). The Open XML SDK, which Office validates packages with, expects the order that
Excel itself writes: b, i, strike, condense, extend, outline, shadow, u, vertAlign, sz, color,
name, family, charset, scheme, and reports openpyxl's order as an unexpected element. Excel
opens openpyxl's order as it is today; we write Excel's order anyway, so that the template, the
annotated file and the export pass the SDK's validation too (tests/test_ooxml.py).
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
