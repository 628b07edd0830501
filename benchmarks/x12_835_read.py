"""Time reading an 835 with 10,000 claims: ``read_835`` (with its balancing checks) and pyx12 on the
same file in the same run (pyx12 validates against its 005010X221A1 map; it is the X12 reader we
compare with). Prints wall and CPU time: on a shared machine the wall time mostly waits for a CPU;
the comparison with pyx12 uses CPU time for both.

The 835 comes from ``benchmarks/x12_data.py`` (deterministic, synthetic: paid, partly paid, denied
and reversed claims, a PLB) written with ``write_835``. The issue's target for reading *and posting*
10,000 claims is <= 10 s; posting is measured by ``benchmarks/remittance_post.py``.

    python benchmarks/x12_835_read.py [--claims 10000] [--runs 3] [--no-pyx12]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import summary
from benchmarks.x12_data import text_835
from frontdesk.standards.x12.remittance import read_835


def _pyx12(text: str) -> tuple[float, bool]:
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    t0 = time.process_time()
    valid = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), None, None, None, io.StringIO()
    )
    return (time.process_time() - t0) * 1000, bool(valid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pyx12", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    text = text_835(args.claims)
    print(f"835 with {args.claims} claims written in {time.perf_counter() - started:.1f} s")
    timings: list[float] = []
    cpu: list[float] = []  # CPU time of this process: on a shared, loaded machine wall time waits
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        (remittance,) = read_835(text)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    assert len(remittance.claims) == args.claims
    ours = summary(timings)
    ours_cpu = summary(cpu)
    pyx12_ms, pyx12_valid = (0.0, False) if args.no_pyx12 else _pyx12(text)
    print(f"{'reader':<32}{'median ms':>12}{'max ms':>12}")
    print(f"{'read_835 (parse + balance)':<32}{ours['median']:>12.1f}{ours['max']:>12.1f}")
    print(f"{'read_835 (CPU time)':<32}{ours_cpu['median']:>12.1f}{ours_cpu['max']:>12.1f}")
    if not args.no_pyx12:
        print(f"{'pyx12 validate (once, CPU time)':<32}{pyx12_ms:>12.1f}{pyx12_ms:>12.1f}")
    print(
        json.dumps(
            {
                "claims": args.claims,
                "segments": text.count("\n"),
                "bytes": len(text),
                "runs": args.runs,
                "read_835_ms": ours,
                "read_835_cpu_ms": ours_cpu,
                "load_average": os.getloadavg()[0],
                "pyx12_cpu_ms": round(pyx12_ms, 1) if not args.no_pyx12 else None,
                "pyx12_valid": pyx12_valid if not args.no_pyx12 else None,
                "speedup_vs_pyx12_cpu": round(pyx12_ms / ours_cpu["median"], 1)
                if not args.no_pyx12 and ours_cpu["median"]
                else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
