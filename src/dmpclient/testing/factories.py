"""Factories of test data: INS, professionals, structures, acting contexts and N1 CDA documents.

Every identifier made here is **valid** (INS key, RPPS Luhn digit, FINESS/RPPS-cabinet form) and lies in the
ranges used for tests: INS on the test OID ``1.2.250.1.213.1.4.10``, RPPS numbers starting ``9990``, FINESS
test numbers with a ``B`` in second position. Random parts come from :mod:`secrets`, so two calls never
collide in practice; nothing here is meant for production.

The functions are plain (no pytest, no sandbox): the pytest plugin and :class:`~dmpclient.testing.LocalDmp`
bind them to a sandbox and to the client's acting context.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from dmpclient.cda import BuiltCda, DocumentHeaderInput, Patient, build_n1, make_sample_pdf
from dmpclient.context import AccessMode, ActingContext, AuthenticationMode, Professional, Structure
from dmpclient.errors import InputError
from dmpclient.ids import INS, InsOid, luhn_is_valid, nir_key
from dmpclient.security import TestPki
from dmpclient.terminology import INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX, MASQUE_PS, Code
from dmpclient.transactions import DocumentToSubmit

__all__ = [
    "CONFIDENTIALITY_CODES",
    "DEFAULT_TITLE",
    "DEFAULT_TYPE_CODE",
    "make_cda_patient",
    "make_context",
    "make_document",
    "make_professional",
    "make_structure",
    "random_birth_date",
    "random_ins",
    "random_rpps",
]

#: LOINC ``11488-4`` "CR ou fiche de consultation ou de visite": the default document type.
DEFAULT_TYPE_CODE: Final = "11488-4"
#: The default document title.
DEFAULT_TITLE: Final = "Compte rendu de consultation"
#: XDS confidentiality codes a test document may carry besides the CDA's own ``N`` (by name).
CONFIDENTIALITY_CODES: Final[dict[str, Code]] = {
    "MASQUE_PS": MASQUE_PS,
    "INVISIBLE_PATIENT": INVISIBLE_PATIENT,
    "INVISIBLE_REPRESENTANTS_LEGAUX": INVISIBLE_REPRESENTANTS_LEGAUX,
}

_GIVEN: Final = {"F": ("CAMILLE", "LOUISE", "JEANNE", "ALICE"), "M": ("PAUL", "LOUIS", "ARTHUR", "JULES")}


def _randint(low: int, high: int) -> int:
    """A random integer in ``[low, high]`` (test data, not secrets)."""
    return low + secrets.randbelow(high - low + 1)


def _luhn_complete(digits: str) -> str:
    """``digits`` followed by the Luhn check digit."""
    for check in "0123456789":
        if luhn_is_valid(digits + check):
            return digits + check
    raise AssertionError("unreachable: one Luhn digit always fits")  # pragma: no cover


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def random_birth_date(*, min_age: int = 25, max_age: int = 85, today: dt.date | None = None) -> dt.date:
    """A random birth date of an adult aged ``min_age``…``max_age`` (minors trigger the DMP's minor rules)."""
    if not 0 <= min_age <= max_age:
        raise InputError("need 0 <= min_age <= max_age", field="min_age", value=(min_age, max_age))
    now = today or dt.date.today()
    oldest = _years_before(now, max_age + 1) + dt.timedelta(days=1)
    youngest = _years_before(now, min_age)
    return oldest + dt.timedelta(days=secrets.randbelow(max(1, (youngest - oldest).days)))


def random_ins(
    *, sex: str = "F", birth_date: dt.date | None = None, oid: InsOid | str = InsOid.TEST, department: str | None = None
) -> INS:
    """A random INS-NIR with a valid key, consistent with ``sex`` and ``birth_date`` (test OID ``.10`` by default).

    Args:
        sex: ``M`` (first digit 1), ``F`` (2) or ``U`` (either).
        birth_date: gives digits 2-5 (year, month); random adult when None.
        oid: the INS OID (``.10`` test, ``.11`` demonstration; ``.9`` makes a NIA, which the DMP refuses).
        department: digits 6-7 (``"75"``, ``"2A"``…); random mainland department when None.
    """
    sex = sex.upper()
    if sex not in ("M", "F", "U"):
        raise InputError("sex is M, F or U", field="sex", value=sex)
    digit = {"M": "1", "F": "2"}.get(sex) or secrets.choice("12")
    born = birth_date or random_birth_date()
    dept = department if department is not None else f"{secrets.choice([d for d in range(1, 96) if d != 20]):02d}"
    first13 = f"{digit}{born.year % 100:02d}{born.month:02d}{dept}{_randint(1, 990):03d}{_randint(1, 999):03d}"
    if len(first13) != 13:
        raise InputError("the department has two characters", field="department", value=department)
    return INS.parse(f"{first13}{nir_key(first13):02d}", oid)


def random_rpps() -> str:
    """A random 11-digit test RPPS number (``9990`` + 6 random digits + the Luhn digit)."""
    return _luhn_complete(f"9990{_randint(0, 999_999):06d}")


def make_cda_patient(
    ins: INS,
    *,
    family: str = "TESTPATIENT",
    given: Sequence[str] | str | None = None,
    sex: str | None = None,
    birth_date: dt.date | None = None,
    **fields: Any,
) -> Patient:
    """The CDA patient (INS traits) of a test patient; other :class:`~dmpclient.cda.Patient` fields in ``fields``.

    ``sex`` defaults to the one the INS says (1 → M, 2 → F); ``birth_date`` to the 1st of the INS month.
    """
    if sex is None:
        sex = {"1": "M", "2": "F"}.get(ins.sex_digit, "U")
    if birth_date is None:
        year, month = int(ins.matricule[1:3]), int(ins.matricule[3:5])
        today = dt.date.today()
        full_year = 2000 + year if 2000 + year <= today.year else 1900 + year
        birth_date = dt.date(full_year, month if 1 <= month <= 12 else 1, 1)
    if given is None:
        given = (_GIVEN.get(sex, _GIVEN["F"])[0],)
    names = tuple(given.split()) if isinstance(given, str) else tuple(given)
    return Patient(ins=ins, birth_family_name=family, birth_given_names=names, sex=sex, birth_date=birth_date, **fields)


def make_professional(
    *,
    family: str = "TESTEUR",
    given: str = "ALEX",
    rpps: str | None = None,
    profession: str = "10",
    profession_display: str | None = "Médecin",
    specialty: str | None = "SM26",
    specialty_display: str | None = "Qualifié en Médecine Générale (SM)",
    **options: Any,
) -> Professional:
    """A professional with a random valid test RPPS (IdNat ``8`` + RPPS); a general practitioner by default.

    Other :meth:`~dmpclient.context.Professional.create` options (``card_type`` …) go in ``options``. A
    non-physician: ``profession="60", profession_display="Infirmier", specialty=None``.
    """
    number = rpps or random_rpps()
    return Professional.create(
        "8" + number,
        family,
        given,
        profession=profession,
        profession_display=profession_display,
        specialty=specialty,
        specialty_display=specialty_display if specialty else None,
        **options,
    )


def make_structure(
    name: str | None = None,
    *,
    kind: str = "cabinet",
    idnat: str | None = None,
    legal_entity: str | None = None,
    **options: Any,
) -> Structure:
    """A structure with a random valid test identifier.

    Args:
        kind: ``cabinet`` (RPPS cabinet ``4`` + RPPS + ``001``, secteur SA07, cadre AMBULATOIRE) or
            ``etablissement`` (FINESS EG ``10B…``, secteur SA01, cadre ETABLISSEMENT, with a FINESS EJ ``11B…``).
        idnat: a given IdNat instead of a random one.
        legal_entity: the EJ of an établissement (random when None).
        options: other :meth:`~dmpclient.context.Structure.create` options (``secteur_activite`` …).
    """
    if kind == "cabinet":
        return Structure.create(
            idnat or f"4{random_rpps()}001",
            name or "CABINET DE TEST",
            **{"secteur_activite": "SA07", "cadre_exercice": "AMBULATOIRE", **options},
        )
    if kind == "etablissement":
        return Structure.create(
            idnat or f"10B{_randint(0, 9_999_999):07d}",
            name or "ETABLISSEMENT DE TEST",
            **{
                "secteur_activite": "SA01",
                "cadre_exercice": "ETABLISSEMENT",
                "finess_level": "EG",
                "legal_entity": legal_entity or f"11B{_randint(0, 9_999_999):07d}",
                **options,
            },
        )
    raise InputError("kind is cabinet or etablissement", field="kind", value=kind)


def make_context(
    pki: TestPki,
    mode: AuthenticationMode | str = AuthenticationMode.DIRECTE,
    *,
    professional: Professional | None = None,
    structure: Structure | None = None,
    access_mode: AccessMode | str = AccessMode.NORMAL,
    access_reason: str | None = None,
    secret_connection: bool = False,
) -> ActingContext:
    """An acting context the sandbox authenticates with the test PKI's certificates.

    DIRECTE: Dr Max LIBRE at his cabinet (his "card" signs); INDIRECTE / INDIRECTE_RENFORCEE (AIR): the
    professional at the hospital's EG, the EJ's certificates authenticating. In indirect modes any
    ``professional`` (e.g. :func:`make_professional`) is accepted, the structure vouching for them; a
    ``structure`` other than the PKI's does not match the certificates: the client refuses it before sending
    (``RuleViolation`` « Erreur d'authentification de la personne morale »), and so would the sandbox — useful
    for negative tests. Bris de glace gets a default ``access_reason``.
    """
    base = pki.acting_context(mode)
    access = AccessMode(access_mode)
    if access is AccessMode.BRIS_DE_GLACE and not access_reason:
        access_reason = "Urgence vitale (test)"
    return dataclasses.replace(
        base,
        professional=professional or base.professional,
        structure=structure or base.structure,
        access_mode=access,
        access_reason=access_reason,
        secret_connection=secret_connection,
    )


def _confidentiality(codes: Sequence[Code | str]) -> tuple[Code, ...]:
    out: list[Code] = []
    for code in codes:
        if isinstance(code, Code):
            out.append(code)
            continue
        known = CONFIDENTIALITY_CODES.get(str(code).upper())
        if known is None:
            raise InputError(
                "unknown confidentiality code (give a Code, or one of " + ", ".join(CONFIDENTIALITY_CODES) + ")",
                field="confidentiality",
                value=code,
            )
        out.append(known)
    return tuple(out)


def _previous_header(previous: DocumentToSubmit | BuiltCda) -> tuple[str, str, int]:
    built = previous.source if isinstance(previous, DocumentToSubmit) else previous
    if not isinstance(built, BuiltCda):
        raise InputError("replaces= needs a document built by make_document", field="replaces", value=type(built))
    header = built.header
    set_id = header.set_id.root if header.set_id is not None else None
    if set_id is None:
        raise InputError("the replaced document has no setId", field="replaces", value=built.unique_id)
    return built.unique_id, set_id, (header.version or 1) + 1


def make_document(
    context: ActingContext,
    patient: Patient,
    *,
    text: str | None = None,
    pdf: bytes | str | os.PathLike[str] | None = None,
    title: str = DEFAULT_TITLE,
    type_code: Code | str = DEFAULT_TYPE_CODE,
    confidentiality: Sequence[Code | str] = (),
    comments: str | None = None,
    when: dt.datetime | None = None,
    replaces: DocumentToSubmit | BuiltCda | None = None,
    **header: Any,
) -> DocumentToSubmit:
    """An N1 CDA document ready for ``client.submit`` (a :class:`~dmpclient.transactions.DocumentToSubmit`).

    The author, custodian, legal authenticator, performer and healthcare facility come from ``context``
    (:meth:`DocumentHeaderInput.from_context <dmpclient.cda.DocumentHeaderInput.from_context>`); the service
    took place 30 minutes before ``when`` (default: now). The body is ``text`` (``text/plain``), a ``pdf``
    (bytes or a file), or — when neither is given — a small generated PDF/A carrying the title and a
    random token (two documents never have the same content).

    Args:
        confidentiality: XDS codes added to the CDA's ``N``: ``"MASQUE_PS"``, ``"INVISIBLE_PATIENT"``,
            ``"INVISIBLE_REPRESENTANTS_LEGAUX"`` or :class:`~dmpclient.terminology.Code` objects.
        replaces: the previous version (returned by this function): the new one keeps its setId, has the
            next version number and points at it (``relatedDocument RPLC``) — submit it with
            ``client.replace(ins, old_unique_id, new_document)``.
        header: other :class:`~dmpclient.cda.DocumentHeaderInput` fields (``unique_id``, ``language`` …).

    The document's uniqueId is ``document.source.unique_id`` (also ``result.document_unique_ids`` after submit).
    """
    if text is not None and pdf is not None:
        raise InputError("give text or pdf, not both", field="text", value="text+pdf")
    now = (when or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    if now.tzinfo is None:
        raise InputError("when must be timezone-aware", field="when", value=when)
    if replaces is not None:
        replaced, set_id, version = _previous_header(replaces)
        header = {"replaces": replaced, "set_id": set_id, "version": version, **header}
    header_input = DocumentHeaderInput.from_context(
        context,
        patient=patient,
        type_code=type_code,
        title=title,
        service_start=now - dt.timedelta(minutes=30),
        service_stop=now - dt.timedelta(minutes=5),
        author_time=now,
        effective_time=now,
        **header,
    )
    if text is not None:
        built = build_n1(header_input, text.encode("utf-8"), media_type="text/plain")
    else:
        if pdf is None:
            payload = make_sample_pdf([title.upper(), f"TEST {uuid.uuid4().hex[:12].upper()}"], title=title)
        elif isinstance(pdf, bytes):
            payload = pdf
        else:
            payload = Path(pdf).read_bytes()
        built = build_n1(header_input, payload, media_type="application/pdf")
    return DocumentToSubmit.from_cda(built, confidentiality=_confidentiality(confidentiality), comments=comments)
