"""The readers side by side, on the 50,000-row bench files of bench_check.py (bench/out/):

  .xlsx: python-calamine (to_python), fastexcel (Arrow columns into a polars DataFrame, and on to
         Python lists), openpyxl read-only (10,000 rows only), and read_sheet (ours, every check);
  .csv:  the csv module (rows, transposed to columns), polars' read_csv, pyarrow's read_csv, and
         read_sheet (ours).

Each figure is the best of --repeat runs, taken in turns (a, b, c, a, b, c, ...) so that a busy
spell of this shared machine weighs on all alike; the last column is the time relative to the
first reader of its kind.

    .venv/bin/python bench/bench_read.py [--format VO-overstapper] [--repeat 5]
"""
import argparse
import csv
import io
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import fastexcel  # noqa: E402
import openpyxl  # noqa: E402
import polars as pl  # noqa: E402
import python_calamine  # noqa: E402

from bench.bench_check import FORMATS, bestand  # noqa: E402
from portal.lijsten.reader import read_sheet  # noqa: E402


def calamine(data):
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def fastexcel_polars(data):
    return pl.DataFrame(fastexcel.read_excel(data).load_sheet(0, header_row=0, schema_sample_rows=None))


def fastexcel_lijsten(data):
    return [k.to_list() for k in fastexcel_polars(data).get_columns()]


def openpyxl_ro(data):
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return rows


def csv_module(data):
    rijen = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";", strict=False))
    return list(map(list, zip(*rijen)))


def polars_csv(data):
    return pl.read_csv(data, separator=";", has_header=False, infer_schema=False)


def pyarrow_csv(data):
    import pyarrow.csv as pacsv
    return pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(autogenerate_column_names=True),
                          parse_options=pacsv.ParseOptions(delimiter=";"))


def ours(data):
    return read_sheet(data).kolommen


def in_beurten(kandidaten, data, herhaal):
    beste = {naam: float("inf") for naam, _ in kandidaten}
    for _ in range(herhaal):
        for naam, fn in kandidaten:
            t = time.perf_counter()
            fn(data)
            beste[naam] = min(beste[naam], time.perf_counter() - t)
    return beste


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", default="VO-overstapper")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fmt = FORMATS[args.format]
    try:
        import pyarrow  # noqa: F401  (only whether it is installed)
        met_pyarrow = True
    except ImportError:
        met_pyarrow = False
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for soort, kandidaten in (
            ("xlsx", [("python-calamine", calamine), ("fastexcel -> polars", fastexcel_polars),
                      ("fastexcel -> lists", fastexcel_lijsten), ("read_sheet (ours)", ours)]),
            ("schoon.xlsx", [("python-calamine", calamine), ("fastexcel -> polars", fastexcel_polars),
                             ("read_sheet (ours)", ours)]),
            ("csv", [("csv module", csv_module), ("polars read_csv", polars_csv)]
             + ([("pyarrow read_csv", pyarrow_csv)] if met_pyarrow else []) + [("read_sheet (ours)", ours)])):
        data = bestand(fmt, 50_000, soort).read_bytes()
        tijden = in_beurten(kandidaten, data, args.repeat)
        eerste = tijden[kandidaten[0][0]]
        for naam, _ in kandidaten:
            print(f"{soort:12} {naam:22} {tijden[naam]:7.3f} s {50_000 / tijden[naam]:10,.0f} rows/s "
                  f"{tijden[naam] / eerste:6.2f}")
    data = bestand(fmt, 10_000, "xlsx").read_bytes()
    print(f"{'xlsx 10k':12} {'openpyxl read-only':22} {in_beurten([('o', openpyxl_ro)], data, 1)['o']:7.3f} s")


if __name__ == "__main__":
    main()
