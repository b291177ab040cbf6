"""Naming algorithms, and finding which processing of a document would have produced a given digest.

When a manifest digest does not match, a vendor needs to know *why*: did the signer hash the raw bytes
instead of the canonical form, keep a BOM, use exclusive instead of inclusive c14n, SHA-1 instead of
SHA-256? :func:`document_variants` lists the processings worth trying and :func:`find_match` names the one
that reproduces the digest (or says none did, with the list tried).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from dmpclient import _xml
from dmpclient._xml import C14NMethod
from dmpclient.errors import XMLError
from dmpclient.security import xmldsig

__all__ = [
    "C14N_NAMES",
    "HASH_NAMES",
    "algorithm_name",
    "document_variants",
    "find_match",
    "signed_info_variant",
    "tried_text",
]

#: Canonicalisation URI → name used in the report.
C14N_NAMES: Final[dict[str, str]] = {
    C14NMethod.C14N10.value: "inclusive C14N 1.0 without comments",
    C14NMethod.C14N10_COMMENTS.value: "inclusive C14N 1.0 with comments",
    C14NMethod.EXC_C14N.value: "exclusive C14N without comments",
    C14NMethod.EXC_C14N_COMMENTS.value: "exclusive C14N with comments",
}
#: hashlib name → name used in the report.
HASH_NAMES: Final[dict[str, str]] = {"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
_OTHER_NAMES: Final[dict[str, str]] = {
    xmldsig.ENVELOPED: "enveloped-signature",
    **{uri: f"RSA-{h.upper()}" for uri, h in xmldsig.SIGNATURE_METHODS.items()},
    **{uri: HASH_NAMES[h] for uri, h in xmldsig.DIGEST_METHODS.items()},
}
_IN_PLACE: Final = 'lxml\'s in-place inclusive C14N of the element (the xmlns="" trap of signxml-made signatures)'
#: The labels of :mod:`dmpclient.security.xades` (``alternative_match``) → report names.
_XADES_LABELS: Final[dict[str, str]] = {
    "inclusive c14n with comments": C14N_NAMES[C14NMethod.C14N10_COMMENTS.value],
    "inclusive c14n": C14N_NAMES[C14NMethod.C14N10.value],
    "exclusive c14n with comments": C14N_NAMES[C14NMethod.EXC_C14N_COMMENTS.value],
    "exclusive c14n": C14N_NAMES[C14NMethod.EXC_C14N.value],
    'lxml in-place inclusive c14n (the xmlns="" trap)': _IN_PLACE,
}

#: What the XAdES verifier tries for a SignedInfo reference whose digest does not match.
SIGNED_INFO_TRIED: Final[tuple[str, ...]] = (
    *C14N_NAMES.values(),
    _IN_PLACE,
)


def algorithm_name(uri: str | None) -> str | None:
    """A readable name for an algorithm URI (the URI itself when unknown)."""
    if uri is None:
        return None
    return C14N_NAMES.get(uri) or _OTHER_NAMES.get(uri) or uri


def signed_info_variant(label: str | None) -> str | None:
    """Turn an ``alternative_match`` of the XAdES verifier (``"inclusive c14n, sha1"``) into report words."""
    if not label:
        return None
    processing, _, hash_name = label.rpartition(", ")
    if not processing:
        return label
    return f"{_XADES_LABELS.get(processing, processing)}, {HASH_NAMES.get(hash_name, hash_name)}"


def document_variants(data: bytes) -> list[tuple[str, bytes]]:
    """The processings of a document's bytes that signers use (or get wrong), with their output."""
    variants: list[tuple[str, bytes]] = [("the raw bytes", data)]
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if body is not data:
        variants.append(("the raw bytes without the BOM", body))
    if b"\r\n" in body:
        variants.append(("the raw bytes with LF line ends", body.replace(b"\r\n", b"\n")))
    elif b"\n" in body:
        variants.append(("the raw bytes with CRLF line ends", body.replace(b"\n", b"\r\n")))
    try:
        tree = _xml.parse_bytes(
            data, huge=True, max_bytes=max(len(data) + 1, _xml.DEFAULT_MAX_BYTES), origin="document"
        )
    except XMLError:
        return variants
    for method in C14NMethod:
        variants.append(
            (f"the parsed document in {C14N_NAMES[method.value]}", _xml.canonicalize(tree.getroottree(), method))
        )
    return variants


def tried_text(tried: Iterable[str]) -> str:
    """``"tried: a, b, c, each with SHA-1/SHA-256/…"``."""
    return f"tried: {', '.join(tried)}, each with {'/'.join(HASH_NAMES.values())}"


def find_match(variants: Iterable[tuple[str, bytes]], digest: bytes) -> tuple[str | None, list[str]]:
    """The first ``"<processing>, <hash>"`` whose digest equals ``digest``, and every processing tried (each
    with every hash of :data:`HASH_NAMES`)."""
    tried: list[str] = []
    found: str | None = None
    for label, octets in variants:
        tried.append(label)
        if found is not None:
            continue
        for name in HASH_NAMES:
            if hashlib.new(name, octets).digest() == digest:
                found = f"{label}, {HASH_NAMES[name]}"
                break
    return found, tried
