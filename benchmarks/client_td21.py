"""DMPClient end to end: memory of a 100 MiB TD2.1 / TD3.2 over mutual TLS, and the cost of building a TD2.1.

Run: ``python benchmarks/client_td21.py [--size-mib 100] [--runs 15]``

1. **Memory** — a local mutual-TLS HTTPS server (test PKI, threads, in this process) stores what it receives.
   Each client measurement runs in its own subprocess: it imports dmpclient, opens the client and makes one
   TD0.2 (TLS, VIHF signing and the libraries warmed up), takes the baseline (current RSS), then
   * ``send``: ``DMPClient.submit`` of an N1 CDA file wrapping a SIZE MiB PDF (streamed from disk);
   * ``receive``: ``DMPClient.retrieve(..., to=file)`` of that document (streamed to disk);
   and reports the growth of the peak RSS (``ru_maxrss``) above the baseline. Goal (issue 6): < 32 MiB each.
2. **Time** — build + sign + serialise a TD2.1 request for a 1 MiB PDF (N1 CDA built in memory,
   ``prepare_submission``: XDS metadata, VIHF and XAdES signatures, MTOM body bytes), next to the floor of
   unavoidable work in the same process: SHA-1 and SHA-256 of the CDA bytes, base64 of the PDF, two
   RSA-2048 signatures. Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
PATIENT = "279035121518989"


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _maxrss_mib()


# --------------------------------------------------------------------------------------------- server


class _Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.documents: dict[str, Path] = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        from dmpclient.soap import read_message
        from dmpclient.transactions import patients, repository
        from dmpclient.transactions.repository import DocumentContent

        length = int(self.headers["Content-Length"])
        with tempfile.TemporaryFile(dir=self.server.store.folder) as spool:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(MIB, remaining))
                spool.write(chunk)
                remaining -= len(chunk)
            spool.seek(0)
            message = read_message(
                self.headers["Content-Type"], iter(lambda: spool.read(MIB), b""), spool_dir=self.server.store.folder
            )
        try:
            tag = (message.envelope.payload_tag or "").rpartition("}")[2]
            if tag == "PRPA_IN201307UV02":
                result = patients.ExistenceResult(exists=True, authorization="VALIDE")
                response = patients.build_test_existence_response(result, request=message)
            elif tag == "ProvideAndRegisterDocumentSetRequest":
                received = repository.parse_provide_and_register_request(message)
                for doc in received.documents:
                    target = self.server.store.folder / f"doc-{len(self.server.store.documents)}.bin"
                    assert doc.part is not None
                    doc.part.move_to(target)
                    self.server.store.documents[doc.entry.unique_id or ""] = target
                response = repository.build_provide_and_register_response(request=message)
            else:
                request = repository.parse_retrieve_document_set_request(message)
                uid = request.documents[0].document_unique_id or ""
                source = self.server.store.documents[uid]
                response = repository.build_retrieve_document_set_response(
                    [DocumentContent(uid, source)], request=message
                )
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in response.iter_bytes(MIB):
                self.wfile.write(chunk)
        finally:
            message.close()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, store: _Store, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.store = store
        self.socket = context.wrap_socket(self.socket, server_side=True)


# --------------------------------------------------------------------------------------------- client


def _client(spec: dict[str, Any]) -> Any:
    from dmpclient.client import DMPClient
    from dmpclient.environments import Environment
    from dmpclient.ids import EnvironmentKind
    from dmpclient.security.pki import TestPki

    pki = TestPki.load(spec["pki"])
    return DMPClient(
        Environment("bench", EnvironmentKind.TEST, spec["url"]),
        context=pki.acting_context("DIRECTE"),
        signer=pki.signer("prof-sign"),
        tls=pki.tls_identity("prof-auth"),
        trust=pki.trust_store(),
    )


def _child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    from dmpclient.cda import BuiltCda, CdaHeader
    from dmpclient.ids import INS

    ins = INS.parse(PATIENT)
    with _client(spec) as dmp:
        dmp.test_existence(ins)
        document: Any = None
        if kind == "send":
            path = Path(spec["cda"])
            document = BuiltCda(
                unique_id=spec["unique_id"],
                size=spec["size"],
                sha1=spec["sha1"],
                sha256=spec["sha256"],
                header=CdaHeader.model_validate_json(spec["header"]),
                path=path,
            )
        baseline = _rss_now_mib()
        start = time.perf_counter()
        if kind == "send":
            dmp.submit(ins, [document])
        else:
            doc = dmp.retrieve(ins, spec["unique_id"], to=Path(spec["out"]))
            assert doc.sha1 == spec["sha1"], "SHA-1 mismatch"
        elapsed = time.perf_counter() - start
    return {"kind": kind, "baseline_mib": baseline, "peak_mib": _maxrss_mib(), "seconds": elapsed}


def _run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(spec)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["growth_mib"] = result["peak_mib"] - result["baseline_mib"]
    return result


# ----------------------------------------------------------------------------------------------- time


def _timing(folder: Path, runs: int) -> dict[str, float]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from dmpclient.cda import build_n1
    from dmpclient.cda.demo import demo_header
    from dmpclient.environments import SANDBOX
    from dmpclient.ids import INS
    from dmpclient.security.pki import TestPki
    from dmpclient.transactions._base import RequestContext
    from dmpclient.transactions.submission import DocumentToSubmit, SubmissionSetInfo, prepare_submission
    from dmpclient.xds.model import Code

    pki = TestPki.load(folder / "pki")
    signer = pki.signer("prof-sign")
    ctx = RequestContext(acting=pki.acting_context("DIRECTE"), environment=SANDBOX, signer=signer)
    pdf = b"%PDF-1.4\n" + os.urandom(MIB - 9)
    ins = INS.parse(PATIENT)
    info = SubmissionSetInfo(Code("SA07", "1.2.250.1.71.4.2.4"))

    def full() -> None:
        built = build_n1(demo_header(), pdf)
        prepared = prepare_submission(ctx, ins, [DocumentToSubmit.from_cda(built)], submission_set=info)
        prepared.request.body_bytes()

    cda = build_n1(demo_header(), pdf).read_bytes()
    key = signer.private_key

    def floor() -> None:
        hashlib.sha1(cda, usedforsecurity=False).digest()
        hashlib.sha256(cda).digest()
        base64.b64encode(pdf)
        for data in (b"signed info of the VIHF", b"signed info of the XAdES signature"):
            key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def median(fn: Any) -> float:
        fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    return {"build_sign_serialise_ms": median(full), "floor_ms": median(floor)}


# ----------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], json.loads(args.child[1]))))
        return

    from dmpclient.cda import build_n1_to_file
    from dmpclient.cda.demo import demo_header
    from dmpclient.security.pki import create_test_pki
    from dmpclient.security.tls import create_server_ssl_context

    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        folder = Path(tmp)
        pki = create_test_pki(folder / "pki")
        pdf = folder / "big.pdf"
        block = os.urandom(MIB)
        with pdf.open("wb") as out:
            out.write(b"%PDF-1.4\n")
            for i in range(args.size_mib):
                out.write(block[i % 251 :] + block[: i % 251])
        built = build_n1_to_file(demo_header(), pdf, folder / "big.cda.xml")
        store_dir = folder / "server"
        store_dir.mkdir()
        server_ctx = create_server_ssl_context(identity=pki.tls_identity("dmp-server"), client_trust=pki.trust_store())
        server = _Server(_Store(store_dir), server_ctx)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        spec = {
            "pki": str(folder / "pki"),
            "url": f"https://127.0.0.1:{server.server_address[1]}/si-dmp-server/v2/services",
            "cda": str(built.path),
            "header": built.header.model_dump_json(),
            "unique_id": built.unique_id,
            "size": built.size,
            "sha1": built.sha1,
            "sha256": built.sha256,
            "out": str(folder / "back.xml"),
        }
        try:
            sent = _run_child("send", spec)
            received = _run_child("receive", spec)
        finally:
            server.shutdown()
        timing = _timing(folder, args.runs)

    cda_mib = built.size / MIB
    print(f"TD2.1 send of a {args.size_mib} MiB PDF (N1 CDA {cda_mib:.1f} MiB) over mutual TLS:")
    print(
        f"  peak RSS growth {sent['growth_mib']:.1f} MiB (baseline {sent['baseline_mib']:.1f} MiB), "
        f"{sent['seconds']:.2f} s"
    )
    print("TD3.2 receive of it, streamed to disk:")
    print(
        f"  peak RSS growth {received['growth_mib']:.1f} MiB (baseline {received['baseline_mib']:.1f} MiB), "
        f"{received['seconds']:.2f} s"
    )
    print("goal: < 32 MiB each:", "met" if max(sent["growth_mib"], received["growth_mib"]) < 32 else "NOT met")
    ratio = timing["build_sign_serialise_ms"] / timing["floor_ms"]
    print(f"TD2.1 build + sign + serialise, 1 MiB PDF: {timing['build_sign_serialise_ms']:.1f} ms (median)")
    print(f"  floor (SHA-1 + SHA-256 + base64 + 2 RSA-2048 signatures): {timing['floor_ms']:.1f} ms; ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
