"""The leerlinglijst core: plain Python, no Flask.

formats.py   the schema of the four formats (titles, rules, codes, examples)
errors.py    the catalog of findings (codes, levels, Dutch messages)
reader.py    .xlsx/.csv bytes → a Sheet (safe reading)
validate.py  a Sheet → every finding in one pass, and the clean rows
workbook.py  the template and the annotated error file
commands.py  the `leerlinglijst` command-line group
"""
