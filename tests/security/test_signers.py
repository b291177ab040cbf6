"""Signers: software key (PEM, PKCS#12) and PKCS#11 token (SoftHSM2), byte-identical signatures, PIN hygiene."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.hashes import SHA256

from dmpclient.errors import InputError, TokenError
from dmpclient.security.pkcs11 import CPS_AUTHENTICATION_KEY_ID, CPS_SIGNATURE_KEY_ID, Pkcs11Signer
from dmpclient.security.pki import TestPki
from dmpclient.security.signers import Signer, SoftwareSigner, digest_info, order_chain

DATA = b"<SignedInfo>exemple</SignedInfo>"


def test_software_signer_from_pem_and_pkcs12_give_identical_signatures(pki: TestPki) -> None:
    entry = pki.entry("prof-sign")
    pem = SoftwareSigner.from_pem(pki.path(entry.key), pki.path(entry.chain))
    p12 = SoftwareSigner.from_pkcs12(pki.path(entry.p12 or ""), pki.password)
    assert isinstance(pem, Signer)
    assert pem.sign(DATA) == p12.sign(DATA)
    pem.certificate.public_key().verify(pem.sign(DATA), DATA, padding.PKCS1v15(), SHA256())


def test_software_signer_chain_is_leaf_first_up_to_the_root(pki: TestPki) -> None:
    chain = pki.signer("prof-sign").chain
    assert [c.subject.rfc4514_string().split(",")[0] for c in chain[1:]] == [
        "CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES",
        "CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE",
    ]
    assert chain[0] == pki.certificate("prof-sign")


def test_order_chain_keeps_unrelated_certificates_only_when_asked(pki: TestPki) -> None:
    leaf, issuer, root = pki.signer("prof-sign").chain
    unrelated = pki.signer("ej-sign").certificate
    shuffled = [root, unrelated, leaf, issuer]
    assert order_chain(leaf, shuffled) == [leaf, issuer, root, unrelated]  # software keys keep extras last
    assert order_chain(leaf, shuffled, keep_unrelated=False) == [leaf, issuer, root]  # tokens drop them


def test_software_signer_refuses_wrong_pkcs12_password(pki: TestPki) -> None:
    with pytest.raises(TokenError, match="PKCS#12"):
        SoftwareSigner.from_pkcs12(pki.path(pki.entry("prof-sign").p12 or ""), "wrong")


def test_software_signer_refuses_a_certificate_of_another_key(pki: TestPki) -> None:
    with pytest.raises(TokenError, match="no certificate matches"):
        SoftwareSigner.from_pem(pki.path(pki.entry("prof-sign").key), pki.path(pki.entry("prof-auth").cert))


def test_unknown_algorithm_is_an_input_error(pki: TestPki) -> None:
    with pytest.raises(InputError, match="unsupported signature algorithm"):
        pki.signer("prof-sign").sign(DATA, "rsa-md5")


def test_digest_info_is_the_pkcs1_prefix_plus_the_digest() -> None:
    info = digest_info(DATA)
    assert info.endswith(hashlib.sha256(DATA).digest())
    assert info.startswith(bytes.fromhex("3031300d060960864801650304020105000420"))
    assert digest_info(DATA, "rsa-sha1").endswith(hashlib.sha1(DATA).digest())


# ------------------------------------------------------------------------------------------ PKCS#11


@pytest.mark.softhsm
@pytest.mark.parametrize("raw_rsa", [False, True], ids=["SHA256_RSA_PKCS", "raw RSA_PKCS + DigestInfo"])
def test_softhsm_signature_is_byte_identical_to_the_software_key(softhsm_pki: TestPki, raw_rsa: bool) -> None:
    software = softhsm_pki.signer("prof-sign")
    with softhsm_pki.pkcs11_signer(raw_rsa=raw_rsa) as token:
        assert token.raw_rsa is raw_rsa
        assert token.certificate == software.certificate
        assert token.sign(DATA) == software.sign(DATA)
        assert token.sign(DATA, "rsa-sha1") == software.sign(DATA, "rsa-sha1")


@pytest.mark.softhsm
def test_softhsm_token_holds_two_cps_key_pairs_selected_by_id(softhsm_pki: TestPki) -> None:
    info = softhsm_pki.softhsm
    assert info is not None
    with Pkcs11Signer.open(info.module, token_label=info.token_label, key_id=CPS_SIGNATURE_KEY_ID, pin=info.pin) as s:
        assert s.certificate == softhsm_pki.certificate("prof-sign")
        assert [c.subject for c in s.chain[1:]] == [c.subject for c in softhsm_pki.chain("prof-sign")[1:]]
    with Pkcs11Signer.open(
        info.module, token_label=info.token_label, key_id=CPS_AUTHENTICATION_KEY_ID, pin=info.pin
    ) as a:
        assert a.certificate == softhsm_pki.certificate("prof-auth")


@pytest.mark.softhsm
def test_softhsm_key_selected_by_certificate(softhsm_pki: TestPki) -> None:
    info = softhsm_pki.softhsm
    assert info is not None
    cert = softhsm_pki.certificate("prof-auth")
    with Pkcs11Signer.open(info.module, token_label=info.token_label, certificate=cert, pin=info.pin) as s:
        assert s.sign(DATA) == softhsm_pki.signer("prof-auth").sign(DATA)


@pytest.mark.softhsm
def test_softhsm_ambiguous_key_selection_is_refused(softhsm_pki: TestPki) -> None:
    info = softhsm_pki.softhsm
    assert info is not None
    with pytest.raises(TokenError, match="several private keys match"):
        Pkcs11Signer.open(info.module, token_label=info.token_label, pin=info.pin)


@pytest.mark.softhsm
def test_pin_never_appears_in_repr_or_state(softhsm_pki: TestPki) -> None:
    info = softhsm_pki.softhsm
    assert info is not None
    signer = softhsm_pki.pkcs11_signer()
    try:
        assert "CPS signature" in repr(signer)
        assert info.pin not in repr(signer)
        assert info.pin not in repr(vars(signer))
    finally:
        signer.close()
    assert "closed" in repr(signer)
    with pytest.raises(TokenError, match="closed"):
        signer.sign(DATA)


@pytest.mark.softhsm
def test_wrong_pin_is_a_token_error_without_the_pin(
    softhsm_pki: TestPki, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The process is already logged in to the session token; use a second token on the same SoftHSM conf.
    import subprocess

    info = softhsm_pki.softhsm
    assert info is not None
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "PIN TEST", "--so-pin", "12345678", "--pin", "111111"],
        check=True,
        capture_output=True,
    )
    import pkcs11

    pkcs11.lib(info.module).reinitialize()  # SoftHSM lists tokens created after C_Initialize only after a re-init
    wrong = "222222"
    with pytest.raises(TokenError) as caught:
        Pkcs11Signer.open(info.module, token_label="PIN TEST", key_label="x", pin=wrong)
    message = str(caught.value)
    assert "incorrect PIN" in message
    assert wrong not in message
    assert all(wrong not in str(a) for a in caught.value.args)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.softhsm
def test_two_signers_open_at_once_share_the_login(softhsm_pki: TestPki) -> None:
    with softhsm_pki.pkcs11_signer() as first, softhsm_pki.pkcs11_signer(key="authentication") as second:
        assert first.sign(DATA) == softhsm_pki.signer("prof-sign").sign(DATA)
        assert second.sign(DATA) == softhsm_pki.signer("prof-auth").sign(DATA)
