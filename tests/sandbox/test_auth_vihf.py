"""Authentication of sandbox calls: each VIHF / TLS check refuses with the expected fault, and accepts the
corrected request. In-process (the TLS client certificate is handed to the app through the ASGI TLS
extension, as the HTTPS server does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree
from platform_support import (
    NIA_PATIENT,
    SAML,
    StubBehaviour,
    attribute,
    call,
    drop_role_values,
    echo,
    fault_of,
    make_config,
    post,
    quick_certificate,
    session_pki,
    set_string,
    structure_certificate,
    vihf,
)

from dmpclient._xml import NS
from dmpclient.sandbox import SandboxConfig, create_app, make_transport
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.soap import build_request

WSSE = NS["wsse"]
Client = Callable[..., httpx.Client]


@pytest.fixture
def sandbox() -> Iterator[Client]:
    """``sandbox(**config_overrides, client_certificate=None)`` → an httpx client on a fresh sandbox."""
    made: list[httpx.Client] = []

    def factory(*, client_certificate: x509.Certificate | None = None, **overrides: Any) -> httpx.Client:
        config: SandboxConfig = make_config(**overrides)
        app = create_app(StubBehaviour(config), config)
        client = httpx.Client(transport=make_transport(app, client_certificate=client_certificate))
        client.app = app  # type: ignore[attr-defined]
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()
        client._transport.close()


def refused(response: httpx.Response, subcode: str, reason: str | None = None) -> Any:
    assert response.status_code == 500, response.text[:500]
    fault = fault_of(response)
    assert fault.code == "Sender"
    assert fault.most_specific_code == subcode, (fault.subcodes, fault.reason, fault.detail_text)
    if reason is not None:
        assert fault.reason == reason, (fault.reason, fault.detail_text)
    return fault


def accepted(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text[:800]
    return echo(response)


# --------------------------------------------------------------------------------------- the token


def test_missing_vihf(sandbox: Client) -> None:
    client = sandbox()
    request = call("TD0.2")
    no_token = build_request(
        request.service, request.envelope.find(f"{{{NS['soap']}}}Body")[0], action=request.action, to="x"
    )
    refused(post(client, no_token), "InvalidSecurity", "Le VIHF est absent de l'en-tête de sécurité")
    accepted(post(client, request))


def test_two_assertions_are_refused(sandbox: Client) -> None:
    client = sandbox()
    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
    security.append(vihf())
    security.append(vihf())
    refused(post(client, call("TD0.2", security)), "InvalidSecurity")
    accepted(post(client, call("TD0.2", vihf())))


def test_unsigned_vihf(sandbox: Client) -> None:
    token = vihf(sign=False)
    refused(post(sandbox(), call("TD0.2", token)), "FailedCheck", "Le VIHF n'est pas signé")
    echo_el = accepted(post(sandbox(require_signature=False), call("TD0.2", vihf(sign=False))))
    assert echo_el.get("structure") == "10B0156832"


def test_tampered_vihf(sandbox: Client) -> None:
    client = sandbox()
    token = vihf()
    set_string("urn:oasis:names:tc:xspa:1.0:subject:subject-id", "SOMEONE ELSE")(token)
    fault = refused(post(client, call("TD0.2", token)), "FailedCheck", "La signature du VIHF est invalide")
    assert "digest" in (fault.detail_text or "")
    accepted(post(client, call("TD0.2", vihf())))


def test_sha1_only_when_allowed(sandbox: Client) -> None:
    token = vihf(algorithm="rsa-sha1", digest="sha1")
    fault = refused(post(sandbox(), call("TD0.2", token)), "UnsupportedAlgorithm")
    assert "rsa-sha1" in (fault.reason or "")
    accepted(post(sandbox(allow_sha1=True), call("TD0.2", vihf(algorithm="rsa-sha1", digest="sha1"))))


def test_untrusted_signing_certificate(sandbox: Client) -> None:
    pki = session_pki()
    own = pki.certificate("ej-sign")
    _, outsider = quick_certificate([(a.oid, str(a.value)) for a in own.subject])
    fault = refused(post(sandbox(), call("TD0.2", vihf(signer=outsider))), "DMPInvalidCertificate")
    assert (fault.reason or "").startswith("Le certificat ayant signé le VIHF est invalide : ")
    accepted(post(sandbox(), call("TD0.2", vihf(signer="ej-sign"))))


@pytest.mark.parametrize("entry", ["prof-sign-expired", "prof-sign-revoked"])
def test_expired_or_revoked_signing_certificate(sandbox: Client, entry: str) -> None:
    fault = refused(post(sandbox(), call("TD0.2", vihf("DIRECTE", signer=entry))), "DMPInvalidCertificate")
    assert ("not valid at" in (fault.reason or "")) or ("revoked" in (fault.reason or ""))
    accepted(post(sandbox(), call("TD0.2", vihf("DIRECTE", signer="prof-sign"))))


def test_direct_token_signed_with_the_authentication_certificate(sandbox: Client) -> None:
    client = sandbox()
    refused(
        post(client, call("TD0.2", vihf("DIRECTE", signer="prof-auth"))),
        "DMPInvalidCertificate",
        "Le certificat ayant signé le VIHF est invalide : Not a valid signature certificate",
    )
    accepted(post(client, call("TD0.2", vihf("DIRECTE", signer="prof-sign"))))


def test_air_token_may_be_signed_by_an_authentication_certificate(sandbox: Client) -> None:
    # The official AIR example is signed by an AUTH_CLI-type certificate (vihf.md §3).
    echo_el = accepted(post(sandbox(), call("TD0.2", vihf("INDIRECTE_RENFORCEE", signer="ej-auth"))))
    assert echo_el.get("mode") == "INDIRECTE_RENFORCEE"


def test_indirect_token_signed_by_another_structure(sandbox: Client) -> None:
    pki = session_pki()
    cert, signer = quick_certificate(
        [(NameOID.COUNTRY_NAME, "FR"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "10B0000018"), (NameOID.COMMON_NAME, "X")]
    )
    # trusted for the test: the outsider's certificate is its own anchor
    from dmpclient.security.certificates import TrustStore

    trust = TrustStore((*pki.trust_store().anchors, cert), pki.trust_store().intermediates)
    refused(
        post(sandbox(trust=trust), call("TD0.2", vihf(signer=signer))),
        "FailedAuthentication",
        "Erreur d'authentification de la personne morale",
    )
    accepted(post(sandbox(trust=trust), call("TD0.2", vihf(signer="eg-sign"))))


# ------------------------------------------------------------------------------------------- time


def test_expired_token_is_refused_and_accepted_at_its_date(sandbox: Client) -> None:
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    token = vihf(now=issued)
    refused(post(sandbox(), call("TD0.2", token)), "MessageExpired", "VIHF expiré")
    clock = SandboxClock(issued + dt.timedelta(seconds=5))
    accepted(post(sandbox(clock=clock), call("TD0.2", vihf(now=issued))))


def test_token_from_the_future_is_refused(sandbox: Client) -> None:
    token = vihf(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30))
    fault = refused(post(sandbox(), call("TD0.2", token)), "MessageExpired", "VIHF expiré")
    assert "future" in (fault.detail_text or "")
    # within the configured skew it passes
    soon = vihf(now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2))
    accepted(post(sandbox(), call("TD0.2", soon)))


def _conditions(
    not_before: dt.datetime | None, not_on_or_after: dt.datetime | None
) -> Callable[[etree._Element], None]:
    from dmpclient.security.vihf import format_instant

    def edit(assertion: etree._Element) -> None:
        subject = assertion.find(f"{{{SAML}}}Subject")
        assert subject is not None
        conditions = etree.Element(f"{{{SAML}}}Conditions")
        if not_before is not None:
            conditions.set("NotBefore", format_instant(not_before))
        if not_on_or_after is not None:
            conditions.set("NotOnOrAfter", format_instant(not_on_or_after))
        subject.addnext(conditions)

    return edit


def test_conditions_are_honoured(sandbox: Client) -> None:
    now = dt.datetime.now(dt.UTC)
    client = sandbox()
    later = vihf(edit=_conditions(now + dt.timedelta(hours=1), None))
    fault = refused(post(client, call("TD0.2", later)), "MessageExpired", "VIHF expiré")
    assert "not valid before" in (fault.detail_text or "")
    gone = vihf(edit=_conditions(None, now - dt.timedelta(hours=1)))
    fault = refused(post(client, call("TD0.2", gone)), "MessageExpired", "VIHF expiré")
    assert "expired at" in (fault.detail_text or "")
    window = vihf(edit=_conditions(now - dt.timedelta(minutes=1), now + dt.timedelta(minutes=10)))
    accepted(post(client, call("TD0.2", window)))


def test_air_token_lives_30_seconds(sandbox: Client) -> None:
    issued = dt.datetime.now(dt.UTC)
    late = SandboxClock(issued + dt.timedelta(seconds=30 + 5 * 60 + 5))  # lifetime + skew exceeded
    refused(post(sandbox(clock=late), call("TD0.2", vihf("INDIRECTE_RENFORCEE", now=issued))), "MessageExpired")
    tight = SandboxClock(issued + dt.timedelta(seconds=40))
    refused(
        post(
            sandbox(clock=tight, max_clock_skew=dt.timedelta(seconds=1)),
            call("TD0.2", vihf("INDIRECTE_RENFORCEE", now=issued)),
        ),
        "MessageExpired",
    )
    on_time = SandboxClock(issued + dt.timedelta(seconds=10))
    accepted(post(sandbox(clock=on_time), call("TD0.2", vihf("INDIRECTE_RENFORCEE", now=issued))))


def test_air_token_is_single_use(sandbox: Client) -> None:
    client = sandbox()
    token = vihf("INDIRECTE_RENFORCEE")
    accepted(post(client, call("TD0.2", token)))
    refused(post(client, call("TD0.2", token)), "InvalidSecurityToken", "VIHF déjà utilisé")
    accepted(post(client, call("TD0.2", vihf("INDIRECTE_RENFORCEE"))))


def test_reusing_a_non_air_token_is_allowed_unless_configured(sandbox: Client) -> None:
    token = vihf("INDIRECTE")
    relaxed = sandbox()
    accepted(post(relaxed, call("TD0.2", token)))
    accepted(post(relaxed, call("TD0.2", token)))
    strict = sandbox(replay_all_modes=True)
    accepted(post(strict, call("TD0.2", token)))
    refused(post(strict, call("TD0.2", token)), "InvalidSecurityToken", "VIHF déjà utilisé")


# -------------------------------------------------------------------------------------- attributes


def test_physician_without_speciality(sandbox: Client) -> None:
    client = sandbox()
    refused(
        post(client, call("TD0.2", vihf(edit=drop_role_values(1)))),
        "InvalidSecurityToken",
        "Aucune spécialité dans le vihf. Spécialité obligatoire pour les Médecins…",
    )

    def nurse(assertion: etree._Element) -> None:
        drop_role_values(1)(assertion)
        role = attribute(assertion, "urn:oasis:names:tc:xacml:2.0:subject:role")
        coded = role.find(f"{{{SAML}}}AttributeValue/{{{NS['hl7']}}}Role")
        assert coded is not None
        coded.set("code", "60")

    accepted(post(client, call("TD0.2", vihf(edit=nurse))))
    accepted(post(client, call("TD0.2", vihf())))


def test_resource_id_with_a_wrong_key(sandbox: Client) -> None:
    client = sandbox()
    bad = "277076322082999^^^&1.2.250.1.213.1.4.10&ISO^NH"
    edit = set_string("urn:oasis:names:tc:xacml:2.0:resource:resource-id", bad)
    refused(
        post(client, call("TD0.2", vihf(edit=edit))),
        "InvalidSecurityToken",
        f"Le champ Resource_id est incorrect : {bad}",
    )
    accepted(post(client, call("TD0.2", vihf())))


def test_resource_id_with_a_nia(sandbox: Client) -> None:
    client = sandbox()
    refused(
        post(client, call("TD0.2", vihf(patient=NIA_PATIENT))),
        "InvalidSecurityToken",
        f"Le champ Resource_id est incorrect : {NIA_PATIENT.to_cx()}",
    )
    accepted(post(client, call("TD0.2", vihf())))


def test_resource_id_with_a_production_oid_in_the_test_sandbox(sandbox: Client) -> None:
    prod = "277076322082910^^^&1.2.250.1.213.1.4.8&ISO^NH"
    edit = set_string("urn:oasis:names:tc:xacml:2.0:resource:resource-id", prod)
    refused(
        post(sandbox(), call("TD0.2", vihf(edit=edit))),
        "InvalidSecurityToken",
        f"Le champ Resource_id est incorrect : {prod}",
    )


def test_resource_id_required_except_for_patientless_transactions(sandbox: Client) -> None:
    client = sandbox()
    refused(
        post(client, call("TD0.2", vihf(patient=None))), "InvalidSecurityToken", "Le champ Resource_id est incorrect :"
    )
    assert accepted(post(client, call("TD0.4", vihf(patient=None)))).get("patient") == ""


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("VIHF_Version", "2.0", "Le champ VIHF_Version est incorrect : 2.0"),
        ("LPS_Nom", "", "Le champ LPS_Nom est obligatoire"),
        ("Identifiant_Structure", "XYZ", "Le champ Identifiant_Structure est incorrect : XYZ"),
        ("Authentification_mode", "MIXTE", "Le champ Authentification_mode est incorrect : MIXTE"),
    ],
)
def test_malformed_mandatory_attributes(sandbox: Client, name: str, value: str, expected: str) -> None:
    refused(post(sandbox(), call("TD0.2", vihf(edit=set_string(name, value)))), "InvalidSecurityToken", expected)


def test_vihf_version_3_and_4_are_accepted(sandbox: Client) -> None:
    client = sandbox()
    accepted(post(client, call("TD0.2", vihf(edit=set_string("VIHF_Version", "3.0")))))
    accepted(post(client, call("TD0.2", vihf(edit=set_string("VIHF_Version", "4.0")))))
    refused(
        post(sandbox(accepted_vihf_versions={"4.0"}), call("TD0.2", vihf(edit=set_string("VIHF_Version", "3.0")))),
        "InvalidSecurityToken",
    )


def test_authentication_mode_is_read_case_insensitively(sandbox: Client) -> None:
    def capital_m_lower_value(assertion: etree._Element) -> None:
        attr = attribute(assertion, "Authentification_mode")
        attr.set("Name", "Authentification_Mode")
        set_string("Authentification_Mode", "indirecte")(assertion)

    assert accepted(post(sandbox(), call("TD0.2", vihf(edit=capital_m_lower_value)))).get("mode") == "INDIRECTE"


def test_unknown_purpose_of_use_is_refused(sandbox: Client) -> None:
    def edit(assertion: etree._Element) -> None:
        purpose = attribute(assertion, "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse")
        coded = purpose.find(f"{{{SAML}}}AttributeValue/{{{NS['hl7']}}}PurposeOfUse")
        assert coded is not None
        coded.set("code", "curiosity")

    refused(post(sandbox(), call("TD0.2", vihf(edit=edit))), "InvalidSecurityToken")


# ------------------------------------------------------------------------------------- TLS binding


def test_tls_structure_must_be_the_vihf_structure(sandbox: Client) -> None:
    other = structure_certificate("10B0000018")
    refused(
        post(sandbox(client_certificate=other), call("TD0.2", vihf("INDIRECTE"))),
        "FailedAuthentication",
        "Erreur d'authentification de la personne morale",
    )
    eg = session_pki().certificate("eg-auth")
    assert accepted(post(sandbox(client_certificate=eg), call("TD0.2", vihf("INDIRECTE")))).get("tls_structure") == (
        "10B0156832"
    )


def test_ej_certificate_accepted_for_its_eg_through_the_map(sandbox: Client) -> None:
    ej = session_pki().certificate("ej-auth")
    echo_el = accepted(post(sandbox(client_certificate=ej), call("TD0.2", vihf("INDIRECTE_RENFORCEE"))))
    assert (echo_el.get("structure"), echo_el.get("tls_structure")) == ("10B0156832", "11B0062640")
    refused(
        post(sandbox(client_certificate=ej, ej_eg={}), call("TD0.2", vihf("INDIRECTE"))),
        "FailedAuthentication",
        "Erreur d'authentification de la personne morale",
    )


def test_direct_mode_needs_the_card_holders_authentication_certificate(sandbox: Client) -> None:
    pki = session_pki()
    refused(
        post(sandbox(client_certificate=pki.certificate("ej-auth")), call("TD0.2", vihf("DIRECTE"))),
        "FailedAuthentication",
        "Erreur d'authentification de la personne physique",
    )
    accepted(post(sandbox(client_certificate=pki.certificate("prof-auth")), call("TD0.2", vihf("DIRECTE"))))


def test_tls_checks_can_be_turned_off(sandbox: Client) -> None:
    other = structure_certificate("10B0000018")
    accepted(post(sandbox(client_certificate=other, check_tls_binding=False), call("TD0.2", vihf("INDIRECTE"))))


def test_caller_summary(sandbox: Client) -> None:
    client = sandbox(client_certificate=session_pki().certificate("ej-auth"))
    app = client.app  # type: ignore[attr-defined]
    accepted(post(client, call("TD0.2", vihf("INDIRECTE"))))
    caller = app.behaviour.calls[-1].caller
    assert caller.is_indirect
    assert not caller.is_direct
    assert caller.structure_id == "10B0156832"
    assert caller.tls_structure_id == "11B0062640"
    assert caller.signer_structure_id == "11B0062640"
    assert caller.profession_code == "10"
    assert caller.specialty_code == "SM26"
    assert caller.patient is not None
    assert caller.patient.matricule == "277076322082910"
    assert caller.software_name == "dmpclient"
    assert app.behaviour.calls[-1].verification.ok
