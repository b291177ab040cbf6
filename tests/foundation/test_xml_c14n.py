"""dmpclient._xml.canonicalize: the lxml inclusive-c14n trap and the c14n variants signatures use.

Reference: ``library-notes.md`` "lxml canonicalization trap", ``xades-signature.md`` §2.
"""

from __future__ import annotations

import pytest
from lxml import etree

from dmpclient._xml import C14NMethod, canonicalize, parse_bytes
from dmpclient.errors import XMLError

TRAP = b'<S xmlns="urn:x"><SI><R><DM/></R></SI></S>'


def test_lxml_trap_is_documented() -> None:
    """lxml's own inclusive c14n of a sub-element emits a spurious xmlns="" (the defect worked around)."""
    si = parse_bytes(TRAP)[0]
    raw = etree.tostring(si, method="c14n")
    if b'xmlns=""' not in raw:
        pytest.skip('this lxml no longer emits the spurious xmlns="" — the workaround may be dropped')
    assert raw == b'<SI xmlns="urn:x"><R><DM xmlns=""></DM></R></SI>'


@pytest.mark.parametrize("method", [C14NMethod.C14N10, C14NMethod.C14N10_COMMENTS])
def test_canonicalize_avoids_the_trap(method: C14NMethod) -> None:
    si = parse_bytes(TRAP)[0]
    assert canonicalize(si, method) == b'<SI xmlns="urn:x"><R><DM></DM></R></SI>'


def test_inclusive_subtree_renders_every_in_scope_namespace() -> None:
    root = parse_bytes(b'<S xmlns="urn:x" xmlns:b="urn:b"><M xmlns:c="urn:c"><SI><R/></SI></M></S>')
    si = root[0][0]
    assert canonicalize(si) == b'<SI xmlns="urn:x" xmlns:b="urn:b" xmlns:c="urn:c"><R></R></SI>'


def test_inherited_xml_lang_on_the_apex() -> None:
    root = parse_bytes(b'<S xml:lang="fr" xml:space="preserve"><M xml:lang="en"><SI a="1"><R/></SI></M></S>')
    si = root[0][0]
    # C14N 1.0: the nearest ancestor's xml:* attributes are rendered on the apex.
    assert canonicalize(si) == b'<SI a="1" xml:lang="en" xml:space="preserve"><R></R></SI>'
    # Exclusive c14n does not import xml:* attributes.
    assert canonicalize(si, C14NMethod.EXC_C14N) == b'<SI a="1"><R></R></SI>'


def test_apex_own_xml_lang_wins() -> None:
    root = parse_bytes(b'<S xml:lang="fr"><SI xml:lang="de"/></S>')
    assert canonicalize(root[0]) == b'<SI xml:lang="de"></SI>'


def test_exclusive_omits_unused_namespaces() -> None:
    root = parse_bytes(b'<S xmlns="urn:x" xmlns:b="urn:b" xmlns:a="urn:a"><SI a:x="1"><R/></SI></S>')
    si = root[0]
    assert canonicalize(si, C14NMethod.EXC_C14N) == b'<SI xmlns="urn:x" xmlns:a="urn:a" a:x="1"><R></R></SI>'
    assert canonicalize(si, C14NMethod.EXC_C14N, inclusive_prefixes=["b"]) == (
        b'<SI xmlns="urn:x" xmlns:a="urn:a" xmlns:b="urn:b" a:x="1"><R></R></SI>'
    )
    assert canonicalize(si) == b'<SI xmlns="urn:x" xmlns:a="urn:a" xmlns:b="urn:b" a:x="1"><R></R></SI>'


def test_exclusive_default_prefix_harmless_case() -> None:
    # '#default' changes nothing when every prefixed element sees no other default namespace.
    root = parse_bytes(
        b'<s:A xmlns:s="urn:saml"><s:V><V xmlns="urn:saml"><Role xmlns="urn:hl7"/></V><s:X/></s:V></s:A>'
    )
    node = root[0]
    plain = canonicalize(node, C14NMethod.EXC_C14N)
    assert canonicalize(node, C14NMethod.EXC_C14N, inclusive_prefixes=["s", "#default"]) == plain
    assert plain == b'<s:V xmlns:s="urn:saml"><V xmlns="urn:saml"><Role xmlns="urn:hl7"></Role></V><s:X></s:X></s:V>'


@pytest.mark.parametrize("prefix", ["#default", ""])
def test_exclusive_default_prefix_refused_when_lxml_would_be_wrong(prefix: str) -> None:
    # lxml drops '#default'; here it matters (the default namespace is in scope of a prefixed apex).
    root = parse_bytes(b'<a:S xmlns="urn:x" xmlns:a="urn:a"><a:SI/></a:S>')
    with pytest.raises(XMLError) as info:
        canonicalize(root[0], C14NMethod.EXC_C14N, inclusive_prefixes=[prefix])
    assert "#default" in str(info.value)
    assert canonicalize(root[0], C14NMethod.EXC_C14N) == b'<a:SI xmlns:a="urn:a"></a:SI>'


@pytest.mark.parametrize(
    ("method", "with_comment"),
    [
        (C14NMethod.C14N10, False),
        (C14NMethod.C14N10_COMMENTS, True),
        (C14NMethod.EXC_C14N, False),
        (C14NMethod.EXC_C14N_COMMENTS, True),
    ],
)
def test_with_comments_variants(method: C14NMethod, with_comment: bool) -> None:
    root = parse_bytes(b'<S xmlns="urn:x"><SI><!--note--><R/></SI></S>')
    out = canonicalize(root[0], method)
    assert (b"<!--note-->" in out) is with_comment
    assert method.with_comments is with_comment
    assert method.exclusive is method.value.startswith("http://www.w3.org/2001/10/xml-exc-c14n")


def test_method_given_as_uri() -> None:
    si = parse_bytes(TRAP)[0]
    assert canonicalize(si, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315") == canonicalize(si)
    with pytest.raises(ValueError):
        canonicalize(si, "http://www.w3.org/2006/12/xml-c14n11")


def test_whole_document() -> None:
    data = b'<?xml version="1.0"?>\n<!--head--><S b="2" a="1" xmlns="urn:x"><SI>t &amp; &#233;</SI></S><!--tail-->'
    tree = parse_bytes(data).getroottree()
    assert canonicalize(tree) == b'<S xmlns="urn:x" a="1" b="2"><SI>t &amp; \xc3\xa9</SI></S>'
    assert canonicalize(tree, C14NMethod.C14N10_COMMENTS) == (
        b'<!--head-->\n<S xmlns="urn:x" a="1" b="2"><SI>t &amp; \xc3\xa9</SI></S>\n<!--tail-->'
    )
    assert canonicalize(tree, C14NMethod.EXC_C14N) == canonicalize(tree)


def test_root_element_equals_its_document() -> None:
    root = parse_bytes(b'<S xmlns="urn:x" xmlns:b="urn:b"><SI><R/></SI></S>')
    assert canonicalize(root) == b'<S xmlns="urn:x" xmlns:b="urn:b"><SI><R></R></SI></S>'


def test_subtree_canonicalization_does_not_touch_the_tree() -> None:
    root = parse_bytes(b'<S xmlns="urn:x" xml:lang="fr"><SI><R/></SI></S>')
    before = etree.tostring(root)
    canonicalize(root[0])
    assert etree.tostring(root) == before
