"""Builds portal/lijsten/_snel (the reader's inner loops, in C) in place: bin/setup runs
`python setup.py build_ext --inplace`. The app itself is not packaged; requirements.txt lists
what it needs. Warnings are errors in CI only (a newer compiler elsewhere may warn anew)."""
import os

from setuptools import Extension, setup

setup(
    name="leerlinglijst",
    version="0",
    py_modules=[],
    ext_modules=[Extension("portal.lijsten._snel", ["portal/lijsten/_snel.c"],
                           extra_compile_args=["-O2", "-Wall"] + (["-Werror"] if os.environ.get("CI") == "true" else []))],
)
