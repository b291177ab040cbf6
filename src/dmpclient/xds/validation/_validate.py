"""The validator's entry points: :func:`validate` and :func:`check_metadata_update`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from lxml import etree

from dmpclient import _xml
from dmpclient.context import ActingContext
from dmpclient.errors import Finding, InputError, NIARefused, ValidationFailed, errors_only
from dmpclient.ids import EnvironmentKind
from dmpclient.xds.ebrim import parse_message
from dmpclient.xds.model import (
    AdhocQueryRequest,
    AssociationType,
    DocumentEntry,
    DocumentPart,
    MessageKind,
    ParsedMessage,
    ProvideAndRegisterRequest,
    SubmissionRequest,
)
from dmpclient.xds.queries import (
    MissingQueryParameter,
    QueryLimitExceeded,
    QueryParameterError,
    StoredQuery,
    parse_stored_query,
)
from dmpclient.xds.validation._base import (
    DEFAULT_FACILITY_PRACTICE,
    Collector,
    DmpParameters,
    FacilityPracticeTable,
    Profile,
    RequestKind,
    check_profile,
)
from dmpclient.xds.validation._dmp import check_dmp, check_metadata_update_into
from dmpclient.xds.validation._ihe import SubmissionView, check_ihe
from dmpclient.xds.validation._raw import check_raw

__all__ = ["ValidationInput", "assert_valid", "check_metadata_update", "detect_kind", "validate"]

#: What :func:`validate` accepts.
ValidationInput = (
    SubmissionRequest
    | ProvideAndRegisterRequest
    | ParsedMessage
    | AdhocQueryRequest
    | StoredQuery
    | bytes
    | str
    | os.PathLike[str]
    | etree._Element
)

_SUBMISSIONS: Final = frozenset({"SubmitObjectsRequest", "ProvideAndRegisterDocumentSetRequest"})


def detect_kind(submission: SubmissionRequest, *, provide_and_register: bool | None = None) -> RequestKind:
    """What a submission is: a feed (ITI-41), a metadata update (new version) or a status update (ITI-57).

    ``provide_and_register`` is True for an ITI-41 message, False for a bare SubmitObjectsRequest (ITI-57),
    ``None`` when unknown (a model built in code: guessed from its content, a feed by default).
    """
    if provide_and_register:
        return RequestKind.FEED
    updates = any(a.previous_version is not None for a in submission.associations) or any(
        d.logical_id for d in submission.documents
    )
    if updates or (provide_and_register is False and submission.documents):
        return RequestKind.METADATA_UPDATE
    statuses = any(a.type is AssociationType.UPDATE_AVAILABILITY_STATUS for a in submission.associations)
    if not submission.documents and (statuses or provide_and_register is False):
        return RequestKind.STATUS_UPDATE
    return RequestKind.FEED


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _payload(root: etree._Element) -> etree._Element:
    if _local(root) != "Envelope":
        return root
    for child in root:
        if _local(child) == "Body":
            for payload in child:
                if isinstance(payload.tag, str):
                    return payload
    return root


def _has_submission_set(payload: etree._Element) -> bool:
    return any(_local(el) == "RegistryPackage" for el in payload.iter())


def _load(value: bytes | bytearray | str | os.PathLike[Any] | etree._Element) -> etree._Element:
    if isinstance(value, etree._Element):
        return value
    if isinstance(value, bytes | bytearray):
        return _xml.parse_bytes(bytes(value), origin="XDS message")
    if isinstance(value, str) and value.lstrip().startswith("<"):
        return _xml.parse_text(value, origin="XDS message")
    return _xml.parse_file(Path(value))


def validate(
    request_or_message: ValidationInput,
    profile: Profile | str = Profile.DMP,
    *,
    context: ActingContext | None = None,
    environment: EnvironmentKind = EnvironmentKind.TEST,
    params: DmpParameters | None = None,
    kind: RequestKind | str | None = None,
    previous: Mapping[str, DocumentEntry] | None = None,
    facility_practice: FacilityPracticeTable = DEFAULT_FACILITY_PRACTICE,
) -> list[Finding]:
    """Validate XDS metadata and return every finding (never raises for content).

    Args:
        request_or_message: a :class:`~dmpclient.xds.model.SubmissionRequest`,
            :class:`~dmpclient.xds.model.ProvideAndRegisterRequest`, :class:`~dmpclient.xds.model.ParsedMessage`,
            an :class:`~dmpclient.xds.model.AdhocQueryRequest` or :class:`~dmpclient.xds.queries.StoredQuery`,
            or a message as bytes, XML text, a path or an lxml element (SOAP envelope or bare body). XML input
            also gets the checks the model cannot express (cardinalities, ``classifiedObject``).
        profile: ``"ihe"`` (ITI TF-3 rules) or ``"dmp"`` (IHE + DMP profile).
        context: the acting context (VIHF side), for the author ⇄ VIHF rules and the secret connection.
        environment: decides the INS OIDs accepted (test: ``.10``/``.11``; production: ``.8``).
        params: the DMP parameters file values (:class:`DmpParameters`).
        kind: force the request kind (feed, metadata-update, status-update) instead of detecting it.
        previous: current versions of documents by logicalId, to check a TD3.3a/b update against them.
        facility_practice: the secteur d'activité ⇄ cadre d'exercice table (EX_GEN-1377).

    Raises:
        XMLError / ProtocolError: the input is not XML or not an XDS message.
        InputError: a message kind that carries no metadata to validate (responses, ITI-43).
    """
    chosen = check_profile(profile)
    collector = Collector(chosen.layers)
    settings = params or DmpParameters()
    root: etree._Element | None = None
    item: Any = request_or_message
    if isinstance(item, bytes | bytearray | str | os.PathLike | etree._Element):
        root = _load(item)
        payload = _payload(root)
        if _local(payload) in _SUBMISSIONS and not _has_submission_set(payload):
            collector.add("ihe.submissionSet.count", "the request has no SubmissionSet (RegistryPackage)")
            check_raw(root, collector)
            return collector.findings
        item = parse_message(root)
    parts: tuple[DocumentPart, ...] | None = None
    pnr: bool | None = None
    if isinstance(item, ParsedMessage):
        if item.kind is MessageKind.ADHOC_QUERY_REQUEST and item.query_request is not None:
            item = item.query_request
        elif item.submission is not None:
            pnr = item.kind is MessageKind.PROVIDE_AND_REGISTER_REQUEST
            parts = item.documents if pnr else None
            item = item.submission
        else:
            raise InputError(
                "nothing to validate: validate() checks submissions, metadata updates and stored queries",
                field="message",
                value=item.kind.value,
            )
    if isinstance(item, ProvideAndRegisterRequest):
        parts, pnr, item = tuple(item.documents), True, item.submission
    if isinstance(item, AdhocQueryRequest | StoredQuery):
        _validate_query(item, collector)
        return collector.findings
    if not isinstance(item, SubmissionRequest):
        raise InputError("cannot validate this object", field="request_or_message", value=type(item).__name__)
    request_kind = RequestKind(kind) if kind is not None else detect_kind(item, provide_and_register=pnr)
    view = SubmissionView(submission=item, kind=request_kind, parts=parts)
    if root is not None:
        check_raw(root, collector)
    check_ihe(view, collector)
    if chosen is Profile.DMP:
        check_dmp(
            view,
            collector,
            context=context,
            environment=environment,
            params=settings,
            facility_practice=facility_practice,
            previous=previous,
        )
    return collector.findings


def _validate_query(query: AdhocQueryRequest | StoredQuery, c: Collector) -> None:
    if isinstance(query, AdhocQueryRequest):
        try:
            parsed = parse_stored_query(query.query_id, query.slots, str(query.return_type))
        except NIARefused as exc:
            c.add("dmp.patientId.nia", exc.reason, location=exc.field, value=exc.value)
            return
        except MissingQueryParameter as exc:
            c.add("ihe.query.parameter", exc.reason, location=exc.field, value=exc.value)
            return
        except QueryParameterError as exc:
            rule = "ihe.query.unknown" if exc.rule == "XDSUnknownStoredQuery" else "ihe.query.format"
            c.add(rule, exc.reason, location=exc.field, value=exc.value)
            return
        except (InputError, ValueError) as exc:
            c.add("ihe.query.format", str(exc), location="AdhocQuery", value=query.query_id)
            return
    else:
        parsed = query
    try:
        parsed.check_limits()
    except QueryLimitExceeded as exc:
        c.add("dmp.query.limits", f"{exc.field}: {exc.reason}", location=exc.field, value=exc.value)


def check_metadata_update(
    previous: DocumentEntry,
    new: DocumentEntry,
    *,
    params: DmpParameters | None = None,
    location: str | None = None,
) -> list[Finding]:
    """Findings for replacing the metadata of ``previous`` by ``new`` (TD3.3a/b, ITI-57 new version).

    Only the confidentiality codes may change, within the allowed transitions
    (:func:`check_confidentiality_transition`); changed author data gives the DMP's « Les données d'un auteur
    ne peuvent pas être modifiées ».
    """
    collector = Collector(Profile.DMP.layers)
    name = location or new.entry_uuid or previous.entry_uuid or "DocumentEntry"
    check_metadata_update_into(previous, new, collector, name, params=params or DmpParameters(), combinations=True)
    return collector.findings


def assert_valid(request_or_message: ValidationInput, profile: Profile | str = Profile.DMP, **kwargs: Any) -> None:
    """Raise :class:`~dmpclient.errors.ValidationFailed` when :func:`validate` finds errors (warnings pass)."""
    findings = validate(request_or_message, profile, **kwargs)
    if errors_only(findings):
        raise ValidationFailed(findings, what="XDS metadata validation")
