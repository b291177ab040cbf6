"""The XAdES submission-set signature (IHE DSG as the DMP uses it; reference ``xades-signature.md``).

Every TD2.1/TD2.2 lot carries an extra document: an XML signature whose ``ds:Manifest`` lists the
submission set (``urn:oid:<uniqueId>``, digest placeholder ``AA==``) and every document of the lot
(``urn:oid:<uniqueId>``, C14N-with-comments transform, SHA-256 of the canonical document).

* :func:`build_submission_signature` — produces the layout of the official example and of the accepted
  2023 trace: default ``ds`` namespace, ``Signature/@Id`` = the signature document's uniqueId,
  ``Manifest Id="IHEManifest"``, ``SignatureProperties`` in **no namespace**, XAdES 1.1.1
  ``QualifyingProperties`` with ``SignedProperties Id="S0-SignedProperties"`` (SigningTime, SigningCertificate
  v1 for the signer and its chain, SignaturePolicyImplied), SignedInfo c14n = C14N 1.0 with comments, the two
  SignedInfo references without transforms (digested with the default inclusive C14N 1.0), RSA-SHA256.
* :func:`verify_submission_signature` — steps 1–8 of ``xades-signature.md`` §5, reference by reference,
  **including the manifest references** that neither signxml nor xmlsec1 enforce; a :class:`XadesReport`.

Large documents: a :class:`ManifestDocument` built with ``canonical=True`` is hashed as a stream (the CDA
builder emits C14N-1.0-with-comments form), and a pre-computed digest is accepted, so a 100 MiB document is
never parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from pydantic import BaseModel, ConfigDict

from dmpclient import _xml
from dmpclient._models import InputModel
from dmpclient._xml import NS, C14NMethod
from dmpclient.errors import CertificateError, Finding, InputError, Severity, SignatureError, XMLError
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore, dn_string, same_dn
from dmpclient.security.reports import CertificateInfo, Check, chain_check, checks_to_findings
from dmpclient.security.signers import Signer

__all__ = [
    "PURPOSE_OF_SIGNATURE",
    "SUBMISSION_SET_PLACEHOLDER",
    "DmpXadesProfile",
    "ManifestDocument",
    "PrecomputedDigest",
    "ReferenceReport",
    "SigningCertificateVersion",
    "XadesReport",
    "build_submission_signature",
    "document_digest",
    "verify_submission_signature",
]

DS: Final = NS["ds"]
XADES_111: Final = NS["xades"]
XADES_132: Final = NS["xades132"]
#: ASTM E1762 "Source": the SignatureProperty purposeOfSignature of the DMP.
PURPOSE_OF_SIGNATURE: Final = "1.2.840.10065.1.12.1.14"
#: The digest written for the submission-set reference (base64 ``AA==``): a placeholder, never checked.
SUBMISSION_SET_PLACEHOLDER: Final = b"\x00"
MANIFEST_TYPE: Final = "http://www.w3.org/2000/09/xmldsig#Manifest"
_CHUNK: Final = 1024 * 1024


class SigningCertificateVersion(StrEnum):
    """``SigningCertificate`` (XAdES 1.1.1, CertDigest + IssuerSerial; the DMP's) or ``SigningCertificateV2``."""

    V1 = "v1"
    V2 = "v2"


class DmpXadesProfile(InputModel):
    """The layout parameters; defaults follow the most recent accepted trace (``xades-signature.md`` §1, §6).

    Attributes:
        signed_info_c14n: SignedInfo canonicalization (C14N 1.0 with comments, the example's).
        reference_c14n: when set, the two SignedInfo references carry a ``Transforms`` element with this c14n
            (and are digested with it); default None: no Transforms, default inclusive C14N 1.0.
        signature_algorithm / digest_algorithm: ``rsa-sha256`` / ``sha256``; ``legacy_sha1()`` for old layouts.
        document_transform: the manifest transform of documents (None = raw bytes, no Transforms).
        signing_certificate: v1 (the DMP's) or v2 (XAdES 1.3.2 namespace).
        include_chain: list the signer's chain (issuer, root) in SigningCertificate after the signer.
        signature_properties_in_ds: put ``SignatureProperties`` in the ds namespace instead of no namespace.
    """

    model_config = ConfigDict(frozen=True)

    signed_info_c14n: str = C14NMethod.C14N10_COMMENTS.value
    reference_c14n: str | None = None
    signature_algorithm: str = "rsa-sha256"
    digest_algorithm: str = "sha256"
    document_transform: str | None = C14NMethod.C14N10_COMMENTS.value
    signing_certificate: SigningCertificateVersion = SigningCertificateVersion.V1
    include_chain: bool = True
    signature_properties_in_ds: bool = False
    manifest_id: str = "IHEManifest"
    signed_properties_id: str = "S0-SignedProperties"
    purpose_of_signature: str = PURPOSE_OF_SIGNATURE

    @classmethod
    def legacy_sha1(cls) -> DmpXadesProfile:
        """RSA-SHA1 / SHA-1 everywhere, as the 2019 official example (only to reproduce old captures)."""
        return cls(signature_algorithm="rsa-sha1", digest_algorithm="sha1")

    @property
    def xades_namespace(self) -> str:
        """XAdES 1.1.1 for SigningCertificate v1, 1.3.2 for v2."""
        return XADES_132 if self.signing_certificate is SigningCertificateVersion.V2 else XADES_111


@dataclass(frozen=True, slots=True)
class PrecomputedDigest:
    """A document digest computed elsewhere (by the CDA builder while writing a large document)."""

    value: bytes
    algorithm: str = "sha256"


@dataclass(frozen=True, slots=True)
class ManifestDocument:
    """One document of the lot, as the manifest references it.

    Attributes:
        unique_id: the document's XDS uniqueId (an OID; referenced as ``urn:oid:<unique_id>``).
        source: the exact document bytes, a file path, or a :class:`PrecomputedDigest`.
        canonical: the bytes (after an optional leading XML declaration) are already in C14N 1.0 with comments
            form: they are hashed as a stream, never parsed.
    """

    unique_id: str
    source: bytes | str | os.PathLike[str] | PrecomputedDigest
    canonical: bool = False


def _strip_declaration(head: bytes) -> int:
    """Offset of the first canonical byte: after a leading ``<?xml …?>`` (and one newline) if present."""
    if not head.startswith(b"<?xml"):
        return 0
    end = head.find(b"?>")
    if end == -1:
        raise InputError("unterminated XML declaration", field="document", rule="canonical document")
    offset = end + 2
    if head[offset : offset + 2] == b"\r\n":
        return offset + 2
    if head[offset : offset + 1] == b"\n":
        return offset + 1
    return offset


class _StreamDigests(NamedTuple):
    size: int
    raw: dict[str, bytes]
    canonical: dict[str, bytes]


def _stream_digests(
    source: bytes | str | os.PathLike[str],
    *,
    raw: Sequence[str] = (),
    canonical: Sequence[str] = (),
    chunk_size: int = _CHUNK,
    usedforsecurity: bool = True,
) -> _StreamDigests:
    """One streaming pass over a document (also serves :func:`dmpclient.transactions.digest_source`).

    Gives its byte count, the digests (hashlib names) of every byte for ``raw`` and of the bytes after a leading
    XML declaration for ``canonical`` — the manifest digest of a document already in C14N 1.0 with comments
    form. A file is read ``chunk_size`` bytes at a time (opened with :meth:`Path.open`), never whole.
    ``usedforsecurity`` is passed to the ``raw`` hashers (False for the XDS integrity SHA-1).
    """
    whole = {name: hashlib.new(name, usedforsecurity=usedforsecurity) for name in raw}
    after = {name: hashlib.new(name) for name in canonical}

    def update(chunk: bytes, first: bool) -> None:
        for h in whole.values():
            h.update(chunk)
        if after:
            # the declaration is short: it always fits in the first chunk (>= 256 bytes)
            tail = chunk[_strip_declaration(chunk[:256]) :] if first else chunk
            for h in after.values():
                h.update(tail)

    if isinstance(source, bytes):
        update(source, True)
        size = len(source)
    else:
        size = 0
        with Path(source).open("rb") as handle:
            while chunk := handle.read(chunk_size):
                update(chunk, size == 0)
                size += len(chunk)
    return _StreamDigests(size, {n: h.digest() for n, h in whole.items()}, {n: h.digest() for n, h in after.items()})


def _parse_document(source: bytes | str | os.PathLike[str], max_bytes: int) -> etree._ElementTree:
    if isinstance(source, bytes):
        root = _xml.parse_bytes(source, huge=True, max_bytes=max_bytes, origin="manifest document")
    else:
        root = _xml.parse_file(source, huge=True, max_bytes=max_bytes)
    return root.getroottree()


def document_digest(
    document: ManifestDocument,
    *,
    digest_algorithm: str = "sha256",
    transform: str | None = C14NMethod.C14N10_COMMENTS.value,
    max_bytes: int = 2**34,
) -> bytes:
    """The manifest digest of one document: hash of its canonical form (or of its raw bytes without transform).

    Raises:
        InputError: a pre-computed digest of another algorithm.
    """
    name = xmldsig.DIGEST_METHODS.get(digest_algorithm, digest_algorithm)
    src = document.source
    if isinstance(src, PrecomputedDigest):
        if xmldsig.DIGEST_METHODS.get(src.algorithm, src.algorithm) != name:
            raise InputError(
                f"the pre-computed digest is {src.algorithm}, the profile needs {name}",
                field=f"documents[{document.unique_id}]",
                value=src.algorithm,
                rule="manifest digest algorithm",
            )
        return src.value
    if transform is None:
        return _stream_digests(src, raw=(name,)).raw[name]
    method = C14NMethod(transform)
    if document.canonical and method is C14NMethod.C14N10_COMMENTS:
        return _stream_digests(src, canonical=(name,)).canonical[name]
    return hashlib.new(name, _xml.canonicalize(_parse_document(src, max_bytes), method)).digest()


# -------------------------------------------------------------------------------------------- building


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _format_signing_time(value: dt.datetime) -> str:
    local = value if value.tzinfo is not None else value.astimezone()
    return local.isoformat(timespec="milliseconds")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def issuer_serial_v2(cert: x509.Certificate) -> bytes:
    """DER ``IssuerSerial`` (RFC 5035) of a certificate, for ``IssuerSerialV2``."""
    name = cert.issuer.public_bytes()
    general_names = _der(0x30, _der(0xA4, name))
    serial = cert.serial_number
    raw = serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True)
    return _der(0x30, general_names + _der(0x02, raw))


def _signature_properties(sig_id: str, profile: DmpXadesProfile) -> etree._Element:
    ns = f' xmlns="{DS}"' if profile.signature_properties_in_ds else ' xmlns=""'
    target = _xml_attr(f"#{sig_id}")
    purpose = _xml_text(profile.purpose_of_signature)
    fragment = (
        f'<Object xmlns="{DS}"><SignatureProperties{ns}>'
        f'<SignatureProperty Id="purposeOfSignature" Target="{target}">{purpose}</SignatureProperty>'
        f"</SignatureProperties></Object>"
    )
    # Parsed (not built) so that the no-namespace declaration xmlns="" survives serialization (lxml would
    # otherwise write the child without it, silently putting it in the ds namespace).
    return _xml.parse_bytes(fragment.encode("utf-8"), origin="SignatureProperties")


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(value: str) -> str:
    return _xml_text(value).replace('"', "&quot;")


def _qualifying_properties(
    sig_id: str, signer: Signer, signing_time: dt.datetime, profile: DmpXadesProfile
) -> etree._Element:
    xa = profile.xades_namespace
    d_uri = xmldsig.digest_uri(profile.digest_algorithm)
    obj = etree.Element(f"{{{DS}}}Object", nsmap=xmldsig.default_ns(DS))
    qp = etree.SubElement(obj, f"{{{xa}}}QualifyingProperties", nsmap=xmldsig.default_ns(xa), Target=f"#{sig_id}")
    sp = etree.SubElement(qp, f"{{{xa}}}SignedProperties", Id=profile.signed_properties_id)
    ssp = etree.SubElement(sp, f"{{{xa}}}SignedSignatureProperties")
    etree.SubElement(ssp, f"{{{xa}}}SigningTime").text = _format_signing_time(signing_time)
    certs = signer.chain if profile.include_chain else [signer.certificate]
    v2 = profile.signing_certificate is SigningCertificateVersion.V2
    sc = etree.SubElement(ssp, f"{{{xa}}}SigningCertificateV2" if v2 else f"{{{xa}}}SigningCertificate")
    # XAdES 1.1.1 declares CertDigest's children locally (xades namespace); 1.3.2 uses ds:DigestMethod.
    digest_ns = DS if v2 else xa
    for cert in certs:
        der = cert.public_bytes(serialization.Encoding.DER)
        c = etree.SubElement(sc, f"{{{xa}}}Cert")
        cd = etree.SubElement(c, f"{{{xa}}}CertDigest")
        etree.SubElement(cd, f"{{{digest_ns}}}DigestMethod", Algorithm=d_uri)
        etree.SubElement(cd, f"{{{digest_ns}}}DigestValue").text = xmldsig.b64encode(xmldsig.digest(der, d_uri))
        if v2:
            etree.SubElement(c, f"{{{xa}}}IssuerSerialV2").text = xmldsig.b64encode(issuer_serial_v2(cert))
        else:
            isr = etree.SubElement(c, f"{{{xa}}}IssuerSerial")
            etree.SubElement(isr, f"{{{DS}}}X509IssuerName", nsmap=xmldsig.default_ns(DS)).text = dn_string(cert.issuer)
            etree.SubElement(isr, f"{{{DS}}}X509SerialNumber", nsmap=xmldsig.default_ns(DS)).text = str(
                cert.serial_number
            )
    spi = etree.SubElement(ssp, f"{{{xa}}}SignaturePolicyIdentifier")
    etree.SubElement(spi, f"{{{xa}}}SignaturePolicyImplied")
    etree.SubElement(sp, f"{{{xa}}}SignedDataObjectProperties")
    return obj


def build_submission_signature(
    *,
    submission_set_unique_id: str,
    documents: Sequence[ManifestDocument],
    signer: Signer,
    signature_unique_id: str,
    clock: Callable[[], dt.datetime] = _local_now,
    profile: DmpXadesProfile | None = None,
) -> bytes:
    """Build and sign the submission-set signature document (the bytes of the last MIME part).

    Args:
        submission_set_unique_id: the SubmissionSet uniqueId (its manifest reference carries ``AA==``).
        documents: every document of the lot except the signature itself.
        signer: the professional's card signature key (direct mode) or the structure's ORG SIGN key.
        signature_unique_id: the signature document's XDS uniqueId, also written as ``Signature/@Id``.
        clock: the signing time source (local time with offset is written, with milliseconds).
        profile: layout parameters (:class:`DmpXadesProfile`).

    Raises:
        InputError: no documents, duplicate uniqueIds, the signature's id reused by a document.
    """
    prof = profile or DmpXadesProfile()
    ids = [d.unique_id for d in documents]
    if not documents:
        raise InputError("a submission signature covers at least one document", field="documents", value=[])
    if len(set(ids)) != len(ids) or submission_set_unique_id in ids or signature_unique_id in ids:
        raise InputError(
            "uniqueIds of the submission set, the documents and the signature must all differ",
            field="documents",
            value=ids,
            rule="XDS uniqueId",
        )
    d_uri = xmldsig.digest_uri(prof.digest_algorithm)
    sig = etree.Element(f"{{{DS}}}Signature", nsmap=xmldsig.default_ns(DS), Id=signature_unique_id)
    si = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
    etree.SubElement(si, f"{{{DS}}}CanonicalizationMethod", Algorithm=C14NMethod(prof.signed_info_c14n).value)
    etree.SubElement(si, f"{{{DS}}}SignatureMethod", Algorithm=xmldsig.signature_method_uri(prof.signature_algorithm))
    ref_transforms = [xmldsig.Transform(C14NMethod(prof.reference_c14n).value)] if prof.reference_c14n else []
    refs = []
    for uri, type_ in (
        (f"#{prof.manifest_id}", MANIFEST_TYPE),
        (f"#{prof.signed_properties_id}", f"{prof.xades_namespace}SignedProperties"),
    ):
        ref = etree.SubElement(si, f"{{{DS}}}Reference", Type=type_, URI=uri)
        if ref_transforms:
            ref.append(xmldsig.transforms_element(ref_transforms))
        etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=d_uri)
        refs.append(etree.SubElement(ref, f"{{{DS}}}DigestValue"))
    etree.SubElement(sig, f"{{{DS}}}SignatureValue")
    ki = etree.SubElement(sig, f"{{{DS}}}KeyInfo")
    xd = etree.SubElement(ki, f"{{{DS}}}X509Data")
    der = signer.certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(xd, f"{{{DS}}}X509Certificate").text = xmldsig.b64encode(der)

    obj = etree.SubElement(sig, f"{{{DS}}}Object")
    manifest = etree.SubElement(obj, f"{{{DS}}}Manifest", Id=prof.manifest_id)
    ss_ref = etree.SubElement(manifest, f"{{{DS}}}Reference", URI=f"urn:oid:{submission_set_unique_id}")
    etree.SubElement(ss_ref, f"{{{DS}}}DigestMethod", Algorithm=d_uri)
    etree.SubElement(ss_ref, f"{{{DS}}}DigestValue").text = xmldsig.b64encode(SUBMISSION_SET_PLACEHOLDER)
    for doc in documents:
        value = document_digest(doc, digest_algorithm=d_uri, transform=prof.document_transform)
        ref = etree.SubElement(manifest, f"{{{DS}}}Reference", URI=f"urn:oid:{doc.unique_id}")
        if prof.document_transform is not None:
            ref.append(xmldsig.transforms_element([xmldsig.Transform(C14NMethod(prof.document_transform).value)]))
        etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=d_uri)
        etree.SubElement(ref, f"{{{DS}}}DigestValue").text = xmldsig.b64encode(value)
    sig.append(_signature_properties(signature_unique_id, prof))
    sig.append(_qualifying_properties(signature_unique_id, signer, clock(), prof))

    # Inclusive c14n goes through a re-parsed copy of the serialized subtree (the xmlns="" trap), so the
    # digests describe the bytes we return.
    targets = [_by_id(sig, prof.manifest_id), _by_id(sig, prof.signed_properties_id)]
    for dv, target in zip(refs, targets, strict=True):
        dv.text = xmldsig.b64encode(xmldsig.digest(xmldsig.reference_octets(target, ref_transforms), d_uri))
    value = xmldsig.sign_signed_info(si, signer)
    sv = sig.find(f"{{{DS}}}SignatureValue")
    assert sv is not None
    sv.text = xmldsig.b64encode(value)
    return _xml.to_bytes(sig)


def _by_id(root: etree._Element, value: str) -> etree._Element:
    found = xmldsig.find_by_id(root, value, ("Id",))
    if len(found) != 1:
        raise SignatureError(f"Id {value!r} found {len(found)} times")
    return found[0]


# ------------------------------------------------------------------------------------------ verification

RefStatus = Literal[
    "ok", "mismatch", "placeholder", "missing-document", "unresolved", "refused-algorithm", "error", "not-checked"
]


class ReferenceReport(BaseModel):
    """One ``ds:Reference``, as found and as recomputed.

    Attributes:
        role: ``signed-info`` (the two references of SignedInfo) or ``manifest``.
        transforms: the declared transform URIs.
        canonicalization: the c14n used to recompute (declared, or the default for same-document references);
            None for raw-byte digests.
        digest_found / digest_computed: base64 values.
        status: ``ok``, ``mismatch``, ``placeholder`` (the submission set's ``AA==``), ``missing-document``,
            ``unresolved``, ``refused-algorithm``, ``error``, ``not-checked``.
        alternative_match: when the digest does not match, another processing that would have produced it
            (``"exclusive c14n, sha256"``, ``"raw bytes, sha1"``, ``"lxml in-place c14n (xmlns=\\"\\" trap)"``).
    """

    model_config = ConfigDict(frozen=True)

    role: Literal["signed-info", "manifest"]
    uri: str
    type: str | None = None
    unique_id: str | None = None
    transforms: list[str] = []
    canonicalization: str | None = None
    digest_algorithm: str | None = None
    digest_found: str | None = None
    digest_computed: str | None = None
    status: RefStatus
    alternative_match: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool | None:
        """True when verified, None when not checkable (placeholder, not checked), False otherwise."""
        if self.status == "ok":
            return True
        if self.status in ("placeholder", "not-checked"):
            return None
        return False


class XadesReport(BaseModel):
    """Result of :func:`verify_submission_signature`, reference by reference (printed by ``inspect``)."""

    ok: bool
    signature_id: str | None = None
    signed_info_c14n: str | None = None
    signature_method: str | None = None
    signature_value_ok: bool | None = None
    certificate: CertificateInfo | None = None
    signing_time: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    signed_info_references: list[ReferenceReport] = []
    manifest_references: list[ReferenceReport] = []
    checks: list[Check] = []

    @property
    def signature_ok(self) -> bool:
        """The signature itself is valid: SignatureValue and both SignedInfo references verify."""
        return bool(self.signature_value_ok) and all(r.status == "ok" for r in self.signed_info_references)

    @property
    def manifest_ok(self) -> bool:
        """Every manifest reference verifies (the ``AA==`` placeholder excepted)."""
        return all(r.ok is not False for r in self.manifest_references)

    @property
    def failures(self) -> list[Check]:
        """Checks that ran and failed."""
        return [c for c in self.checks if c.failed]

    def findings(self) -> list[Finding]:
        """Failed and skipped checks as findings."""
        out = checks_to_findings(self.checks, prefix="xades")
        for r in (*self.signed_info_references, *self.manifest_references):
            if r.ok is False:
                out.append(
                    Finding(
                        rule=f"xades.reference.{r.status}",
                        message=r.message,
                        location=r.uri,
                        value=r.digest_found,
                    )
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


_C14N_LABELS: Final = {
    C14NMethod.C14N10: "inclusive c14n",
    C14NMethod.C14N10_COMMENTS: "inclusive c14n with comments",
    C14NMethod.EXC_C14N: "exclusive c14n",
    C14NMethod.EXC_C14N_COMMENTS: "exclusive c14n with comments",
}
_HASHES: Final = ("sha1", "sha256", "sha384", "sha512")


def _alternative_same_document(target: etree._Element, found: bytes) -> str | None:
    variants: list[tuple[str, bytes]] = []
    for method, label in _C14N_LABELS.items():
        try:
            variants.append((label, _xml.canonicalize(target, method)))
        except XMLError:
            continue
    variants.append(('lxml in-place inclusive c14n (the xmlns="" trap)', etree.tostring(target, method="c14n")))
    return _match(variants, found)


def _alternative_document(data: bytes, found: bytes) -> str | None:
    variants: list[tuple[str, bytes]] = [("raw bytes", data)]
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if body is not data:
        variants.append(("raw bytes without BOM", body))
    if b"\r\n" in data:
        variants.append(("raw bytes with LF line ends", body.replace(b"\r\n", b"\n")))
    try:
        tree = _parse_document(data, len(data) + 1)
        for method, label in _C14N_LABELS.items():
            variants.append((f"parsed document, {label}", _xml.canonicalize(tree, method)))
    except XMLError:
        pass
    return _match(variants, found)


def _match(variants: Iterable[tuple[str, bytes]], found: bytes) -> str | None:
    for label, octets in variants:
        for name in _HASHES:
            if hashlib.new(name, octets).digest() == found:
                return f"{label}, {name}"
    return None


def _strip_oid(uri: str) -> str:
    return uri[len("urn:oid:") :] if uri.startswith("urn:oid:") else uri


def _document_bytes(source: bytes | str | os.PathLike[str]) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def verify_submission_signature(
    signature_bytes: bytes,
    documents: Mapping[str, bytes | str | os.PathLike[str]] | None = None,
    *,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None = None,
    at: dt.datetime | None = None,
    allowed_algorithms: Iterable[str] = xmldsig.DEFAULT_ALLOWED,
    submission_set_unique_id: str | None = None,
    max_document_bytes: int = 256 * 1024 * 1024,
) -> XadesReport:
    """Verify a submission-set signature and the documents it covers (``xades-signature.md`` §5).

    Args:
        signature_bytes: the signature document (the last MIME part of a TD2.1).
        documents: uniqueId (with or without ``urn:oid:``) → exact document bytes or file path; None skips the
            manifest re-hash (manifest references reported ``not-checked``).
        trust_anchors: the anchors for the signer's chain; None skips the chain check.
        at: the time for certificate validity (default: the SigningTime, else now).
        allowed_algorithms: algorithm URIs accepted (pass ``xmldsig.LEGACY_ALLOWED`` for SHA-1 captures).
        submission_set_unique_id: the lot's SubmissionSet uniqueId, when known (its reference must exist).

    Returns a report; nothing is raised for an invalid signature (``report.ok`` is False), only for
    unparseable input (:class:`~dmpclient.errors.XMLError`).
    """
    allowed = frozenset(allowed_algorithms)
    checks: list[Check] = []
    out: dict[str, Any] = {}

    def add(name: str, ok: bool | None, message: str, severity: Severity = Severity.ERROR) -> None:
        checks.append(Check(name=name, ok=ok, message=message, severity=severity))

    def finish() -> XadesReport:
        failed = any(c.failed for c in checks) or any(
            r.ok is False for r in (*out.get("signed_info_references", []), *out.get("manifest_references", []))
        )
        return XadesReport(ok=not failed, checks=checks, **out)

    # 1. parse; one ds:Signature root
    root = _xml.parse_bytes(signature_bytes, origin="XAdES signature")
    if root.tag != f"{{{DS}}}Signature":
        add("root", False, f"the document root is {root.tag}, expected ds:Signature")
        return finish()
    sig_id = root.get("Id")
    out["signature_id"] = sig_id
    si = root.find(f"{{{DS}}}SignedInfo")
    if si is None:
        add("root", False, "ds:Signature without SignedInfo")
        return finish()
    add("root", True, "one ds:Signature")
    c14n = xmldsig.algorithm_of(si, "CanonicalizationMethod")
    sm_uri = xmldsig.algorithm_of(si, "SignatureMethod")
    out["signed_info_c14n"] = c14n
    out["signature_method"] = sm_uri
    for label, uri in (("SignedInfo c14n", c14n), ("SignatureMethod", sm_uri)):
        if uri not in allowed:
            add("algorithms", False, f"{label} {uri!r} not allowed")

    # 2. resolve the SignedInfo references inside this signature's ds:Object children only
    objects = root.findall(f"{{{DS}}}Object")
    ids: dict[str, list[etree._Element]] = {}
    for el in root.iter(etree.Element):
        for attr in ("Id", "ID", "id"):
            value = el.get(attr)
            if value is not None:
                ids.setdefault(value, []).append(el)
    duplicates = sorted(k for k, v in ids.items() if len(v) > 1)
    if duplicates:
        add("ids", False, f"duplicate Id values {duplicates} (signature wrapping?)")
    si_refs = si.findall(f"{{{DS}}}Reference")
    if len(si_refs) != 2:
        add(
            "signed-info-references",
            False,
            f"expected 2 SignedInfo references (manifest, SignedProperties), found {len(si_refs)}",
        )
    ref_reports: list[ReferenceReport] = []
    resolved: dict[str, etree._Element] = {}
    for ref in si_refs:
        report, target = _check_same_document_reference(ref, root, objects, ids, allowed)
        ref_reports.append(report)
        if target is not None:
            resolved[etree.QName(target).localname] = target
    out["signed_info_references"] = ref_reports
    types = {etree.QName(t).localname for t in resolved.values()}
    if len(si_refs) == 2 and types != {"Manifest", "SignedProperties"}:
        add(
            "signed-info-references",
            False,
            f"the references must cover a Manifest and SignedProperties, got {sorted(types)}",
        )

    # 4. SignatureValue with the embedded certificate
    certs = root.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    cert: x509.Certificate | None = None
    if len(certs) != 1:
        add("key-info", False, f"expected one X509Certificate, found {len(certs)}")
    else:
        try:
            der, cert, parse_error = xmldsig.certificate_from_b64(certs[0].text)
            out["certificate"] = CertificateInfo.from_der(der, cert, parse_error)
            public_key = xmldsig.public_key_from_certificate_der(der)
            if sm_uri in allowed and c14n in allowed:
                ok = xmldsig.signature_value_verifies(root, si, public_key, sm_uri or "")
                out["signature_value_ok"] = ok
                add("signature-value", ok, "SignatureValue verifies" if ok else "SignatureValue does not verify")
        except SignatureError as exc:
            add("key-info", False, str(exc))

    # SigningTime, certificate validity and chain
    signed_props = resolved.get("SignedProperties")
    signing_time = _signing_time(signed_props)
    out["signing_time"] = signing_time
    when = at or signing_time or dt.datetime.now(dt.UTC)
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    out["checked_at"] = when
    if cert is not None:
        _certificate_checks(cert, trust_anchors, when, add)
        # 5. SigningCertificate
        if signed_props is not None:
            _signing_certificate_check(signed_props, cert, allowed, add)
    # 8. purposeOfSignature and QualifyingProperties/@Target
    _purpose_checks(root, sig_id, signed_props, add)

    # 6-7. manifest references
    manifest = resolved.get("Manifest")
    if manifest is not None:
        out["manifest_references"] = _manifest_references(
            manifest, documents, allowed, submission_set_unique_id, max_document_bytes, add
        )
    return finish()


def _check_same_document_reference(
    ref: etree._Element,
    root: etree._Element,
    objects: Sequence[etree._Element],
    ids: Mapping[str, list[etree._Element]],
    allowed: frozenset[str],
) -> tuple[ReferenceReport, etree._Element | None]:
    uri = ref.get("URI") or ""
    type_ = ref.get("Type")
    transforms = xmldsig.parse_transforms(ref)
    dm_uri = xmldsig.algorithm_of(ref, "DigestMethod")
    found_text = ref.findtext(f"{{{DS}}}DigestValue")
    base: dict[str, Any] = {
        "role": "signed-info",
        "uri": uri,
        "type": type_,
        "transforms": [t.algorithm for t in transforms],
        "digest_algorithm": dm_uri,
        "digest_found": "".join((found_text or "").split()) or None,
    }
    if not uri.startswith("#"):
        return ReferenceReport(
            status="unresolved", message="SignedInfo references must be same-document (#Id)", **base
        ), None
    targets = ids.get(uri[1:], [])
    if len(targets) != 1:
        return ReferenceReport(status="unresolved", message=f"Id {uri[1:]!r} found {len(targets)} times", **base), None
    target = targets[0]
    if not any(o is target or target in o.iterdescendants() for o in objects) or not _is_child_of_object(target, root):
        return (
            ReferenceReport(
                status="unresolved", message="the referenced element is not inside this signature's ds:Object", **base
            ),
            None,
        )
    refused = [u for u in (dm_uri, *(t.algorithm for t in transforms)) if u not in allowed]
    if refused:
        return ReferenceReport(status="refused-algorithm", message=f"not allowed: {refused}", **base), target
    c14n = next((t.algorithm for t in transforms if t.algorithm in xmldsig.C14N_METHODS), C14NMethod.C14N10.value)
    try:
        found = xmldsig.b64decode(found_text, what="DigestValue")
        computed = xmldsig.digest(xmldsig.reference_octets(target, transforms), dm_uri or "")
    except SignatureError as exc:
        return ReferenceReport(status="error", canonicalization=c14n, message=str(exc), **base), target
    base["canonicalization"] = c14n
    base["digest_computed"] = xmldsig.b64encode(computed)
    if computed == found:
        return ReferenceReport(status="ok", message="digest matches", **base), target
    alt = _alternative_same_document(target, found)
    return (
        ReferenceReport(
            status="mismatch",
            alternative_match=alt,
            message="digest does not match" + (f"; it matches {alt}" if alt else ""),
            **base,
        ),
        target,
    )


def _is_child_of_object(target: etree._Element, root: etree._Element) -> bool:
    node: etree._Element | None = target
    while node is not None and node.getparent() is not root:
        node = node.getparent()
    return node is not None and node.tag == f"{{{DS}}}Object"


def _signing_time(signed_props: etree._Element | None) -> dt.datetime | None:
    if signed_props is None:
        return None
    for ns in (XADES_111, XADES_132):
        text = signed_props.findtext(f"{{{ns}}}SignedSignatureProperties/{{{ns}}}SigningTime")
        if text:
            try:
                value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return None


def _certificate_checks(
    cert: x509.Certificate,
    trust: TrustStore | Sequence[x509.Certificate] | None,
    when: dt.datetime,
    add: Callable[..., None],
) -> None:
    valid = cert.not_valid_before_utc <= when <= cert.not_valid_after_utc
    add(
        "certificate-validity",
        valid,
        f"certificate valid at {when.isoformat()}"
        if valid
        else f"certificate not valid at {when.isoformat()} (valid {cert.not_valid_before_utc.date()} to "
        f"{cert.not_valid_after_utc.date()})",
    )
    chain_check(cert, trust, when, add)
    from dmpclient.security.reports import key_usages

    usages = key_usages(cert)
    if usages:
        ok = "nonRepudiation" in usages or "digitalSignature" in usages
        add("key-usage", ok, f"KeyUsage {usages}" if ok else f"KeyUsage {usages} does not allow signatures")


def _signing_certificate_check(
    signed_props: etree._Element, cert: x509.Certificate, allowed: frozenset[str], add: Callable[..., None]
) -> None:
    ns = etree.QName(signed_props).namespace or XADES_111
    ssp = signed_props.find(f"{{{ns}}}SignedSignatureProperties")
    sc = None if ssp is None else ssp.find(f"{{{ns}}}SigningCertificate")
    v2 = None if ssp is None else ssp.find(f"{{{ns}}}SigningCertificateV2")
    holder = sc if sc is not None else v2
    if holder is None:
        add("signing-certificate", False, "no SigningCertificate in SignedProperties")
        return
    first = holder.find(f"{{{ns}}}Cert")
    if first is None:
        add("signing-certificate", False, "SigningCertificate lists no Cert")
        return
    der = cert.public_bytes(serialization.Encoding.DER)
    dm = first.find(f"{{{ns}}}CertDigest/{{{ns}}}DigestMethod")
    if dm is None:
        dm = first.find(f"{{{ns}}}CertDigest/{{{DS}}}DigestMethod")
    dv = first.findtext(f"{{{ns}}}CertDigest/{{{ns}}}DigestValue") or first.findtext(
        f"{{{ns}}}CertDigest/{{{DS}}}DigestValue"
    )
    uri = dm.get("Algorithm") if dm is not None else None
    if uri not in allowed:
        add("signing-certificate", False, f"CertDigest algorithm {uri!r} not allowed")
        return
    try:
        digest_ok = xmldsig.b64decode(dv, what="CertDigest") == xmldsig.digest(der, uri or "")
    except SignatureError as exc:
        add("signing-certificate", False, str(exc))
        return
    problems = [] if digest_ok else ["the first CertDigest is not the digest of the signing certificate"]
    if holder is sc:
        issuer = first.findtext(f"{{{ns}}}IssuerSerial/{{{DS}}}X509IssuerName") or ""
        serial = (first.findtext(f"{{{ns}}}IssuerSerial/{{{DS}}}X509SerialNumber") or "").strip()
        try:
            issuer_ok = same_dn(issuer, cert.issuer)
        except CertificateError:
            issuer_ok = False
        if not issuer_ok:
            problems.append(f"IssuerSerial issuer {issuer!r} differs from the certificate issuer")
        if serial != str(cert.serial_number):
            problems.append(f"IssuerSerial serial {serial!r} differs from {cert.serial_number}")
    else:
        text = first.findtext(f"{{{ns}}}IssuerSerialV2")
        if text is not None and xmldsig.b64decode(text, what="IssuerSerialV2") != issuer_serial_v2(cert):
            problems.append("IssuerSerialV2 does not describe the signing certificate")
    add(
        "signing-certificate",
        not problems,
        "; ".join(problems) if problems else "SigningCertificate names the signing certificate",
    )


def _purpose_checks(
    root: etree._Element, sig_id: str | None, signed_props: etree._Element | None, add: Callable[..., None]
) -> None:
    expected_target = f"#{sig_id}"
    props = [
        p for p in root.iter("SignatureProperty", f"{{{DS}}}SignatureProperty") if p.get("Id") == "purposeOfSignature"
    ]
    if len(props) != 1:
        add("purpose-of-signature", False, f"expected one SignatureProperty purposeOfSignature, found {len(props)}")
    else:
        p = props[0]
        text = (p.text or "").strip()
        problems = []
        if text != PURPOSE_OF_SIGNATURE:
            problems.append(f"value {text!r}, expected {PURPOSE_OF_SIGNATURE}")
        if p.get("Target") != expected_target:
            problems.append(f"Target {p.get('Target')!r}, expected {expected_target!r}")
        ns_note = "no namespace" if etree.QName(p).namespace is None else "ds namespace"
        add(
            "purpose-of-signature",
            not problems,
            "; ".join(problems) if problems else f"purposeOfSignature {PURPOSE_OF_SIGNATURE} ({ns_note})",
        )
    if signed_props is not None:
        qp = signed_props.getparent()
        target = qp.get("Target") if qp is not None else None
        add(
            "qualifying-properties-target",
            target == expected_target,
            f"QualifyingProperties Target {target!r}"
            + ("" if target == expected_target else f", expected {expected_target!r}"),
        )


def _manifest_references(
    manifest: etree._Element,
    documents: Mapping[str, bytes | str | os.PathLike[str]] | None,
    allowed: frozenset[str],
    submission_set_unique_id: str | None,
    max_bytes: int,
    add: Callable[..., None],
) -> list[ReferenceReport]:
    docs = {_strip_oid(k): v for k, v in (documents or {}).items()}
    reports: list[ReferenceReport] = []
    seen: list[str] = []
    placeholder_b64 = xmldsig.b64encode(SUBMISSION_SET_PLACEHOLDER)
    for ref in manifest.iterfind(f"{{{DS}}}Reference"):
        uri = ref.get("URI") or ""
        uid = _strip_oid(uri)
        seen.append(uid)
        transforms = xmldsig.parse_transforms(ref)
        dm_uri = xmldsig.algorithm_of(ref, "DigestMethod")
        found_text = "".join((ref.findtext(f"{{{DS}}}DigestValue") or "").split())
        base: dict[str, Any] = {
            "role": "manifest",
            "uri": uri,
            "unique_id": uid,
            "transforms": [t.algorithm for t in transforms],
            "digest_algorithm": dm_uri,
            "digest_found": found_text or None,
        }
        is_ss = uid == submission_set_unique_id if submission_set_unique_id else uid not in docs
        if is_ss and found_text == placeholder_b64:
            reports.append(
                ReferenceReport(status="placeholder", message="submission-set placeholder AA== (not checkable)", **base)
            )
            continue
        if not uri.startswith("urn:oid:"):
            reports.append(ReferenceReport(status="unresolved", message="manifest URIs are urn:oid:<uniqueId>", **base))
            continue
        refused = [u for u in (dm_uri, *(t.algorithm for t in transforms)) if u not in allowed]
        if refused:
            reports.append(ReferenceReport(status="refused-algorithm", message=f"not allowed: {refused}", **base))
            continue
        if documents is None:
            reports.append(ReferenceReport(status="not-checked", message="documents not provided", **base))
            continue
        if uid not in docs:
            reports.append(
                ReferenceReport(status="missing-document", message=f"no document {uid} in the submission", **base)
            )
            continue
        if any(t.algorithm not in xmldsig.C14N_METHODS for t in transforms) or len(transforms) > 1:
            reports.append(ReferenceReport(status="error", message="unsupported manifest transforms", **base))
            continue
        c14n = transforms[0].algorithm if transforms else None
        base["canonicalization"] = c14n
        try:
            data = _document_bytes(docs[uid])
            octets = data if c14n is None else _xml.canonicalize(_parse_document(data, max_bytes), C14NMethod(c14n))
            computed = xmldsig.digest(octets, dm_uri or "")
            found = xmldsig.b64decode(found_text, what="DigestValue")
        except (XMLError, SignatureError, OSError) as exc:
            reports.append(ReferenceReport(status="error", message=str(exc), **base))
            continue
        base["digest_computed"] = xmldsig.b64encode(computed)
        if computed == found:
            reports.append(ReferenceReport(status="ok", message="document digest matches", **base))
            continue
        alt = _alternative_document(data, found)
        message = "the document does not match the manifest digest" + (
            f"; it matches {alt}" if alt else " under any canonicalization or hash tried"
        )
        reports.append(ReferenceReport(status="mismatch", alternative_match=alt, message=message, **base))
    # 6-7. the submission set is referenced; every document exactly once, nothing else
    if submission_set_unique_id is not None and submission_set_unique_id not in seen:
        add("manifest-submission-set", False, f"no manifest reference to the submission set {submission_set_unique_id}")
    elif not any(r.status == "placeholder" for r in reports) and submission_set_unique_id is None:
        add("manifest-submission-set", False, "no submission-set reference (AA== placeholder) in the manifest")
    else:
        add("manifest-submission-set", True, "submission-set reference present")
    doubles = sorted({u for u in seen if seen.count(u) > 1})
    if doubles:
        add("manifest-coverage", False, f"referenced more than once: {doubles}")
    if documents is not None:
        missing = sorted(set(docs) - set(seen))
        if missing:
            add("manifest-coverage", False, f"documents of the submission not covered by the manifest: {missing}")
        elif not doubles:
            add("manifest-coverage", True, "every document is referenced exactly once")
    return reports
