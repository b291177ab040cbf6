"""TD0.9 (Web-PS URLs and Pro Santé Connect form) and TD0.10 (AIR SAMLResponse form)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable

import pytest

from dmpclient import _xml
from dmpclient.environments import DV1, PRODUCTION, SANDBOX
from dmpclient.errors import ConfigurationError, InputError, NIARefused, ProtocolError, RuleViolation, TokenError
from dmpclient.ids import INS, InsOid
from dmpclient.security.pki import TestPki
from dmpclient.security.vihf import verify_vihf
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.webps import (
    SAML_SUCCESS,
    WebPsPage,
    build_air_access,
    parse_air_post,
    parse_webps_path,
    psc_form,
    webps_url,
)

INS_ = INS.parse("207058575627097")
HOST = "https://wps-cps.dev1.dmp.gouv.fr"


@pytest.mark.parametrize("page", list(WebPsPage))
def test_every_page_with_and_without_ins(page: WebPsPage) -> None:
    with_ins = f"{HOST}/AccesDirect/{page.value}/207058575627097/1.2.250.1.213.1.4.10"
    without = f"{HOST}/AccesDirect/{page.value}"
    if page.patient == "none":
        assert webps_url(page, environment=DV1) == without
        with pytest.raises(InputError, match="takes no INS"):
            webps_url(page, INS_, environment=DV1)
    elif page.patient == "optional":
        assert webps_url(page, environment=DV1) == without
        assert webps_url(page, INS_, environment=DV1) == with_ins
    else:
        assert webps_url(page, INS_, environment=DV1) == with_ins
        with pytest.raises(InputError, match="needs the patient's INS"):
            webps_url(page, environment=DV1)


def test_page_rules_match_the_reference() -> None:
    assert WebPsPage.TABLEAU_DE_BORD.patient == "optional"
    assert WebPsPage.PARAMETRAGES.patient == "none"
    assert {p.value for p in WebPsPage if p.patient == "required"} == {
        "DossierPatient",
        "GestionDMPPatient",
        "Documents",
        "ParcoursDeSoins",
        "HistoriqueAcces",
        "VolontesEtDroits",
        "CarnetVaccination",
    }


def test_url_options_hosts_and_refusals() -> None:
    assert webps_url("Documents", INS_, host="wps.example.fr", include_oid=False) == (
        "https://wps.example.fr/AccesDirect/Documents/207058575627097"
    )
    assert webps_url("Parametrages", environment=PRODUCTION).startswith("https://wps-cps.dmp.monespacesante.fr/")
    with pytest.raises(ConfigurationError, match="no Web-PS host"):
        webps_url("Parametrages", environment=SANDBOX)
    with pytest.raises(ConfigurationError, match="HTTPS"):
        webps_url("Parametrages", host="http://wps.example.fr")
    with pytest.raises(InputError, match="unknown Web-PS page"):
        webps_url("CreationDMP", environment=DV1)
    with pytest.raises(NIARefused):
        webps_url("Documents", INS("277076322082910", InsOid.NIA), host="wps.example.fr")
    with pytest.raises(RuleViolation, match="not accepted"):
        webps_url("Documents", INS_, environment=PRODUCTION)


def test_no_td09_with_an_establishment_certificate(
    make_ctx: Callable[..., RequestContext], ctx: RequestContext
) -> None:
    with pytest.raises(RuleViolation, match=r"TD0\.9"):
        webps_url("Documents", INS_, environment=DV1, acting=make_ctx("INDIRECTE").acting)
    assert webps_url("Documents", INS_, environment=DV1, acting=ctx.acting).endswith("/1.2.250.1.213.1.4.10")


@pytest.mark.parametrize("page", list(WebPsPage))
def test_urls_parse_back(page: WebPsPage) -> None:
    ins = None if page.patient == "none" else INS_
    target = parse_webps_path(webps_url(page, ins, environment=DV1))
    assert (target.access, target.page, target.ins) == ("direct", page, ins)


def test_bad_paths_are_refused() -> None:
    with pytest.raises(ProtocolError):
        parse_webps_path("/AutreChose/Documents")
    with pytest.raises(ProtocolError, match="unknown Web-PS page"):
        parse_webps_path("/AccesDirect/Inconnue")
    with pytest.raises(ProtocolError, match="invalid INS"):
        parse_webps_path("/AccesDirect/Documents/207058575627098")


def test_psc_form_posts_ins_and_type() -> None:
    form = psc_form("Documents", INS_, environment=DV1)
    assert form.action == "https://wps-psc.dev1.dmp.gouv.fr/AccesDirect/Documents"
    assert form.method == "POST"
    assert dict(form.fields) == {"INS": "207058575627097", "typeINS": "1.2.250.1.213.1.4.10"}
    assert psc_form("Documents", INS_, environment=DV1, ins_type="NIR").fields["typeINS"] == "NIR"
    assert psc_form("Parametrages", environment=DV1).fields == {}
    page = form.to_html(auto_submit=False)
    assert '<input type="hidden" name="INS" value="207058575627097"/>' in page
    assert "onload" not in page
    assert "document.forms[0].submit()" in form.to_html()


def test_form_values_are_html_escaped() -> None:
    from dmpclient.transactions.webps import WebPsForm

    page = WebPsForm(action='https://h/x?a=1&b="2"', fields={"k": '<script>"x"</script>'}).to_html()
    assert "<script>" not in page
    assert 'action="https://h/x?a=1&amp;b=&quot;2&quot;"' in page


# ------------------------------------------------------------------------------------------ TD0.10


@pytest.fixture
def air_ctx(make_ctx: Callable[..., RequestContext]) -> RequestContext:
    ctx = make_ctx("INDIRECTE_RENFORCEE")
    import dataclasses

    return dataclasses.replace(ctx, environment=DV1)


def test_air_form_holds_a_saml_response_whose_assertion_verifies(air_ctx: RequestContext, pki: TestPki) -> None:
    access = build_air_access(air_ctx, WebPsPage.DOCUMENTS, INS_)
    assert access.url == f"{HOST}/AccesIndirectRenforce/Documents"
    assert access.form.action == access.url
    assert dict(access.form.fields) == {"SAMLResponse": access.saml_response}
    posted = re.search(r'name="SAMLResponse" value="([^"]+)"', access.html)
    assert posted is not None
    field = html.unescape(posted.group(1))
    assert base64.b64decode(field) == access.response_xml
    assert 'onload="document.forms[0].submit()"' in access.html
    decoded = parse_air_post(field)
    assert decoded.status == SAML_SUCCESS
    assert decoded.destination == access.url
    assert decoded.vihf.authentification_mode == "INDIRECTE_RENFORCEE"
    assert decoded.vihf.resource_id == INS_.to_cx()
    assert decoded.vihf.not_on_or_after is not None  # 30 s AIR lifetime
    report = verify_vihf(decoded.assertion, trust_anchors=pki.trust_store())
    assert report.ok
    root = _xml.parse_bytes(decoded.xml)
    assert root.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}Response"


def test_air_vihf_is_fresh_and_single_use(air_ctx: RequestContext) -> None:
    first = build_air_access(air_ctx, "TableauDeBord")
    second = build_air_access(air_ctx, "TableauDeBord")
    assert first.vihf.assertion_id != second.vihf.assertion_id
    assert first.vihf.vihf.resource_id is None
    with pytest.raises(TokenError, match="single use"):
        first.vihf.consume()


def test_tampered_air_assertion_does_not_verify(air_ctx: RequestContext, pki: TestPki) -> None:
    from dmpclient.errors import SignatureError

    access = build_air_access(air_ctx, "Documents", INS_)
    tampered = access.response_xml.replace(b"207058575627097", b"277076322082910")
    decoded = parse_air_post(base64.b64encode(tampered))
    with pytest.raises(SignatureError):
        verify_vihf(decoded.assertion, trust_anchors=pki.trust_store())


def test_air_access_needs_an_air_context(ctx: RequestContext) -> None:
    with pytest.raises(RuleViolation, match="INDIRECTE_RENFORCEE"):
        build_air_access(ctx, "Documents", INS_, host="wps.example.fr")


def test_air_access_page_rules(air_ctx: RequestContext) -> None:
    with pytest.raises(InputError):
        build_air_access(air_ctx, "Documents")
    with pytest.raises(InputError):
        build_air_access(air_ctx, "Parametrages", INS_)
    assert parse_webps_path(build_air_access(air_ctx, "Parametrages").url).access == "air"


def test_air_post_decoding_refuses_garbage() -> None:
    with pytest.raises(ProtocolError, match="base64"):
        parse_air_post("not base64 !!")
    with pytest.raises(ProtocolError, match="samlp:Response"):
        parse_air_post(base64.b64encode(b"<a/>"))
    empty = b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>'
    with pytest.raises(ProtocolError, match="Assertion"):
        parse_air_post(base64.b64encode(empty))
