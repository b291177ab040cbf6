"""Helpers of the client tests (kept out of conftest.py so that tests can import them)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import httpx

from dmpclient.cda import BuiltCda, build_n1, make_sample_pdf
from dmpclient.cda.demo import demo_header
from dmpclient.client import AsyncDMPClient, DMPClient, Exchange
from dmpclient.context import AccessMode, ActingContext, CardType
from dmpclient.ids import INS
from dmpclient.security.pki import TestPki

PATIENT = INS.parse("279035121518989")


def variant(acting: ActingContext, **changes: Any) -> ActingContext:
    """A copy of the acting context: ``access_mode``, ``authentication_mode``, ``card_type`` …"""
    card = changes.pop("card_type", None)
    if card is not None:
        acting = dataclasses.replace(acting, professional=dataclasses.replace(acting.professional, card_type=card))
    return dataclasses.replace(acting, **changes)


def cpe(acting: ActingContext) -> ActingContext:
    """A secretary's CPE card context."""
    return variant(acting, card_type=CardType.CPE)


def centre_15(acting: ActingContext) -> ActingContext:
    return variant(acting, access_mode=AccessMode.CENTRE_15)


class Clock:
    """A settable clock (UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Harness:
    """One client, sync or async, called the same way: ``h.test_existence(ins)`` (async runs in asyncio.run).

    ``requests`` counts what reached the transport; ``exchanges`` what the hook saw; ``sleeps`` the waits.
    """

    def __init__(self, mode: str, client: DMPClient | AsyncDMPClient, counter: list[httpx.Request]) -> None:
        self.mode = mode
        self.client = client
        self.requests = counter
        self.exchanges: list[Exchange] = []
        self.sleeps: list[float] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)
        if self.mode == "sync" or not asyncio.iscoroutinefunction(method):
            return method

        def run(*args: Any, **kwargs: Any) -> Any:
            return asyncio.run(method(*args, **kwargs))

        return run

    def close(self) -> None:
        if isinstance(self.client, DMPClient):
            self.client.close()
        else:
            asyncio.run(self.client.aclose())


def new_cda(**header: Any) -> BuiltCda:
    """A fresh N1 CDA (PDF body) by Dr LIBRE for PAT-TROIS, new uniqueId each time."""
    return build_n1(demo_header(**header), make_sample_pdf())


def write_config(pki: TestPki, folder: Path, extra: str = "", *, tls: bool = True, signer: str | None = None) -> Path:
    """A dmpclient.toml using the test PKI through paths relative to ``folder``."""
    rel = os.path.relpath(pki.directory, folder)
    p12 = pki.entry("prof-sign").p12
    default_signer = f'[signer]\nkind = "pkcs12"\npkcs12 = "{rel}/{p12}"\npassword_env = "TEST_SIGNER_PASSWORD"'
    tls_table = (
        f'[tls]\npkcs12 = "{rel}/{pki.entry("prof-auth").p12}"\npassword_env = "TEST_TLS_PASSWORD"\n' if tls else ""
    )
    text = f"""
environment = "sandbox"

[urls]
soap_base = "https://127.0.0.1:9/si-dmp-server/v2/services"

{tls_table}
[trust]
anchors = ["{rel}/ca/root.cert.pem"]
intermediates = ["{rel}/ca/organisations.cert.pem", "{rel}/ca/personnes.cert.pem"]

{signer or default_signer}

[software]
name = "MonLogiciel"
version = "3.2.1"
oid_root = "1.2.250.1.999.1.1.7898"
homologation_number_env = "TEST_HOMOLOGATION"

[professional]
id = "899900063480"
family_name = "LIBRE"
given_name = "MAX"
profession = "10"
specialty = "SM26"

[structure]
id = "499900063480001"
name = "CABINET DR LIBRE"
secteur_activite = "SA07"

[guards]
query_after_feed_window_minutes = 5
rights = false

[retries]
max_attempts = 4
{extra}
"""
    path = folder / "dmpclient.toml"
    path.write_text(text, encoding="utf-8")
    return path
