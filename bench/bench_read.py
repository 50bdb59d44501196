"""Reading speed and peak memory: calamine raw vs openpyxl read-only vs read_sheet (ours) vs the
whole check (check_bytes), for 1k/10k/50k rows of a 20-column sheet.

    .venv/bin/python bench/bench_read.py [--rows 1000,10000,50000]

Memory: tracemalloc peak (Python heap only; calamine's Rust allocations are not seen) and the
process's max RSS growth as a rough total.
"""
import argparse
import datetime
import io
import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import openpyxl  # noqa: E402
import python_calamine  # noqa: E402

from portal.lijsten.reader import read_sheet  # noqa: E402


def make(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Leerlingen")
    ws.append([f"Kolom{i}" for i in range(20)])
    for r in range(rows):
        ws.append([f"{r:06d}", 123456782, "Jan", "van der", f"Berg{r % 500}", "V", datetime.date(2010, 5, 3),
                   "1234 AB", "Utrecht", "06-12345678", f"l{r}@voorbeeld.nl", "4B", 4, "VMBO-KB",
                   "Zorg en welzijn", "mevr. De Vries", "MBO", "x", "y", r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def calamine_raw(data):
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)


def openpyxl_ro(data):
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return rows


def ours(data):
    # The validator reads the columns; Sheet.rijen would build the rows on top (only on request).
    return read_sheet(data).kolommen


def measure(fn, data, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    fn(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="1000,10000,50000")
    ap.add_argument("--no-openpyxl", action="store_true", help="skip the slow openpyxl column")
    args = ap.parse_args()
    try:
        from portal.lijsten.formats import FORMATS
        from portal.lijsten.validate import check_bytes
        fmt = FORMATS["VO-overstapper"]
    except Exception:      # the validator is optional for this benchmark
        check_bytes = fmt = None
    print(f"{'rows':>7} {'reader':<22} {'seconds':>8} {'rows/s':>10} {'py peak MB':>10} {'x calamine':>10}")
    for n in [int(x) for x in args.rows.split(",")]:
        data = make(n)
        base = None
        kandidaten = [("calamine raw", calamine_raw)]
        if not args.no_openpyxl:
            kandidaten.append(("openpyxl read-only", openpyxl_ro))
        kandidaten.append(("read_sheet (ours)", ours))
        if check_bytes is not None:
            kandidaten.append(("check_bytes (whole)", lambda d: check_bytes(d, fmt)))
        for naam, fn in kandidaten:
            sec, peak = measure(fn, data, repeat=1 if naam.startswith("openpyxl") and n > 10_000 else 3)
            base = base or sec
            print(f"{n:>7} {naam:<22} {sec:8.3f} {n / sec:10.0f} {peak / 1e6:10.1f} {sec / base:10.2f}")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
