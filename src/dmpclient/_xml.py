"""The one XML parser of the library, the namespace table, and canonicalization.

Every piece of dmpclient that reads XML goes through :func:`parse_bytes` / :func:`parse_file`:

* no DTD is loaded and no entity is resolved; a document that carries a DOCTYPE is refused
  (billion laughs, quadratic blow-up, external entities and external DTDs all stop here);
* no network access, no XInclude;
* the input size is bounded (``max_bytes``) and libxml2's "huge tree" mode is off unless a caller opts in
  for a known-large document (a CDA carrying a big PDF) while still bounding its size.

Canonicalization (:func:`canonicalize`) works around an lxml/libxml2 defect: inclusive C14N 1.0 of an
element *inside* a tree whose default namespace is declared on an ancestor emits spurious ``xmlns=""``
on grandchildren (reference ``library-notes.md``). Subtrees are therefore serialized and re-parsed before
inclusive canonicalization.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, cast

from lxml import etree

from dmpclient.errors import XMLError, XMLSecurityError, XMLSyntaxError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NS",
    "C14NMethod",
    "canonicalize",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "q",
    "to_bytes",
]

#: Default upper bound for an XML input (a 1,000-entry TD3.1 response is about 10 MB).
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024

#: Every namespace the DMP exchanges use, by the prefix the library uses for it.
NS: Final[dict[str, str]] = {
    "soap": "http://www.w3.org/2003/05/soap-envelope",
    "soap11": "http://schemas.xmlsoap.org/soap/envelope/",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "saml2": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "ec": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "xades": "http://uri.etsi.org/01903/v1.1.1#",
    "xades132": "http://uri.etsi.org/01903/v1.3.2#",
    "xades141": "http://uri.etsi.org/01903/v1.4.1#",
    "rim": "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0",
    "rs": "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0",
    "lcm": "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0",
    "query": "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0",
    "xdsb": "urn:ihe:iti:xds-b:2007",
    "xop": "http://www.w3.org/2004/08/xop/include",
    "xmime": "http://www.w3.org/2005/05/xmlmime",
    "hl7": "urn:hl7-org:v3",
    "sdtc": "urn:hl7-org:sdtc",
    "pharm": "urn:ihe:pharm",
    "lab": "urn:oid:1.3.6.1.4.1.19376.1.3.2",
    "svs": "urn:ihe:iti:svs:2008",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "hab": "urn:si-dmp-habilitations",
    "pat": "urn:si-dmp-patients",
    "gdp": "asip:ci-sis:gdp:2010",
}


def q(prefix: str, local: str) -> str:
    """Clark notation ``{uri}local`` for a prefix of :data:`NS`.

    >>> q("rim", "Slot")
    '{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}Slot'
    """
    return f"{{{NS[prefix]}}}{local}"


# ------------------------------------------------------------------------------------------- parsing

_local = threading.local()  # lxml parser objects must not be shared between threads


class _RefuseExternal(etree.Resolver):
    """Refuse every external resource (DTD, external entity, parameter entity) before anything is opened.

    ``load_dtd=False`` is not enough: with ``collect_ids=False`` (lxml 6.1 / libxml2 2.14) the parser
    still reads an external DTD subset from a local file (``<!DOCTYPE r SYSTEM "file:///…">``) and an
    external parameter entity — measured with inotify in ``tests/foundation/test_xml_security.py``.
    lxml asks its resolvers before libxml2's default loader opens anything, so raising here means no
    file is read and no connection is attempted, whatever the parser options.
    """

    def resolve(self, system_url: str, public_id: str, context: object = None) -> Any:
        raise XMLSecurityError(f"external resource refused (nothing was read): {system_url!r}")


def _parser(huge: bool) -> etree.XMLParser:
    attr = "huge" if huge else "normal"
    parser = cast("etree.XMLParser | None", getattr(_local, attr, None))
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=huge,
            remove_blank_text=False,
            remove_comments=False,
            remove_pis=False,
            strip_cdata=False,
            collect_ids=False,
        )
        parser.resolvers.add(_RefuseExternal())
        setattr(_local, attr, parser)
    return parser


def _check_tree(root: etree._Element, origin: str) -> etree._Element:
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs type internalDTD as never None
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLSecurityError(f"{origin}: a DOCTYPE is not allowed (DTDs and entities are refused)")
    return root


def parse_bytes(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    huge: bool = False,
    base_url: str | None = None,
    origin: str = "XML input",
) -> etree._Element:
    """Parse XML bytes safely and return the root element.

    Args:
        data: the document bytes (encoding from the XML declaration or BOM; UTF-8 by default).
        max_bytes: refuse inputs larger than this (:class:`~dmpclient.errors.XMLSecurityError`).
        huge: allow text nodes above libxml2's 10 MB limit (a CDA carrying a large PDF); the size is
            still bounded by ``max_bytes``.
        base_url: base URL recorded on the document (never fetched).
        origin: a name for the input, used in error messages.

    Raises:
        XMLSecurityError: oversized input, DOCTYPE, entity declarations.
        XMLSyntaxError: the input is not well-formed XML.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_bytes expects bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise XMLSecurityError(f"{origin}: {len(data)} bytes exceed the limit of {max_bytes} bytes")
    try:
        root = etree.fromstring(bytes(data), parser=_parser(huge), base_url=base_url or "")
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, origin) from None
    except XMLSecurityError as exc:  # raised by _RefuseExternal
        raise XMLSecurityError(f"{origin}: {exc}") from None
    return _check_tree(root, origin)


def parse_text(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES, origin: str = "XML input") -> etree._Element:
    """Parse an XML string (encoded to UTF-8 first; an encoding declaration in it is dropped)."""
    stripped = text.lstrip("\ufeff")
    if stripped.startswith("<?xml"):
        end = stripped.find("?>")
        if end != -1:
            stripped = stripped[end + 2 :]
    return parse_bytes(stripped.encode("utf-8"), max_bytes=max_bytes, origin=origin)


def parse_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    huge: bool = False,
) -> etree._Element:
    """Parse an XML file safely (same rules as :func:`parse_bytes`); the file size is checked first.

    The bytes are read here (at most ``max_bytes`` + 1) and handed to :func:`parse_bytes`: libxml2 never
    opens a path itself, so the resolver that refuses external resources also covers this entry point.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise XMLSecurityError(f"{p}: {size} bytes exceed the limit of {max_bytes} bytes")
        with p.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise XMLSyntaxError(f"{p}: cannot read: {exc}") from None
    return parse_bytes(data, max_bytes=max_bytes, huge=huge, base_url=p.resolve().as_uri(), origin=str(p))


def _syntax_error(exc: etree.XMLSyntaxError, origin: str) -> Exception:
    msg = str(exc)
    lowered = msg.lower()
    if "entity" in lowered or "doctype" in lowered or "dtd" in lowered or "huge" in lowered:
        return XMLSecurityError(f"{origin}: refused: {msg}")
    return XMLSyntaxError(f"{origin}: not well-formed XML: {msg}")


def to_bytes(element: etree._Element, *, xml_declaration: bool = False) -> bytes:
    """Serialize an element as UTF-8, never pretty-printed (signed content must not be re-indented)."""
    return etree.tostring(
        element, encoding="UTF-8", xml_declaration=xml_declaration, pretty_print=False, with_tail=False
    )


# ---------------------------------------------------------------------------------- canonicalization


class C14NMethod(StrEnum):
    """Canonicalization algorithms by their XML-DSig URI."""

    C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    C14N10_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
    EXC_C14N_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"

    @property
    def exclusive(self) -> bool:
        """True for exclusive canonicalization."""
        return self in (C14NMethod.EXC_C14N, C14NMethod.EXC_C14N_COMMENTS)

    @property
    def with_comments(self) -> bool:
        """True for the ``#WithComments`` variants."""
        return self.value.endswith("#WithComments")


_XML_NS = NS["xml"]


def canonicalize(
    node: etree._Element | etree._ElementTree,
    method: C14NMethod | str = C14NMethod.C14N10,
    *,
    inclusive_prefixes: Iterable[str] | None = None,
) -> bytes:
    """Canonicalize a document or an element (the node-set of a same-document reference).

    Inclusive C14N 1.0 of a subtree is done on a re-parsed standalone copy that declares every in-scope
    namespace and carries the inherited ``xml:*`` attributes, which is what C14N 1.0 prescribes and what
    lxml gets wrong in place (spurious ``xmlns=""``).

    Args:
        node: an element (canonicalized as an apex of its subtree) or an element tree (whole document).
        method: a :class:`C14NMethod` or its URI.
        inclusive_prefixes: the ``InclusiveNamespaces PrefixList`` of exclusive c14n (``#default`` allowed).
    """
    m = C14NMethod(method)
    if m.exclusive and inclusive_prefixes is not None and not {"#default", ""}.isdisjoint(inclusive_prefixes):
        apex = node.getroot() if isinstance(node, etree._ElementTree) else node
        _refuse_unsupported_default(apex)
    if isinstance(node, etree._ElementTree):
        return etree.tostring(
            node,
            method="c14n",
            exclusive=m.exclusive,
            with_comments=m.with_comments,
            inclusive_ns_prefixes=_prefixes(inclusive_prefixes) if m.exclusive else None,
        )
    element = node
    if m.exclusive:
        return etree.tostring(
            element,
            method="c14n",
            exclusive=True,
            with_comments=m.with_comments,
            inclusive_ns_prefixes=_prefixes(inclusive_prefixes),
        )
    is_root = element.getparent() is None
    if is_root:
        return etree.tostring(element.getroottree(), method="c14n", exclusive=False, with_comments=m.with_comments)
    standalone = parse_bytes(etree.tostring(element, with_tail=False), huge=True, origin="c14n subtree")
    # C14N 1.0: xml:* attributes in scope on the apex are inherited from ancestors.
    for ancestor in element.iterancestors():
        for name, value in ancestor.attrib.items():
            key = name.decode() if isinstance(name, bytes) else name
            if key.startswith(f"{{{_XML_NS}}}") and key not in standalone.attrib:
                standalone.set(key, value)
    return etree.tostring(standalone.getroottree(), method="c14n", exclusive=False, with_comments=m.with_comments)


def _prefixes(prefixes: Iterable[str] | None) -> list[str] | None:
    if prefixes is None:
        return None
    # lxml silently drops "#default" (it keeps only prefixes found in the document's name dictionary);
    # _refuse_unsupported_default() makes sure that dropping it does not change the output.
    return [p for p in prefixes if p not in ("#default", "")] or None


def _refuse_unsupported_default(apex: etree._Element) -> None:
    """Raise when ``#default`` in an InclusiveNamespaces PrefixList would change the exclusive c14n output.

    ``#default`` treats the default namespace inclusively: it matters only on a *prefixed* element whose
    in-scope default namespace differs from the one rendered by its nearest output ancestor (an unprefixed
    element visibly uses the default namespace, so both modes render it). lxml cannot express ``#default``;
    rather than produce bytes that another verifier would digest differently, refuse that case.
    """
    stack: list[tuple[etree._Element, str]] = [(apex, "")]
    while stack:
        element, rendered = stack.pop()
        default = element.nsmap.get(None) or ""
        prefix: str | None = element.prefix  # lxml-stubs say str; lxml returns None when unprefixed
        if prefix is None:
            rendered = default
        elif default != rendered:
            raise XMLError(
                f"exclusive c14n with InclusiveNamespaces '#default' is not supported here: <{element.tag}> "
                f"is prefixed and has the default namespace {default!r} in scope (lxml ignores '#default')"
            )
        stack.extend((child, rendered) for child in element.iterchildren(tag=etree.Element))
