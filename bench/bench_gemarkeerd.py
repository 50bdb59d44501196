"""Benchmark: the marked-up workbook (workbook.annotated) of a list in which every row is wrong.

Builds (once, cached in bench/out/) a VO-overstapper .xlsx of N rows whose BSN fails the
11-proef in every row, checks it, then times `annotated(data, resultaat)` and prints its time,
the size of the result and the process's peak memory (ru_maxrss) before and after. Not a test:
the machine may be shared, so read the figures next to the printed load average.

    .venv/bin/python bench/bench_gemarkeerd.py                 # 50,000 wrong rows
    .venv/bin/python bench/bench_gemarkeerd.py --rijen 5000
    .venv/bin/python bench/bench_gemarkeerd.py --profiel       # cProfile of annotated, top 25
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / 'bench' / 'out'

from portal.lijsten.formats import FORMATS  # noqa: E402
from portal.lijsten.validate import check_bytes  # noqa: E402
from portal.lijsten.workbook import annotated  # noqa: E402

VANDAAG = dt.date(2026, 3, 15)
FMT = FORMATS['VO-overstapper']


def _mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bestand(rijen: int) -> bytes:
    pad = OUT / f'gemarkeerd-{FMT.naam}-{rijen}.xlsx'
    if not pad.exists():
        from tests.builders import leerlingen, make_xlsx, titel
        lijst = leerlingen(FMT, rijen, seed=5)
        for r in lijst:
            r[titel(FMT, 'bsn')] = '123456789'
        OUT.mkdir(parents=True, exist_ok=True)
        pad.write_bytes(make_xlsx(FMT, lijst))
    return pad.read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--rijen', type=int, default=50_000)
    ap.add_argument('--profiel', action='store_true')
    args = ap.parse_args()
    data = bestand(args.rijen)
    resultaat = check_bytes(data, FMT, vandaag=VANDAAG)
    print(f'{args.rijen:,} rijen, {len(resultaat.fouten):,} fouten, '
          f'{len(resultaat.waarschuwingen):,} waarschuwingen; bestand {len(data) / 1e6:.1f} MB')
    voor = _mb()
    if args.profiel:
        import cProfile
        import pstats
        cProfile.runctx('annotated(data, resultaat)', globals(), locals(), '/tmp/gemarkeerd.prof')
        pstats.Stats('/tmp/gemarkeerd.prof').sort_stats('cumulative').print_stats(25)
        return
    t, cpu = time.perf_counter(), time.process_time()
    uit = annotated(data, resultaat)
    duur, cpu = time.perf_counter() - t, time.process_time() - cpu
    na = _mb()
    print(f'gemarkeerd.xlsx: {duur:.1f} s ({cpu:.1f} s CPU), {len(uit) / 1e6:.1f} MB; piekgeheugen van het proces '
          f'{voor:.0f} MB voor, {na:.0f} MB na (+{na - voor:.0f} MB); load {os.getloadavg()[0]:.2f}')
    print(f"doel < 30 s: {'gehaald' if duur < 30 else 'NIET gehaald'}")


if __name__ == '__main__':
    main()
