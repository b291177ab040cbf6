"""Benchmark: sign + serialise a VIHF and a 3-document XAdES signature, software key vs SoftHSM2.

Run: ``python benchmarks/security_sign.py [--iterations N]``. Creates a throw-away test PKI (with a SoftHSM2
token when softhsm2-util and python-pkcs11 are installed) in a temporary folder and prints medians.
Figures depend on the machine; compare options with them, never assert them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dmpclient.ids import INS
from dmpclient.security.pki import create_test_pki
from dmpclient.security.signers import Signer
from dmpclient.security.vihf import build_vihf, verify_vihf
from dmpclient.security.xades import ManifestDocument, build_submission_signature, verify_submission_signature


def median_ms(func: Callable[[], object], iterations: int) -> float:
    func()  # warm-up
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def make_document(index: int, size_kib: int) -> bytes:
    body = "".join(
        f"<paragraph>Ligne {i} du compte rendu {index} — données de test.</paragraph>" for i in range(size_kib * 12)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3.{index}"/>'
        f"<component><section><text>{body}</text></section></component></ClinicalDocument>"
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--doc-kib", type=int, default=30, help="size of each of the 3 documents (KiB)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dmpclient-bench-"))
    try:
        softhsm = shutil.which("softhsm2-util") is not None
        try:
            import pkcs11  # noqa: F401
        except ImportError:
            softhsm = False
        start = time.perf_counter()
        pki = create_test_pki(folder / "pki", softhsm=softhsm)
        print(f"test PKI created in {time.perf_counter() - start:.2f} s (softhsm={softhsm})")
        if pki.softhsm is not None:
            os.environ["SOFTHSM2_CONF"] = pki.softhsm.conf
        context = pki.acting_context()
        patient = INS.parse("277076322082910")
        docs = [ManifestDocument(f"1.2.250.1.999.1.1.7898.4.{i}", make_document(i, args.doc_kib)) for i in range(3)]
        doc_map = {d.unique_id: d.source for d in docs}
        print(f"documents: 3 x {len(docs[0].source) / 1024:.0f} KiB")  # type: ignore[arg-type]

        start = time.perf_counter()
        software = pki.signer("prof-sign")
        print(f"software key load (PEM, once): {(time.perf_counter() - start) * 1000:.1f} ms")
        signers: list[tuple[str, Signer]] = [("software key", software)]
        if pki.softhsm is not None:
            signers.append(("SoftHSM2 SHA256_RSA_PKCS", pki.pkcs11_signer()))
            signers.append(("SoftHSM2 raw RSA_PKCS", pki.pkcs11_signer(raw_rsa=True)))
        n = args.iterations
        print(f"\nmedian of {n} runs (ms)            VIHF sign+serialise   XAdES 3 docs sign+serialise")
        for label, signer in signers:
            vihf_ms = median_ms(lambda s=signer: build_vihf(context, patient, signer=s).to_bytes(), n)
            xades_ms = median_ms(
                lambda s=signer: build_submission_signature(
                    submission_set_unique_id="1.2.250.1.999.1.1.7898.3.1",
                    documents=docs,
                    signer=s,
                    signature_unique_id="1.2.250.1.999.1.1.7898.4.99",
                ),
                max(n // 4, 10),
            )
            print(f"  {label:32} {vihf_ms:12.2f} {xades_ms:22.2f}")
        raw = software.sign(b"x" * 500)
        raw_ms = median_ms(lambda: software.sign(b"x" * 500), n)
        print(f"  (raw RSA-2048 signature, software: {raw_ms:.2f} ms; {len(raw)} bytes)")

        token = build_vihf(context, patient, signer=software).to_bytes()
        store = pki.trust_store()
        signature = build_submission_signature(
            submission_set_unique_id="1.2.250.1.999.1.1.7898.3.1",
            documents=docs,
            signer=software,
            signature_unique_id="1.2.250.1.999.1.1.7898.4.99",
        )
        print("\nverification (ms)")
        print(f"  VIHF verify (chain + CRL)       {median_ms(lambda: verify_vihf(token, trust_anchors=store), n):8.2f}")
        xv = median_ms(lambda: verify_submission_signature(signature, doc_map, trust_anchors=store), max(n // 4, 10))
        print(f"  XAdES verify + re-hash 3 docs   {xv:8.2f}")
        from dmpclient import _xml
        from dmpclient.security.xades import document_digest

        big = make_document(9, 4096)  # ≈ 3.5 MiB
        c14n = b'<?xml version="1.0" encoding="UTF-8"?>\n' + _xml.canonicalize(
            _xml.parse_bytes(big, huge=True).getroottree(), _xml.C14NMethod.C14N10_COMMENTS
        )
        parsed_ms = median_ms(lambda: document_digest(ManifestDocument("1.2.3", big)), 10)
        streamed_ms = median_ms(lambda: document_digest(ManifestDocument("1.2.3", c14n, canonical=True)), 10)
        print(
            f"\nmanifest digest of a {len(big) / 2**20:.1f} MiB document (ms): parse + C14N {parsed_ms:.1f}, "
            f"canonical=True stream {streamed_ms:.1f}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
