"""Peak memory of streaming a large MTOM request out and a large MTOM response in.

Run: ``python benchmarks/mtom_stream.py [--size-mib 100] [--chunk-kib 64]``

Each measurement runs in its own subprocess; the figure is the growth of the peak RSS
(``resource.getrusage(...).ru_maxrss``) above the baseline taken once the process has imported
dmpclient and prepared its input (the current RSS then, not the import-time peak).
Goal (issue 6): below 32 MiB for both directions.

1. write: ``SoapRequest.iter_bytes()`` of a TD2.1-shaped request whose document is a file of SIZE MiB,
   drained into a sink (bytes counted, nothing kept).
2. read: a SIZE MiB MTOM response (written to disk beforehand by the writer) fed chunk by chunk from a
   file iterator into ``read_message`` with spooling to a temporary directory; SHA-1 checked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

MIB = 1024 * 1024


def _maxrss_mib() -> float:
    # Linux reports kibibytes (macOS bytes; this benchmark targets Linux CI/dev machines).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mib() -> float:
    """Current resident set size (Linux ``/proc``), to make the baseline strict: the peak reached while
    importing could otherwise hide growth during the measurement."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _maxrss_mib()


def _make_file(path: Path, size_mib: int) -> str:
    digest = hashlib.sha1()
    block = os.urandom(MIB)
    with path.open("wb") as handle:
        for index in range(size_mib):
            chunk = block[index % 251 :] + block[: index % 251]  # differ per MiB, cheap
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def _request(document: Path):  # type: ignore[no-untyped-def]
    from lxml import etree

    from dmpclient._xml import q
    from dmpclient.environments import Service
    from dmpclient.soap import ACTIONS, Attachment, build_request, xop_include

    att = Attachment.from_file(document, content_type="application/pdf")
    body = etree.Element(q("xdsb", "ProvideAndRegisterDocumentSetRequest"))
    etree.SubElement(body, q("xdsb", "Document"), id="doc").append(xop_include(att.content_id))
    return build_request(Service.REPOSITORY, body, action=ACTIONS["TD2.1"], attachments=[att], transaction="TD2.1")


def _response(document: Path):  # type: ignore[no-untyped-def]
    from lxml import etree

    from dmpclient._xml import q
    from dmpclient.soap import Attachment, build_response, xop_include

    att = Attachment.from_file(document, content_type="application/octet-stream")
    body = etree.Element(q("xdsb", "RetrieveDocumentSetResponse"))
    doc = etree.SubElement(etree.SubElement(body, q("xdsb", "DocumentResponse")), q("xdsb", "Document"))
    doc.append(xop_include(att.content_id))
    return build_response(
        body, action="urn:ihe:iti:2007:RetrieveDocumentSetResponse", relates_to="urn:uuid:bench", attachments=[att]
    )


def child_write(document: Path, chunk: int, *, join: bool = False) -> dict[str, float]:
    request = _request(document)
    baseline = _rss_now_mib()
    start = time.perf_counter()
    if join:  # control: what buffering the whole body costs (shows that the measurement sees growth)
        sent = len(b"".join(request.iter_bytes(chunk)))
    else:
        sent = 0
        for piece in request.iter_bytes(chunk):
            sent += len(piece)
    elapsed = time.perf_counter() - start
    assert sent == request.content_length
    return {"baseline_mib": baseline, "peak_mib": _maxrss_mib(), "seconds": elapsed, "bytes": sent}


def child_read(wire: Path, content_type: str, spool: Path, chunk: int, expected_sha1: str) -> dict[str, float]:
    from dmpclient.soap import read_message

    def chunks() -> Iterator[bytes]:
        with wire.open("rb") as handle:
            while piece := handle.read(chunk):
                yield piece

    baseline = _rss_now_mib()
    start = time.perf_counter()
    message = read_message(content_type, chunks(), spool_dir=spool)
    elapsed = time.perf_counter() - start
    part = message.parts[0]
    assert part.sha1 == expected_sha1, "SHA-1 mismatch"
    assert not part.in_memory
    result = {"baseline_mib": baseline, "peak_mib": _maxrss_mib(), "seconds": elapsed, "bytes": message.size}
    message.close()
    return result


def _run_child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env={**os.environ}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _report(name: str, figures: dict[str, float]) -> float:
    delta = figures["peak_mib"] - figures["baseline_mib"]
    rate = figures["bytes"] / MIB / figures["seconds"] if figures["seconds"] else float("inf")
    print(
        f"{name:<6} baseline {figures['baseline_mib']:7.1f} MiB  peak {figures['peak_mib']:7.1f} MiB  "
        f"above baseline {delta:6.1f} MiB  {figures['seconds']:6.2f} s  {rate:7.0f} MiB/s"
    )
    return delta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--chunk-kib", type=int, default=64)
    parser.add_argument("--child", choices=["write", "write-join", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--content-type", help=argparse.SUPPRESS)
    parser.add_argument("--spool", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sha1", help=argparse.SUPPRESS)
    args = parser.parse_args()
    chunk = args.chunk_kib * 1024

    if args.child in ("write", "write-join"):
        print(json.dumps(child_write(args.file, chunk, join=args.child == "write-join")))
        return 0
    if args.child == "read":
        print(json.dumps(child_read(args.file, args.content_type, args.spool, chunk, args.sha1)))
        return 0

    with tempfile.TemporaryDirectory(prefix="dmpclient-bench-") as tmp:
        folder = Path(tmp)
        document = folder / "document.bin"
        print(f"preparing a {args.size_mib} MiB document and response in {folder} …")
        sha1 = _make_file(document, args.size_mib)
        response = _response(document)
        wire = folder / "response.mime"
        with wire.open("wb") as handle:
            for piece in response.iter_bytes(chunk):
                handle.write(piece)
        spool = folder / "spool"
        spool.mkdir()

        print(f"python {sys.version.split()[0]}, chunk {args.chunk_kib} KiB, document {args.size_mib} MiB")
        write_args = ["--file", str(document), "--chunk-kib", str(args.chunk_kib)]
        write = _report("write", _run_child(["--child", "write", *write_args]))
        read = _report(
            "read",
            _run_child(
                [
                    "--child",
                    "read",
                    "--file",
                    str(wire),
                    "--content-type",
                    response.content_type,
                    "--spool",
                    str(spool),
                    "--sha1",
                    sha1,
                    "--chunk-kib",
                    str(args.chunk_kib),
                ]
            ),
        )
        _report("join*", _run_child(["--child", "write-join", *write_args]))
        print("  (* control, not a dmpclient path: the same request joined in memory)")
    goal = 32.0
    verdict = "OK" if max(write, read) < goal else "ABOVE GOAL"
    print(f"goal: < {goal:.0f} MiB above baseline for both — {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    raise SystemExit(main())
