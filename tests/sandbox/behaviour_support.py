"""Helpers of the sandbox **behaviour** tests: a harness that builds real requests with the client-side
transaction builders, serialises them, reads them back, routes and authenticates them with the platform's own
:class:`~dmpclient.sandbox.routing.Router` and :class:`~dmpclient.sandbox.auth.Authenticator`, and calls the
DMP behaviour's handler — exactly the path of the platform, without HTTP.

The VIHF signing-certificate ⇄ NameID check (a platform concern, tested by the platform tests) is off, so that
any test professional (another PS, a CPE holder, a non-physician) can be impersonated with the test PKI's keys.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import functools
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmpclient.cda import BuiltCda, build_n1
from dmpclient.cda.inputs import DocumentHeaderInput, Patient
from dmpclient.context import (
    AccessMode,
    ActingContext,
    AuthenticationMode,
    CardType,
    Professional,
    SoftwareIdentity,
    Structure,
)
from dmpclient.environments import SANDBOX, Service
from dmpclient.errors import DMPError
from dmpclient.ids import INS, OidGenerator
from dmpclient.sandbox._interfaces import SandboxFault, SandboxRequest
from dmpclient.sandbox.auth import Authenticator
from dmpclient.sandbox.behaviour import SandboxBehaviour
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.routing import Router
from dmpclient.security.pki import TestPki, create_test_pki
from dmpclient.security.vihf import VihfOptions
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse, read_message
from dmpclient.terminology import Code
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.submission import (
    DocumentToSubmit,
    PreparedSubmission,
    SubmissionSetInfo,
    prepare_submission,
)

SOFTWARE = SoftwareIdentity(
    name="dmpclient-tests", version="1", homologation_number="TEST-1", oid_root="1.2.250.1.999.1.1.7898"
)
CONTENT_TYPE = Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")
LOT = SubmissionSetInfo(content_type_code=CONTENT_TYPE, title="Lot de test")

# seeded patients (dmpclient.sandbox.seed)
PATB4 = INS.parse("207058575627097")
PAT_TROIS = INS.parse("279035121518989")
CONTESTE = INS.parse("153078987658513")
FERMETURE = INS.parse("270108604926542")
MAXIMOP = INS.parse("202096615708958")
BLOCH = INS.parse("138080427231017")
EXPIRE = INS.parse("241030750595179")
VUN_UN = INS.parse("199033022011538")
VUN_DEUX = INS.parse("116083022011613")
DESMAUX = INS.parse("255069999999934", "1.2.250.1.213.1.4.11")
HALL = INS.parse("287080883795737")
ATTRIBUT = INS.parse("235061058692768")
URGENCE = INS.parse("213102288044517")
PATB_TROIS = INS.parse("211066322074514")
MELANGE_SEBASTIEN = INS.parse("111068647818424")
BON = INS.parse("155076322000225")
DECEDE = INS.parse("249127512345656")
ALOT = INS.parse("116095280720767")
CORSE = INS.parse("188102B17295165")

LIBRE = ("899900063480", "LIBRE", "MAX")
MACHEPRO = ("899900062490", "MACHEPRO", "ULYSSE")


@functools.cache
def session_pki() -> TestPki:
    """One test PKI per test process."""
    directory = Path(tempfile.mkdtemp(prefix="dmpclient-behaviour-pki-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return create_test_pki(directory)


def professional(
    ident: tuple[str, str, str] = LIBRE,
    *,
    profession: str = "10",
    specialty: str | None = "SM26",
    card: CardType | None = CardType.CPS,
) -> Professional:
    """A professional (default Dr Max LIBRE, general practitioner, CPS card)."""
    idnat, family, given = ident
    return Professional.create(idnat, family, given, profession=profession, specialty=specialty, card_type=card)


CABINET = Structure.create("499900063480001", "CABINET DR LIBRE", secteur_activite="SA07", cadre_exercice="AMBULATOIRE")
HOPITAL = Structure.create(
    "10B0156832",
    "HOPITAL DES 3 DAMES - SITE PRINCIPAL",
    secteur_activite="SA01",
    cadre_exercice="ETABLISSEMENT",
    finess_level="EG",
    legal_entity="11B0062640",
)


@dataclass
class Reply:
    """What the sandbox answered: the TD it routed to, and either the response (read back) or the fault."""

    td: str
    message: SoapMessage | None = None
    response: SoapResponse | None = None
    fault: SandboxFault | None = None

    @property
    def ok_message(self) -> SoapMessage:
        assert self.fault is None, f"unexpected SOAP fault {self.fault}"
        assert self.message is not None
        return self.message


class Harness:
    """A DMP behaviour (fresh in-memory store, seeded) with a frozen clock, and the platform's routing and
    authentication in front of it."""

    def __init__(
        self,
        *,
        now: dt.datetime | None = None,
        seed_profile: str = "default",
        documents_dir: Path | None = None,
        database: Path | None = None,
        parameters: dict[str, Any] | None = None,
        **config: Any,
    ) -> None:
        self.pki = session_pki()
        clock = SandboxClock(now or dt.datetime.now(dt.UTC).replace(microsecond=0), frozen=True)
        options: dict[str, Any] = {"seed_profile": seed_profile}
        if parameters:
            options["parameters"] = parameters
        self.config = SandboxConfig.from_pki(
            self.pki,
            clock=clock,
            check_signing_certificate=False,
            documents_dir=documents_dir,
            database=database,
            behaviour_options=options,
            **config,
        )
        self.behaviour = SandboxBehaviour(self.config)
        self.store = self.behaviour.store
        self.admin = self.behaviour.admin
        self.router = Router(self.config.services_root)
        self.authenticator = Authenticator(self.config)
        self._ids = OidGenerator("1.2.250.1.999.1.1.7898.77")

    @property
    def clock(self) -> SandboxClock:
        return self.config.clock

    def close(self) -> None:
        self.behaviour.close()

    # ------------------------------------------------------------------------------------- contexts

    def ctx(
        self,
        *,
        mode: AuthenticationMode | str = AuthenticationMode.DIRECTE,
        access: AccessMode = AccessMode.NORMAL,
        reason: str | None = None,
        who: Professional | None = None,
        structure: Structure | None = None,
        secret: bool = False,
    ) -> RequestContext:
        """A request context (default: Dr LIBRE at his cabinet, CPS, normal access) signed with the test PKI.

        Its client-side checks are off (``check_*=False``): the sandbox must refuse on its own.
        """
        m = AuthenticationMode(mode)
        if who is None:
            who = professional(card=CardType.CPS if m is AuthenticationMode.DIRECTE else None)
        if structure is None:
            structure = CABINET if m is AuthenticationMode.DIRECTE else HOPITAL
        if access is AccessMode.BRIS_DE_GLACE and reason is None:
            reason = "Patient inconscient aux urgences"
        acting = ActingContext(
            who, structure, m, SOFTWARE, access_mode=access, access_reason=reason, secret_connection=secret
        )
        signer = self.pki.signer("prof-sign" if m is AuthenticationMode.DIRECTE else "ej-sign")
        return RequestContext(
            acting=acting,
            environment=SANDBOX,
            signer=signer,
            clock=self.clock.now,
            vihf_options=VihfOptions(check_consistency=False),
            oid_generator=self._ids,
            # Send what the client would refuse: these tests watch the sandbox refuse by itself.
            check_patients=False,
            check_rights=False,
            check_confidentiality=False,
        )

    # ---------------------------------------------------------------------------------------- calls

    def call(self, request: SoapRequest) -> Reply:
        """Send a request through routing, authentication and the handler; the answer is read back."""
        message = read_message(request.content_type, request.body_bytes())
        return self.call_message(message, request.service)

    def call_message(self, message: SoapMessage, service: Service) -> Reply:
        """A received message (e.g. an official example read from a file) on ``service``."""
        route = self.router.resolve(service, message)
        patientless = all(c.td in self.config.patientless_transactions for c in route.candidates)
        now = self.clock.now()
        result = self.authenticator.authenticate(
            message.envelope, peer=None, now=now, transaction=route.candidates[0].td if patientless else None
        )
        handlers = self.behaviour.handlers
        spec = self.router.choose(route, message, result.caller, handlers.discriminator, handled=handlers.tds)
        handler = handlers.get(spec.td)
        assert handler is not None, spec.td
        sandbox_request = SandboxRequest(
            transaction=spec,
            candidates=route.candidates,
            service=service,
            action=route.action,
            message=message,
            vihf=result.vihf,
            verification=result.verification,
            caller=result.caller,
            received_at=now,
        )
        try:
            response = handler(sandbox_request)
        except SandboxFault as fault:
            return Reply(spec.td, fault=fault)
        assert isinstance(response, SoapResponse)
        return Reply(spec.td, message=read_message(response.content_type, response.body_bytes()), response=response)

    # ------------------------------------------------------------------------------------ documents

    def cda(
        self,
        patient: INS,
        *,
        ctx: RequestContext | None = None,
        type_code: str = "11488-4",
        title: str = "Compte rendu de consultation",
        body: bytes = b"Compte rendu de test.\n",
        replaces: str | None = None,
        set_id: str | None = None,
        **header: Any,
    ) -> BuiltCda:
        """An N1 CDA (text body) written by the context's professional for a seeded patient."""
        record = self.store.get_patient(patient)
        assert record is not None, patient
        acting = (ctx or self.ctx()).acting
        when = self.clock.now() - dt.timedelta(hours=1)
        cda_patient = Patient(
            ins=patient.to_cx(),
            birth_family_name=record.birth_family_name,
            birth_given_names=record.given_names,
            sex=record.sex,  # type: ignore[arg-type]
            birth_date=record.birth_date,
        )
        input_ = DocumentHeaderInput.from_context(
            acting,
            patient=cda_patient,
            type_code=type_code,
            title=title,
            service_start=when - dt.timedelta(minutes=30),
            service_stop=when,
            author_time=when,
            effective_time=when,
            unique_id=self._ids.new(3),
            replaces=replaces,
            set_id=set_id,
            version=2 if replaces else 1,
            **header,
        )
        return build_n1(input_, body, media_type="text/plain")

    def submission(
        self,
        patient: INS,
        documents: Sequence[DocumentToSubmit | BuiltCda] | None = None,
        *,
        ctx: RequestContext | None = None,
        replaces: dict[int, str] | None = None,
        validate: bool = True,
        confidentiality: Sequence[Code] = (),
    ) -> PreparedSubmission:
        """A signed TD2.1 request (one new CDA by default)."""
        context = ctx or self.ctx()
        docs = list(documents) if documents is not None else [self.cda(patient, ctx=context)]
        items = [
            d if isinstance(d, DocumentToSubmit) else DocumentToSubmit.from_cda(d, confidentiality=confidentiality)
            for d in docs
        ]
        return prepare_submission(context, patient, items, submission_set=LOT, replaces=replaces, validate=validate)

    def current_uuid(self, unique_id: str) -> str:
        entry = self.store.latest_by_unique_id(unique_id)
        assert entry is not None, unique_id
        return entry.entry_uuid


@contextmanager
def harness(**kwargs: Any) -> Iterator[Harness]:
    """A fresh harness, closed afterwards."""
    h = Harness(**kwargs)
    try:
        yield h
    finally:
        h.close()


def error_of(call: Any, *args: Any, **kwargs: Any) -> DMPError:
    """The :class:`~dmpclient.errors.DMPError` a client-side parse function raises."""
    try:
        call(*args, **kwargs)
    except DMPError as exc:
        return exc
    raise AssertionError("no DMP error raised")


def with_acting(ctx: RequestContext, **changes: Any) -> RequestContext:
    """A copy of a request context with the acting context changed."""
    return dataclasses.replace(ctx, acting=dataclasses.replace(ctx.acting, **changes))
