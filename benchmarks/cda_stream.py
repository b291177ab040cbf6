"""Streaming N1 build of a large PDF body: time and memory (RSS growth) of ``build_n1_to_file``.

Usage: ``python benchmarks/cda_stream.py [SIZE_MIB]`` (default 100). Prints the figures; no assertion.
The transport budget is < 32 MiB RSS growth for a 100 MiB document.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from dmpclient.cda import build_n1_to_file
from dmpclient.cda.demo import demo_header


def rss_mib() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def main(size_mib: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "big.pdf"
        with body.open("wb") as fh:
            fh.write(b"%PDF-1.7\n")
            for _ in range(size_mib):
                fh.write(os.urandom(1 << 20))
        header = demo_header()
        build_n1_to_file(header, Path(__file__), Path(tmp) / "warmup.xml", media_type="text/plain")  # imports
        before = rss_mib()
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        built = build_n1_to_file(header, body, Path(tmp) / "big.cda.xml")
        elapsed = time.perf_counter() - start
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"body            : {size_mib} MiB (+9 bytes)")
        print(f"document        : {built.size / (1 << 20):.1f} MiB")
        print(f"time            : {elapsed:.2f} s ({built.size / (1 << 20) / elapsed:.0f} MiB/s written)")
        print(f"RSS before      : {before:.1f} MiB, after {rss_mib():.1f} MiB")
        print(f"peak RSS growth : {max(0.0, peak_after - max(peak_before, before)):.1f} MiB")
        print(f"sha1            : {built.sha1}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
