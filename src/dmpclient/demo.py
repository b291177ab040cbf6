"""The feed-and-consult demonstration behind ``dmpclient demo`` (floor 5).

:func:`run_demo` creates a test PKI, starts the embedded sandbox over **real mutual TLS** on a free loopback
port (in a background thread) and plays one story with the public client API, step by step:

==  =========  =================================================================================
 #  TD         step
==  =========  =================================================================================
 1  TD0.2      test existence of the DMP of PAT-TROIS (an empty DMP of the sandbox seed)
 2  TD0.3      declare the professional's authorisation
 3  CDA        build an N1 CDA (consultation report, LOINC 11488-4) around the bundled sample PDF
 4  TD2.1      submit it (XDS metadata, VIHF, XAdES submission-set signature, MTOM)
 5  TD3.1      find it (a search the user asked for: ``user_initiated=True``, EX_3.1-1090)
 6  TD3.2      retrieve it and check the bytes equal what was submitted
 7  TD2.1      replace it by a version 2 (RPLC; TD3.1b just before, RG_3130)
 8  TD3.3a     hide the new version from professionals (MASQUE_PS)
 9  TD3.3a     show it again
10  TD3.3d     archive it (TD3.1b just before)
11  TD3.3c     delete it (TD3.1b just before)
12  TD0.2      a NIA patient: refused **by the client** before anything is sent (CNDA 0.2-080)
13  TD2.1      a forbidden typeCode (``DOCPAT03``) sent with the client's metadata guard off: refused
               **by the DMP** (« Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité »)
==  =========  =================================================================================

Every step has an expectation (success, refusal by the client, refusal by the DMP); the demo passes only
when every step met its own (:attr:`DemoResult.ok`). It uses the public API only (:mod:`dmpclient.client`,
:mod:`dmpclient.cda`, :mod:`dmpclient.security`, :mod:`dmpclient.evidence`) and :mod:`dmpclient.sandbox`, and
needs nothing but the installed package (the sample PDF and the seed are package data). Documentation:
``docs/demo.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dmpclient.cda import BuiltCda, DocumentHeaderInput, build_n1_to_file, sample_pdf_path
from dmpclient.cda.demo import demo_patient
from dmpclient.client import DMPClient, Exchange, GuardSettings
from dmpclient.context import ActingContext, AuthenticationMode
from dmpclient.environments import get_environment
from dmpclient.errors import ConfigurationError, DMPClientError, DMPError, NIARefused, TransportError
from dmpclient.evidence import EvidenceWriter
from dmpclient.ids import INS, InsOid
from dmpclient.security import TestPki, create_test_pki
from dmpclient.xds.model import AvailabilityStatus, DocumentEntry, RegistryResponse

if TYPE_CHECKING:
    from dmpclient.sandbox import Sandbox

__all__ = [
    "DEMO_NIA",
    "DEMO_PATIENT_INS",
    "DOCUMENT_TYPE_CODE",
    "FORBIDDEN_TYPE_CODE",
    "DemoCheckFailed",
    "DemoExchange",
    "DemoResult",
    "DemoStep",
    "Expectation",
    "StepOutcome",
    "run_demo",
]

#: PAT-TROIS DOMINIQUE (test OID ``.10``): an active, empty DMP in the sandbox seed.
DEMO_PATIENT_INS: Final = "279035121518989"
#: PROVISOIRE MATRICULE: a NIA (OID ``1.2.250.1.213.1.4.9``) of the seed; DMP access is refused.
DEMO_NIA: Final = "109076322088835"
#: A typeCode an LPS may not send (TRE_A05 ``DOCPAT03`` « CR déposé par le patient », EX_2.1-1010).
FORBIDDEN_TYPE_CODE: Final = "DOCPAT03"
#: The type of the demo's documents: LOINC 11488-4, consultation report.
DOCUMENT_TYPE_CODE: Final = "11488-4"


class Expectation(enum.StrEnum):
    """What a step is expected to do."""

    SUCCESS = "success"
    CLIENT_REFUSAL = "client-refusal"
    """The client refuses before sending anything (a guard)."""
    DMP_REFUSAL = "dmp-refusal"
    """The DMP (the sandbox) refuses with its own code and French message."""


class StepOutcome(enum.StrEnum):
    """What a step did."""

    SUCCESS = "success"
    CLIENT_REFUSAL = "client-refusal"
    DMP_REFUSAL = "dmp-refusal"
    CHECK_FAILED = "check-failed"
    """The call succeeded but what came back is not what the story expects (e.g. different bytes)."""
    TRANSPORT_ERROR = "transport-error"
    ERROR = "error"
    """An unexpected exception (a bug)."""
    SKIPPED = "skipped"
    """Not run: an earlier step it depends on failed."""


@dataclass(frozen=True)
class DemoExchange:
    """One HTTP exchange of a step (from the client's exchange hook)."""

    transaction: str
    status: int | None
    outcome: str
    dmp_code: str | None
    duration: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (duration in milliseconds)."""
        return {
            "transaction": self.transaction,
            "status": self.status,
            "outcome": self.outcome,
            "dmp_code": self.dmp_code,
            "duration_ms": round(self.duration * 1000, 1),
        }


@dataclass(frozen=True)
class DemoStep:
    """One step of the story and what happened.

    Attributes:
        number: 1, 2, …
        transaction: the DMP transaction the step is about (``"TD2.1"``; ``"CDA"`` for the local build).
        action: what the step does (``"submit the N1 CDA"``).
        expected: the step's expectation.
        outcome: what happened.
        passed: the outcome met the expectation (and the step's own checks passed).
        summary: what happened, one line (for a refusal: who refused and why).
        answer: the DMP's answer or code (``Success``, ``DMPOk``, ``XDSRegistryMetadataError``), or the rule id
            of a client refusal (``CNDA 0.2-080``).
        message_fr: the DMP's French message, verbatim, when it refused.
        error: ``"<ExceptionType>: <message>"`` when the step ended with an exception.
        exchanges: the HTTP exchanges the step made, in order.
        duration: seconds.
        details: identifiers worth keeping (uniqueIds, file paths).
    """

    number: int
    transaction: str
    action: str
    expected: Expectation
    outcome: StepOutcome
    passed: bool
    summary: str
    answer: str | None = None
    message_fr: str | None = None
    error: str | None = None
    exchanges: tuple[DemoExchange, ...] = ()
    duration: float = 0.0
    details: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (duration in milliseconds)."""
        return {
            "number": self.number,
            "transaction": self.transaction,
            "action": self.action,
            "expected": self.expected.value,
            "outcome": self.outcome.value,
            "passed": self.passed,
            "summary": self.summary,
            "answer": self.answer,
            "message_fr": self.message_fr,
            "error": self.error,
            "exchanges": [e.to_dict() for e in self.exchanges],
            "duration_ms": round(self.duration * 1000, 1),
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class DemoResult:
    """The whole run.

    Attributes:
        steps: every step, in order.
        base_url: the sandbox's SOAP base URL (``https://127.0.0.1:<port>/si-dmp-server/v2/services``).
        patient: the INS of the story's patient.
        kept: the folder holding the PKI, database, evidence and documents (``keep=``), else None.
        duration: seconds, set-up included.
    """

    steps: tuple[DemoStep, ...]
    base_url: str
    patient: str
    kept: Path | None
    duration: float

    @property
    def ok(self) -> bool:
        """Every step behaved as expected."""
        return bool(self.steps) and all(s.passed for s in self.steps)

    @property
    def failed(self) -> tuple[DemoStep, ...]:
        """The steps that did not behave as expected (skipped ones included)."""
        return tuple(s for s in self.steps if not s.passed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``--json`` output of ``dmpclient demo``)."""
        return {
            "format": "dmpclient-demo/1",
            "ok": self.ok,
            "patient": self.patient,
            "base_url": self.base_url,
            "kept": str(self.kept) if self.kept is not None else None,
            "duration_ms": round(self.duration * 1000, 1),
            "passed": sum(1 for s in self.steps if s.passed),
            "failed": [s.number for s in self.failed],
            "steps": [s.to_dict() for s in self.steps],
        }


class DemoCheckFailed(Exception):
    """Raised by a step whose call succeeded but whose result is not what the story expects."""


@dataclass(frozen=True)
class _Done:
    summary: str
    answer: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


class _ExchangeLog:
    """Exchange hook: remembers the exchanges of the current step and forwards them to the evidence writer."""

    def __init__(self, writer: EvidenceWriter | None) -> None:
        self.writer = writer
        self.current: list[DemoExchange] = []
        self.total = 0

    def __call__(self, exchange: Exchange) -> None:
        self.total += 1
        self.current.append(
            DemoExchange(
                transaction=exchange.transaction,
                status=exchange.response_status,
                outcome=str(exchange.outcome),
                dmp_code=exchange.dmp_code,
                duration=exchange.duration,
            )
        )
        if self.writer is not None:
            self.writer(exchange)

    def take(self) -> tuple[DemoExchange, ...]:
        taken = tuple(self.current)
        self.current.clear()
        return taken


def _short(uid: str, keep: int = 18) -> str:
    return uid if len(uid) <= keep + 1 else uid[:keep] + "…"


class _Story:
    """The steps, run in order against one sandbox."""

    def __init__(
        self,
        *,
        client: DMPClient,
        refusing_client: DMPClient,
        log: _ExchangeLog,
        context: ActingContext,
        documents: Path,
        on_step: Callable[[DemoStep], None] | None,
    ) -> None:
        self.client = client
        self.refusing_client = refusing_client
        self.log = log
        self.context = context
        self.documents = documents
        self.on_step = on_step
        self.steps: list[DemoStep] = []
        self.ins = INS.parse(DEMO_PATIENT_INS)
        self.built: BuiltCda | None = None
        self.entry: DocumentEntry | None = None
        self.current_uid: str | None = None

    # -- plumbing

    def step(
        self,
        transaction: str,
        action: str,
        body: Callable[[], _Done],
        *,
        expected: Expectation = Expectation.SUCCESS,
        needs: bool = True,
        refusal_check: Callable[[DMPClientError, tuple[DemoExchange, ...]], str | None] | None = None,
    ) -> DemoStep:
        number = len(self.steps) + 1
        self.log.take()
        if not needs:
            result = DemoStep(
                number,
                transaction,
                action,
                expected,
                StepOutcome.SKIPPED,
                False,
                "not run: an earlier step it depends on failed",
            )
            return self._record(result)
        started = time.perf_counter()
        answer: str | None = None
        message_fr: str | None = None
        error: str | None = None
        details: Mapping[str, str] = {}
        caught: DMPClientError | None = None
        try:
            done = body()
        except DemoCheckFailed as exc:
            outcome, summary = StepOutcome.CHECK_FAILED, str(exc)
        except DMPError as exc:
            caught = exc
            outcome = StepOutcome.DMP_REFUSAL
            answer, message_fr = exc.code, exc.message_fr
            said = f"« {exc.message_fr} »" if exc.message_fr else str(exc)
            summary = f"refused by the DMP: {said}"
            error = f"{type(exc).__name__}: {exc}"
        except TransportError as exc:
            outcome, summary = StepOutcome.TRANSPORT_ERROR, f"transport error: {exc}"
            error = f"{type(exc).__name__}: {exc}"
        except DMPClientError as exc:
            caught = exc
            outcome = StepOutcome.CLIENT_REFUSAL
            answer = getattr(exc, "rule", None)
            reason = getattr(exc, "reason", None) or str(exc)
            summary = f"refused by the client, nothing sent: {type(exc).__name__}, {reason}"
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug: reported as a failed step, never hidden
            outcome, summary = StepOutcome.ERROR, f"unexpected error: {type(exc).__name__}: {exc}"
            error = f"{type(exc).__name__}: {exc}"
        else:
            outcome, summary, answer, details = StepOutcome.SUCCESS, done.summary, done.answer, done.details
        duration = time.perf_counter() - started
        exchanges = self.log.take()
        passed = outcome.value == expected.value
        if passed and caught is not None and refusal_check is not None:
            problem = refusal_check(caught, exchanges)
            if problem is not None:
                passed = False
                summary = f"{summary} — but {problem}"
        if not passed and outcome is StepOutcome.SUCCESS:
            summary = f"expected a {expected.value.replace('-', ' ')}, but it succeeded: {summary}"
        result = DemoStep(
            number,
            transaction,
            action,
            expected,
            outcome,
            passed,
            summary,
            answer=answer,
            message_fr=message_fr,
            error=error,
            exchanges=exchanges,
            duration=duration,
            details=details,
        )
        return self._record(result)

    def _record(self, step: DemoStep) -> DemoStep:
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
        return step

    def header(self, title: str, type_code: str = DOCUMENT_TYPE_CODE, **extra: Any) -> DocumentHeaderInput:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return DocumentHeaderInput.from_context(
            self.context,
            patient=demo_patient(),
            type_code=type_code,
            title=title,
            service_start=now - dt.timedelta(minutes=30),
            service_stop=now - dt.timedelta(minutes=5),
            author_time=now,
            effective_time=now,
            **extra,
        )

    # -- the story

    def run(self) -> list[DemoStep]:
        chain: list[tuple[str, str, Callable[[], _Done]]] = [
            ("TD0.2", "test existence", self.test_existence),
            ("TD0.3", "authorise", self.authorise),
            ("CDA", "build an N1 CDA from the sample PDF", self.build),
            ("TD2.1", "submit", self.submit),
            ("TD3.1", "find (user action)", self.find),
            ("TD3.2", "retrieve and compare", self.retrieve),
            ("TD2.1", "replace (RPLC, TD3.1b first)", self.replace),
            ("TD3.3a", "hide from professionals", self.hide),
            ("TD3.3a", "show to professionals again", self.unhide),
            ("TD3.3d", "archive (TD3.1b first)", self.archive),
            ("TD3.3c", "delete (TD3.1b first)", self.delete),
        ]
        intact = True  # each step of the chain needs the previous ones; after a failure the rest is skipped
        for transaction, action, body in chain:
            intact = self.step(transaction, action, body, needs=intact).passed and intact
        # The refusals do not depend on the chain.
        self.step(
            "TD0.2",
            "NIA patient",
            self.nia,
            expected=Expectation.CLIENT_REFUSAL,
            refusal_check=_check_nia_refusal,
        )
        self.step(
            "TD2.1",
            f"forbidden typeCode {FORBIDDEN_TYPE_CODE}",
            self.forbidden_type,
            expected=Expectation.DMP_REFUSAL,
            refusal_check=_check_forbidden_refusal,
        )
        return self.steps

    def test_existence(self) -> _Done:
        status = self.client.test_existence(self.ins)
        if not status.exists or not status.can_feed:
            raise DemoCheckFailed(f"the DMP of {self.ins.matricule} cannot be fed (exists={status.exists})")
        auth = _status(status.authorization) if status.authorization is not None else "none"
        return _Done(f"the DMP exists and is open; authorisation {auth}", status.query_response_code)

    def authorise(self) -> _Done:
        update = self.client.authorize(self.ins)
        return _Done(f"« {update.context} »" if update.context else "authorisation declared", update.status)

    def build(self) -> _Done:
        pdf = sample_pdf_path()
        target = self.documents / "consultation-v1.cda.xml"
        self.built = build_n1_to_file(self.header("Compte rendu de consultation"), pdf, target)
        return _Done(
            f"{pdf.name} wrapped in {target.name}: {self.built.size} bytes, uniqueId {_short(self.built.unique_id)}",
            details={"unique_id": self.built.unique_id, "file": str(target)},
        )

    def submit(self) -> _Done:
        assert self.built is not None
        result = self.client.submit(self.ins, [self.built])
        if result.unique_id != self.built.unique_id:
            raise DemoCheckFailed(f"the DMP accepted uniqueId {result.unique_id}, not {self.built.unique_id}")
        self.current_uid = result.unique_id
        return _Done(
            f"accepted: document {_short(result.unique_id)}, signed lot of 1 document",
            _status(result.response.status),
            {"unique_id": result.unique_id, "submission_set": result.submission_set_unique_id},
        )

    def find(self) -> _Done:
        assert self.built is not None
        # A search right after a feed is a user action here (EX_3.1-1090): user_initiated=True.
        found = self.client.find_documents(self.ins, user_initiated=True)
        mine = [e for e in found.documents if e.unique_id == self.built.unique_id]
        if not mine:
            raise DemoCheckFailed(f"{len(found.documents)} document(s) found, not the one submitted")
        self.entry = mine[0]
        state = _status(self.entry.availability_status)
        return _Done(
            f"{len(found.documents)} document(s); ours: « {self.entry.title} », {state}",
            _status(found.status),
            {"entry_uuid": self.entry.entry_uuid or ""},
        )

    def retrieve(self) -> _Done:
        assert self.built is not None
        assert self.entry is not None
        target = self.documents / "retrieved-v1.cda.xml"
        # Given the DocumentEntry, the client also checks the SHA-1 and size against the metadata.
        self.client.retrieve(self.ins, self.entry, to=target)
        got, sent = target.read_bytes(), self.built.read_bytes()
        if got != sent:
            raise DemoCheckFailed(f"the retrieved document ({len(got)} bytes) differs from the one submitted")
        return _Done(f"{len(got)} bytes, identical to the document submitted (SHA-1 {self.built.sha1[:12]}…)")

    def replace(self) -> _Done:
        assert self.built is not None
        assert self.current_uid is not None
        set_id = self.built.header.set_id
        extra: dict[str, Any] = {"version": 2, "replaces": self.current_uid}
        if set_id is not None:
            extra["set_id"] = set_id.root
        target = self.documents / "consultation-v2.cda.xml"
        built = build_n1_to_file(
            self.header("Compte rendu de consultation (version 2)", **extra), sample_pdf_path(), target
        )
        result = self.client.replace(self.ins, self.current_uid, built, previous_entry=self.entry)
        previous = self.current_uid
        self.current_uid = result.unique_id
        return _Done(
            f"version 2 {_short(result.unique_id)} replaces {_short(previous)}",
            _status(result.response.status),
            {"unique_id": result.unique_id, "replaced": previous, "file": str(target)},
        )

    def _update_current(self, update: Callable[..., RegistryResponse], summary: str, **kwargs: Any) -> _Done:
        """A TD3.3 update of the current document: ``update(ins, current uniqueId, **kwargs)``."""
        assert self.current_uid is not None
        response = update(self.ins, self.current_uid, **kwargs)
        return _Done(summary, _status(response.status))

    def hide(self) -> _Done:
        return self._update_current(
            self.client.hide_from_professionals, "MASQUE_PS added: hidden from other professionals"
        )

    def unhide(self) -> _Done:
        return self._update_current(
            self.client.unhide_for_professionals, "MASQUE_PS removed: visible to professionals again"
        )

    def archive(self) -> _Done:
        return self._update_current(self.client.archive, "status Approved → Archived")

    def delete(self) -> _Done:
        return self._update_current(
            self.client.delete, "status Archived → Deleted", current_status=AvailabilityStatus.ARCHIVED
        )

    def nia(self) -> _Done:
        nia = INS.parse(DEMO_NIA, InsOid.NIA)
        status = self.client.test_existence(nia)
        return _Done(f"a NIA was accepted (exists={status.exists})", status.query_response_code)

    def forbidden_type(self) -> _Done:
        target = self.documents / "forbidden-type.cda.xml"
        built = build_n1_to_file(
            self.header("Compte rendu déposé par le patient", type_code=FORBIDDEN_TYPE_CODE), sample_pdf_path(), target
        )
        result = self.refusing_client.submit(self.ins, [built])
        return _Done(f"document {_short(result.unique_id)} with typeCode {FORBIDDEN_TYPE_CODE} was accepted")


def _status(value: object) -> str:
    text = str(getattr(value, "value", value))
    return text.rsplit(":", 1)[-1]


def _check_nia_refusal(exc: DMPClientError, exchanges: tuple[DemoExchange, ...]) -> str | None:
    if not isinstance(exc, NIARefused):
        return f"the refusal is a {type(exc).__name__}, not NIARefused"
    if exchanges:
        return f"{len(exchanges)} request(s) were sent"
    return None


def _check_forbidden_refusal(exc: DMPClientError, exchanges: tuple[DemoExchange, ...]) -> str | None:
    if not any(e.transaction in ("TD2.1", "TD2.2") for e in exchanges):
        return "no TD2.1 was sent"
    text = f"{getattr(exc, 'message_fr', None) or ''} {exc}"
    if FORBIDDEN_TYPE_CODE not in text:
        return f"the DMP's message does not name {FORBIDDEN_TYPE_CODE}"
    return None


@contextlib.contextmanager
def _work_dir(keep: Path | None) -> Iterator[Path]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="dmpclient-demo-") as tmp:
            yield Path(tmp)
        return
    if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise ConfigurationError(
            "the folder to keep the demo's files in must be empty or not exist yet",
            field="keep",
            value=str(keep),
            hint="choose a new folder, e.g. --keep ./demo-run",
        )
    keep.mkdir(parents=True, exist_ok=True)
    yield keep


def run_demo(
    *,
    keep: str | Path | None = None,
    pki: TestPki | None = None,
    on_step: Callable[[DemoStep], None] | None = None,
    progress: Callable[[str, str], None] | None = None,
    prepare_sandbox: Callable[[Sandbox], None] | None = None,
) -> DemoResult:
    """Run the feed-and-consult story against a fresh sandbox over mutual TLS; returns every step.

    Args:
        keep: a folder (empty or new) that keeps ``pki/``, ``sandbox.db``, ``evidence/`` (one folder per
            exchange, :class:`~dmpclient.evidence.EvidenceWriter`) and ``documents/`` (the CDAs built and the
            one retrieved). None: a temporary folder, deleted at the end.
        pki: an existing test PKI to use instead of creating one (tests; the PKI is not copied into ``keep``).
        on_step: called after each step (the CLI prints the timeline line by line).
        progress: called with ``(what, detail)`` during set-up (``"pki"``, ``"sandbox"``, ``"acting"``, ``"patient"``).
        prepare_sandbox: called with the :class:`~dmpclient.sandbox.Sandbox` before the story starts (inject a
            fault, change a patient's state …) — to see the demo notice a misbehaving DMP.

    Raises:
        ConfigurationError: ``keep`` is a non-empty folder.
    """
    from dmpclient.sandbox import Sandbox

    started = time.perf_counter()
    say = progress or (lambda what, detail: None)
    with _work_dir(Path(keep) if keep is not None else None) as work:
        if pki is None:
            t0 = time.perf_counter()
            pki = create_test_pki(work / "pki")
            say("pki", f"{pki.directory} (created in {time.perf_counter() - t0:.1f} s)")
        else:
            say("pki", f"{pki.directory}")
        documents = work / "documents"
        documents.mkdir(exist_ok=True)
        database = work / "sandbox.db"
        writer = EvidenceWriter(work / "evidence") if keep is not None else None
        log = _ExchangeLog(writer)
        context = pki.acting_context(AuthenticationMode.DIRECTE)
        credentials: dict[str, Any] = {
            "context": context,
            "signer": pki.signer("prof-sign"),
            "tls": pki.tls_identity("prof-auth"),
            "trust": pki.trust_store(),
            "exchange_hook": log,
        }
        with Sandbox.from_pki(pki, database=str(database)) as sandbox:
            if prepare_sandbox is not None:
                prepare_sandbox(sandbox)
            with sandbox.run() as base_url:
                say("sandbox", f"{base_url} (mutual TLS, SQLite {database.name})")
                prof = context.professional
                title = "Dr " if prof.profession.code == "10" else ""
                say(
                    "acting",
                    f"{title}{prof.given_name} {prof.family_name} ({prof.id}), {context.structure.name} "
                    f"({context.structure.id}) — DIRECTE: TLS prof-auth, VIHF and XAdES prof-sign",
                )
                patient = demo_patient()
                say(
                    "patient",
                    f"{patient.birth_family_name} {patient.birth_given_names[0]}, INS {DEMO_PATIENT_INS} (test OID)",
                )
                environment = get_environment("sandbox").with_urls(soap_base=base_url)
                with (
                    DMPClient(environment, **credentials) as client,
                    DMPClient(environment, guards=GuardSettings().without("metadata"), **credentials) as refusing,
                ):
                    story = _Story(
                        client=client,
                        refusing_client=refusing,
                        log=log,
                        context=context,
                        documents=documents,
                        on_step=on_step,
                    )
                    steps = story.run()
        return DemoResult(
            steps=tuple(steps),
            base_url=base_url,
            patient=DEMO_PATIENT_INS,
            kept=work if keep is not None else None,
            duration=time.perf_counter() - started,
        )
