"""A small XML-DSig core: algorithm URIs, reference digesting, SignedInfo signing and verification.

dmpclient signs and verifies its XML signatures (VIHF, XAdES) with this module rather than with signxml,
because signxml has three defects that matter for the DMP (``library-notes.md``):

1. it digests the XAdES ``SignedProperties``/``KeyInfo`` references with its configured c14n **without
   writing** a ``Transforms`` element, so any non-default c14n produces invalid signatures — here every
   reference digest is computed from the transforms that are actually written, and a reference without
   transforms is digested with the XML-DSig default (inclusive C14N 1.0, no comments);
2. it does not write ``InclusiveNamespaces PrefixList`` when signing — here it is written whenever used;
3. it canonicalizes referenced subtrees *in place*, where lxml's inclusive C14N emits spurious ``xmlns=""``
   in the DMP's default-namespace layout, so it rejects valid DMP signatures — here every inclusive
   canonicalization goes through :func:`dmpclient._xml.canonicalize` (re-parsed standalone copy).

Verification is explicit: the caller gives the set of algorithm URIs it accepts (:data:`DEFAULT_ALLOWED`;
SHA-1 only in :data:`LEGACY_ALLOWED`, for old captures).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, C14NMethod
from dmpclient.errors import SignatureError
from dmpclient.security.signers import Signer, crypto_hash

__all__ = [
    "C14N_METHODS",
    "DEFAULT_ALLOWED",
    "DIGEST_METHODS",
    "ENVELOPED",
    "LEGACY_ALLOWED",
    "SIGNATURE_METHODS",
    "Transform",
    "algorithm_of",
    "b64decode",
    "b64encode",
    "canonical_signed_info",
    "certificate_from_b64",
    "digest",
    "digest_uri",
    "find_by_id",
    "parse_transforms",
    "public_key_from_certificate_der",
    "reference_octets",
    "sign_signed_info",
    "signature_method_uri",
    "signature_value_verifies",
    "transforms_element",
    "verify_signature_value",
]

DS: Final = NS["ds"]
EC: Final = NS["ec"]

#: The enveloped-signature transform.
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

#: Signature method URI → hashlib name.
SIGNATURE_METHODS: Final[dict[str, str]] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": "sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "sha512",
}
#: Digest method URI → hashlib name.
DIGEST_METHODS: Final[dict[str, str]] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
#: The four canonicalization URIs.
C14N_METHODS: Final = frozenset(m.value for m in C14NMethod)

RSA_SHA1: Final = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA1: Final = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"

#: What a verifier accepts by default: RSA-SHA256, SHA-256 (and larger), the four c14n, enveloped.
DEFAULT_ALLOWED: Final[frozenset[str]] = frozenset(
    {
        RSA_SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        SHA256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
        ENVELOPED,
        *C14N_METHODS,
    }
)
#: :data:`DEFAULT_ALLOWED` plus RSA-SHA1 and SHA-1: only to read old captures (the official examples).
LEGACY_ALLOWED: Final[frozenset[str]] = DEFAULT_ALLOWED | {RSA_SHA1, SHA1}

_SHORT_TO_SIGNATURE_URI: Final = {f"rsa-{h}": uri for uri, h in SIGNATURE_METHODS.items()}
_HASH_TO_DIGEST_URI: Final = {h: uri for uri, h in DIGEST_METHODS.items()}
_ID_ATTRIBUTES: Final = ("ID", "Id", "id")


def default_ns(uri: str) -> dict[str, str]:
    """An lxml ``nsmap`` declaring ``uri`` as the default namespace (typed for the lxml stubs)."""
    return cast("dict[str, str]", {None: uri})


def signature_method_uri(algorithm: str) -> str:
    """``rsa-sha256`` → ``http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`` (URIs pass through)."""
    if algorithm in SIGNATURE_METHODS:
        return algorithm
    try:
        return _SHORT_TO_SIGNATURE_URI[algorithm]
    except KeyError:
        raise SignatureError(f"unknown signature algorithm {algorithm!r}") from None


def digest_uri(algorithm: str) -> str:
    """``sha256`` → ``http://www.w3.org/2001/04/xmlenc#sha256`` (URIs pass through)."""
    if algorithm in DIGEST_METHODS:
        return algorithm
    try:
        return _HASH_TO_DIGEST_URI[algorithm]
    except KeyError:
        raise SignatureError(f"unknown digest algorithm {algorithm!r}") from None


def short_signature_name(uri: str) -> str:
    """``…#rsa-sha256`` → ``rsa-sha256``."""
    return f"rsa-{SIGNATURE_METHODS[uri]}"


def digest(data: bytes, method: str) -> bytes:
    """Digest ``data`` with a digest method URI or a hashlib name."""
    name = DIGEST_METHODS.get(method, method)
    try:
        return hashlib.new(name, data).digest()
    except ValueError:
        raise SignatureError(f"unknown digest algorithm {method!r}") from None


def b64encode(data: bytes) -> str:
    """Base64 without line breaks (what we write)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | None, *, what: str = "base64 value") -> bytes:
    """Decode base64 ignoring whitespace (captures wrap lines); raise :class:`SignatureError` if invalid."""
    compact = "".join((text or "").split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not valid base64") from None


# ---------------------------------------------------------------------------------------- transforms


@dataclass(frozen=True, slots=True)
class Transform:
    """One ``ds:Transform``: an algorithm URI and, for exclusive c14n, the ``InclusiveNamespaces`` list."""

    algorithm: str
    inclusive_prefixes: tuple[str, ...] | None = None


def parse_transforms(reference: etree._Element) -> list[Transform]:
    """The transforms declared by a ``ds:Reference`` (empty list when there is no ``ds:Transforms``)."""
    result: list[Transform] = []
    container = reference.find(f"{{{DS}}}Transforms")
    if container is None:
        return result
    for t in container.iterfind(f"{{{DS}}}Transform"):
        algorithm = t.get("Algorithm") or ""
        inc = t.find(f"{{{EC}}}InclusiveNamespaces")
        prefixes = tuple((inc.get("PrefixList") or "").split()) if inc is not None else None
        result.append(Transform(algorithm, prefixes))
    return result


def transforms_element(transforms: Sequence[Transform]) -> etree._Element:
    """Build a ``ds:Transforms`` element (``ds`` as default namespace, the DMP layout)."""
    container = etree.Element(f"{{{DS}}}Transforms", nsmap=default_ns(DS))
    for t in transforms:
        el = etree.SubElement(container, f"{{{DS}}}Transform", Algorithm=t.algorithm)
        if t.inclusive_prefixes is not None:
            inc = etree.SubElement(el, f"{{{EC}}}InclusiveNamespaces", nsmap={"ec": EC})
            inc.set("PrefixList", " ".join(t.inclusive_prefixes))
    return container


def _index_path(ancestor: etree._Element, node: etree._Element) -> list[int]:
    path: list[int] = []
    current = node
    while current is not ancestor:
        parent = current.getparent()
        if parent is None:
            raise SignatureError("the enveloped signature is not inside the referenced element")
        path.append(parent.index(current))
        current = parent
    return list(reversed(path))


def _remove_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _standalone_copy(target: etree._Element) -> etree._Element:
    """A re-parsed copy of ``target`` as a document root, with inherited ``xml:*`` attributes."""
    copy = _xml.parse_bytes(etree.tostring(target, with_tail=False), huge=True, origin="reference subtree")
    xml_ns = f"{{{NS['xml']}}}"
    for ancestor in target.iterancestors():
        for name, value in ancestor.attrib.items():
            key = name.decode() if isinstance(name, bytes) else name
            if key.startswith(xml_ns) and key not in copy.attrib:
                copy.set(key, value)
    return copy


def _strip_comments(root: etree._Element) -> None:
    for comment in list(root.iter(etree.Comment)):
        _remove_keep_tail(comment)


def reference_octets(
    target: etree._Element,
    transforms: Sequence[Transform],
    *,
    signature: etree._Element | None = None,
    same_document: bool = True,
) -> bytes:
    """The octets a same-document reference digests: ``target`` after its transform chain.

    Supported transforms: enveloped-signature (``signature`` is the ``ds:Signature`` to remove) and the four
    canonicalization methods. Without a c14n transform, the node-set is converted to octets with inclusive
    C14N 1.0 (XML-DSig §4.3.3.2). A bare-name ``#id`` reference excludes comments (§4.3.3.3), whatever the
    c14n algorithm says.

    Raises:
        SignatureError: an unsupported transform (XPath, XSLT, base64…), which a DMP signature never uses.
    """
    c14n: Transform | None = None
    enveloped = False
    for t in transforms:
        if t.algorithm == ENVELOPED:
            enveloped = True
        elif t.algorithm in C14N_METHODS:
            c14n = t
        else:
            raise SignatureError(f"unsupported transform {t.algorithm!r}")
    method = C14NMethod(c14n.algorithm) if c14n else C14NMethod.C14N10
    prefixes = c14n.inclusive_prefixes if c14n else None
    if same_document and method.with_comments:
        method = C14NMethod.EXC_C14N if method.exclusive else C14NMethod.C14N10
    needs_copy = enveloped or not method.exclusive or (same_document and _has_comments(target))
    if not needs_copy:
        return _xml.canonicalize(target, method, inclusive_prefixes=prefixes)
    copy = _standalone_copy(target)
    if enveloped:
        if signature is None:
            raise SignatureError("enveloped-signature transform without a signature to remove")
        path = _index_path(target, signature)
        node = copy
        for i in path:
            node = node[i]
        _remove_keep_tail(node)
    if same_document:
        _strip_comments(copy)
    return _xml.canonicalize(copy, method, inclusive_prefixes=prefixes)


def _has_comments(element: etree._Element) -> bool:
    return next(element.iter(etree.Comment), None) is not None


# ------------------------------------------------------------------------------------------ SignedInfo


def canonical_signed_info(signed_info: etree._Element) -> bytes:
    """``ds:SignedInfo`` canonicalized with its own ``CanonicalizationMethod`` (comments kept if declared)."""
    cm = signed_info.find(f"{{{DS}}}CanonicalizationMethod")
    algorithm = cm.get("Algorithm") if cm is not None else None
    if algorithm not in C14N_METHODS:
        raise SignatureError(f"unsupported SignedInfo canonicalization {algorithm!r}")
    assert cm is not None
    assert algorithm is not None
    inc = cm.find(f"{{{EC}}}InclusiveNamespaces")
    prefixes = (inc.get("PrefixList") or "").split() if inc is not None else None
    return _xml.canonicalize(signed_info, C14NMethod(algorithm), inclusive_prefixes=prefixes)


def algorithm_of(parent: etree._Element, local: str) -> str | None:
    """``@Algorithm`` of the ``ds:<local>`` child (``CanonicalizationMethod``, ``SignatureMethod``,
    ``DigestMethod``), None when the child is absent."""
    node = parent.find(f"{{{DS}}}{local}")
    return node.get("Algorithm") if node is not None else None


def sign_signed_info(signed_info: etree._Element, signer: Signer) -> bytes:
    """Canonicalize ``signed_info`` (declared method) and sign it with its declared ``SignatureMethod``."""
    uri = algorithm_of(signed_info, "SignatureMethod")
    if uri not in SIGNATURE_METHODS:
        raise SignatureError(f"unsupported signature method {uri!r}")
    assert uri is not None
    return signer.sign(canonical_signed_info(signed_info), short_signature_name(uri))


def verify_signature_value(public_key: rsa.RSAPublicKey, signature: bytes, data: bytes, method: str) -> bool:
    """RSA PKCS#1 v1.5 check of ``signature`` over ``data`` with the hash of ``method`` (URI)."""
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), crypto_hash(SIGNATURE_METHODS[method]))
    except InvalidSignature:
        return False
    return True


def signature_value_verifies(
    signature: etree._Element, signed_info: etree._Element, public_key: rsa.RSAPublicKey, method: str
) -> bool:
    """The ``ds:SignatureValue`` of ``signature`` checked over ``signed_info`` canonicalized as it declares.

    Raises:
        SignatureError: SignatureValue missing or not base64, unsupported canonicalization or method.
    """
    value = b64decode(signature.findtext(f"{{{DS}}}SignatureValue"), what="SignatureValue")
    return verify_signature_value(public_key, value, canonical_signed_info(signed_info), method)


# ------------------------------------------------------------------------------------ ids, certificates


def find_by_id(root: etree._Element, value: str, attributes: Iterable[str] = _ID_ATTRIBUTES) -> list[etree._Element]:
    """Every element under ``root`` (inclusive) whose ``ID``/``Id``/``id`` attribute equals ``value``."""
    names = tuple(attributes)
    return [el for el in root.iter(etree.Element) if any(el.get(a) == value for a in names)]


def certificate_from_b64(text: str | None) -> tuple[bytes, x509.Certificate | None, str | None]:
    """Decode an ``X509Certificate`` value: (DER, certificate or None, parse error or None).

    Some old IGC-CPS test certificates are not strict DER (unsorted multi-valued RDN) and cannot be loaded
    by cryptography; the DER is still returned so that the public key can be extracted.
    """
    der = b64decode(text, what="X509Certificate")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # negative serial numbers of old test certificates
            return der, x509.load_der_x509_certificate(der), None
    except ValueError as exc:
        return der, None, str(exc).splitlines()[0][:200]


def public_key_from_certificate_der(der: bytes) -> rsa.RSAPublicKey:
    """The RSA public key of a DER certificate, read directly from its SubjectPublicKeyInfo if needed."""
    key: object
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        key = serialization.load_der_public_key(_spki_der(der))
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the signing certificate does not hold an RSA key")
    return key


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise SignatureError("truncated certificate")
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise SignatureError("bad DER length in certificate")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise SignatureError("truncated certificate")
    return tag, start, end


def _spki_der(cert_der: bytes) -> bytes:
    _, cert_start, _ = _tlv(cert_der, 0)  # Certificate SEQUENCE
    _, tbs_start, tbs_end = _tlv(cert_der, cert_start)  # tbsCertificate SEQUENCE
    pos = tbs_start
    tag, _, end = _tlv(cert_der, pos)
    if tag == 0xA0:  # [0] version
        pos = end
    for _ in range(5):  # serial, signature, issuer, validity, subject
        _, _, pos = _tlv(cert_der, pos)
    tag, _, end = _tlv(cert_der, pos)
    if tag != 0x30 or end > tbs_end:
        raise SignatureError("no SubjectPublicKeyInfo in certificate")
    return cert_der[pos:end]
