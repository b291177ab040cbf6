"""The common HL7 v3 wrapper of the ``patients`` and ``patientsPDQ`` services (``transactions.md`` §2.1).

Every HL7 v3 message the DMP exchanges (TD0.2, TD1.3a, TD0.5) has the same transmission wrapper, in this
order: ``id`` (root = an OID of the sender + ``extension`` = a UUID), ``creationTime``, ``interactionId``,
``processingCode`` (``D`` on requests, the DMP answers ``P``), ``processingModeCode`` ``T``,
``acceptAckCode`` (``AL`` on requests, ``NE`` on responses), ``receiver/device``, ``sender/device``, then
(responses) ``attentionLine``\\* and ``acknowledgement``, then ``controlActProcess``.

This module builds that wrapper (client requests, sandbox responses) and parses it tolerantly (the DMP's own
messages are not always schema-valid), including the error channel: ``acknowledgement`` ``AE``/``AR`` with
``acknowledgementDetail`` (code + French text) → :class:`~dmpclient.errors.HL7AcknowledgementError`.

Two acknowledgement spellings exist [V GIE-EX]: ``<acknowledgement typeCode="AA">`` (NE2009, ``patients``)
and ``<acknowledgement><typeCode code="AA"/>`` (NE2008, PDQ). Both are read; the builder writes the one of
the interaction (:data:`ACK_AS_ELEMENT`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict

from dmpclient._xml import NS
from dmpclient.context import SoftwareIdentity
from dmpclient.errors import HL7AcknowledgementError, ProtocolError
from dmpclient.soap import SoapMessage, SoapResponse, build_response, raise_for_fault

__all__ = [
    "ACK_AS_ELEMENT",
    "DMP_DEVICE",
    "HL7_NS",
    "II",
    "INTERACTION_ID_ROOT",
    "MESSAGE_ID_BRANCH",
    "QUERY_ID_BRANCH",
    "REASON_CODE_SYSTEM",
    "Acknowledgement",
    "AcknowledgementDetail",
    "AttentionLine",
    "Device",
    "HL7Header",
    "add_acknowledgement",
    "add_attention_line",
    "echo_query_ack",
    "echo_reason_code",
    "el",
    "error_response",
    "find",
    "findall",
    "format_ts",
    "hl7_payload",
    "new_message",
    "new_query_request",
    "new_response_message",
    "parse_header",
    "parse_ii",
    "query_response_code",
    "raise_for_acknowledgement",
    "request_ids",
    "text_of",
]

HL7_NS: Final = NS["hl7"]
XSI_TYPE: Final = f"{{{NS['xsi']}}}type"
_NSMAP: Final = {"hl7": HL7_NS}

#: ``interactionId/@root`` (HL7 interaction ids).
INTERACTION_ID_ROOT: Final = "2.16.840.1.113883.1.6"
#: Code system of the DMP's HL7 v3 ``reasonCode`` values (``TEST_EXST``, ``CNSLT_DATA`` …).
REASON_CODE_SYSTEM: Final = "1.2.250.1.213.1.1.4.11"
#: Message ``id/@root`` = ``<software OID root>`` + this (``.1.1`` in the GIE examples; any arc of the vendor works).
MESSAGE_ID_BRANCH: Final = ".1.1"
#: ``queryId/@root`` = ``<software OID root>`` + this (``.2`` in the GIE examples).
QUERY_ID_BRANCH: Final = ".2"

#: Interactions whose acknowledgement carries ``typeCode`` as a child element (HL7 NE2008, PDQ).
ACK_AS_ELEMENT: Final = frozenset({"PRPA_IN201306UV02"})

_MODEL = ConfigDict(frozen=True, extra="forbid")


class II(BaseModel):
    """An HL7 v3 instance identifier (``root`` + optional ``extension``)."""

    model_config = _MODEL

    root: str
    extension: str | None = None


class Device(BaseModel):
    """A sending or receiving device: ``id/@root`` and ``softwareName``."""

    model_config = _MODEL

    id_root: str
    software_name: str | None = None


#: The DMP as an HL7 v3 device (receiver of requests, sender of responses).
DMP_DEVICE: Final = Device(id_root="1.2.250.1.213.4.1.1.1", software_name="DMP")


class AcknowledgementDetail(BaseModel):
    """One ``acknowledgementDetail``: the DMP's error code and its French text, verbatim."""

    model_config = _MODEL

    code: str | None = None
    code_system: str | None = None
    text: str | None = None
    type_code: str | None = None
    location: str | None = None


class Acknowledgement(BaseModel):
    """``acknowledgement``: ``AA`` accepted, ``AE`` error, ``AR`` rejected (+ the acknowledged message id)."""

    model_config = _MODEL

    type_code: str
    target_message: II | None = None
    details: tuple[AcknowledgementDetail, ...] = ()

    @property
    def accepted(self) -> bool:
        """True for ``AA`` (and the commit-level ``CA``)."""
        return self.type_code in ("AA", "CA")


class AttentionLine(BaseModel):
    """One ``attentionLine`` (TD0.2 uses them for ``AUTORISATION`` and ``STATUT_MT``).

    Attributes:
        keyword / keyword_system: ``keyWordText/@code`` and ``@codeSystem``.
        value_type: ``value/@xsi:type`` (``CV``, ``BL`` …) as written.
        code / code_system: for coded values.
        value: ``value/@value`` for BL/INT/ST-like values.
    """

    model_config = _MODEL

    keyword: str
    keyword_system: str | None = None
    value_type: str | None = None
    code: str | None = None
    code_system: str | None = None
    value: str | None = None


class HL7Header(BaseModel):
    """The transmission wrapper of a received HL7 v3 message."""

    model_config = _MODEL

    interaction_id: str | None = None
    message_id: II | None = None
    creation_time: str | None = None
    processing_code: str | None = None
    processing_mode_code: str | None = None
    accept_ack_code: str | None = None
    receiver: Device | None = None
    sender: Device | None = None
    attention_lines: tuple[AttentionLine, ...] = ()
    acknowledgement: Acknowledgement | None = None

    def attention(self, keyword: str) -> AttentionLine | None:
        """The attention line with this keyword, or None."""
        return next((a for a in self.attention_lines if a.keyword == keyword), None)


# ------------------------------------------------------------------------------------------ helpers


def el(parent: etree._Element, local: str, text: str | None = None, /, **attrs: str | None) -> etree._Element:
    """Append an HL7 v3 child (attributes with a None value are left out; ``xsi_type`` → ``xsi:type``)."""
    child = etree.SubElement(parent, f"{{{HL7_NS}}}{local}")
    for name, value in attrs.items():
        if value is None:
            continue
        if name == "xsi_type":
            child.set(XSI_TYPE, value)
        else:
            child.set(name, value)
    if text is not None:
        child.text = text
    return child


def find(node: etree._Element | None, path: str) -> etree._Element | None:
    """``node.find`` with the ``hl7:`` prefix bound (None-safe)."""
    return None if node is None else node.find(path, namespaces=_NSMAP)


def findall(node: etree._Element | None, path: str) -> list[etree._Element]:
    """``node.findall`` with the ``hl7:`` prefix bound (None-safe)."""
    return [] if node is None else list(node.findall(path, namespaces=_NSMAP))


def text_of(node: etree._Element | None) -> str | None:
    """The stripped text of a node, None when absent or empty."""
    if node is None:
        return None
    text = "".join(str(t) for t in node.itertext()).strip()
    return text or None


def parse_ii(node: etree._Element | None) -> II | None:
    """An ``II`` from an element with ``root``/``extension`` attributes (None when absent or rootless)."""
    if node is None or not node.get("root"):
        return None
    return II(root=node.get("root", ""), extension=node.get("extension"))


def query_response_code(control: etree._Element | None) -> str | None:
    """``queryAck/queryResponseCode/@code`` of a ``controlActProcess`` (None when absent)."""
    node = find(control, "hl7:queryAck/hl7:queryResponseCode")
    return node.get("code") if node is not None else None


def format_ts(value: dt.datetime) -> str:
    """HL7 v3 ``TS`` to the second (``yyyyMMddHHmmss``), in UTC for aware datetimes ([I]: no offset written,
    like the GIE examples; the DMP does not document the zone it expects)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y%m%d%H%M%S")


def _device(parent: etree._Element, type_code: str, device: Device) -> None:
    holder = el(parent, "receiver" if type_code == "RCV" else "sender", typeCode=type_code)
    dev = el(holder, "device", classCode="DEV", determinerCode="INSTANCE")
    el(dev, "id", root=device.id_root)
    if device.software_name is not None:
        el(dev, "softwareName", device.software_name)


def new_message(
    interaction_id: str,
    *,
    message_id: II,
    created: dt.datetime | str,
    sender: Device,
    receiver: Device,
    processing_code: str = "D",
    processing_mode_code: str = "T",
    accept_ack_code: str = "AL",
) -> etree._Element:
    """The root element of an HL7 v3 message with its wrapper up to ``sender`` (default namespace HL7 v3)."""
    root = etree.Element(f"{{{HL7_NS}}}{interaction_id}", nsmap={None: HL7_NS})  # type: ignore[dict-item]
    root.set("ITSVersion", "XML_1.0")
    el(root, "id", root=message_id.root, extension=message_id.extension)
    el(root, "creationTime", value=created if isinstance(created, str) else format_ts(created))
    el(root, "interactionId", root=INTERACTION_ID_ROOT, extension=interaction_id)
    el(root, "processingCode", code=processing_code)
    el(root, "processingModeCode", code=processing_mode_code)
    el(root, "acceptAckCode", code=accept_ack_code)
    _device(root, "RCV", receiver)
    _device(root, "SND", sender)
    return root


def request_ids(oid_root: str) -> tuple[II, II]:
    """Fresh (message id, query id) under a software's OID root, shaped like the GIE examples."""
    return (
        II(root=oid_root + MESSAGE_ID_BRANCH, extension=str(uuid.uuid4())),
        II(root=oid_root + QUERY_ID_BRANCH, extension=str(uuid.uuid4())),
    )


def new_query_request(
    interaction_id: str,
    *,
    software: SoftwareIdentity,
    created: dt.datetime,
    control_code: str,
    control_attrs: Mapping[str, str | None],
) -> tuple[etree._Element, etree._Element]:
    """A client query (TD0.2, TD1.3a, TD0.5) up to its empty ``parameterList``: ``(message, parameterList)``.

    The wrapper (fresh ids under the software's root, sender = the software, receiver = the DMP), then
    ``controlActProcess`` with its ``control_code`` element (``reasonCode`` or ``code``, ``control_attrs``), and
    ``queryByParameter`` (``queryId``, ``statusCode`` ``new``).
    """
    message_id, query_id = request_ids(software.oid_root)
    message = new_message(
        interaction_id,
        message_id=message_id,
        created=created,
        sender=Device(id_root=software.oid_root, software_name=software.name),
        receiver=DMP_DEVICE,
    )
    control = el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    el(control, control_code, **control_attrs)
    query = el(control, "queryByParameter")
    el(query, "queryId", root=query_id.root, extension=query_id.extension)
    el(query, "statusCode", code="new")
    return message, el(query, "parameterList")


def new_response_message(interaction_id: str, *, request: HL7Header, created: dt.datetime) -> etree._Element:
    """The wrapper of a sandbox response (fresh id, sender = the DMP, receiver = the request's sender)."""
    return new_message(
        interaction_id,
        message_id=II(root=str(uuid.uuid4())),
        created=created,
        sender=DMP_DEVICE,
        receiver=request.sender or Device(id_root="0"),
        processing_code="P",
        accept_ack_code="NE",
    )


def echo_reason_code(control: etree._Element, request_control: etree._Element | None) -> None:
    """Copy the request's ``reasonCode`` (code, codeSystem, displayName) into a response ``controlActProcess``."""
    reason = find(request_control, "hl7:reasonCode")
    if reason is not None:
        el(control, "reasonCode", **{k: reason.get(k) for k in ("code", "codeSystem", "displayName")})


def echo_query_ack(
    control: etree._Element, request_control: etree._Element | None, query_response_code: str
) -> etree._Element:
    """Append ``queryAck`` (the request's ``queryId`` echoed, then ``queryResponseCode``) and return it."""
    ack = el(control, "queryAck")
    query_id = parse_ii(find(request_control, "hl7:queryByParameter/hl7:queryId"))
    if query_id is not None:
        el(ack, "queryId", extension=query_id.extension, root=query_id.root)
    el(ack, "queryResponseCode", code=query_response_code)
    return ack


def add_attention_line(
    message: etree._Element,
    keyword: str,
    keyword_system: str,
    *,
    value_type: str,
    code: str | None = None,
    code_system: str | None = None,
    value: str | None = None,
) -> etree._Element:
    """Append an ``attentionLine`` (keyword + typed value)."""
    line = el(message, "attentionLine")
    el(line, "keyWordText", code=keyword, codeSystem=keyword_system)
    el(line, "value", code=code, codeSystem=code_system, value=value, xsi_type=value_type)
    return line


def add_acknowledgement(
    message: etree._Element,
    type_code: str,
    *,
    target: II | None,
    details: Iterable[AcknowledgementDetail] = (),
    as_element: bool | None = None,
) -> etree._Element:
    """Append an ``acknowledgement`` (attribute or element ``typeCode`` per :data:`ACK_AS_ELEMENT`)."""
    interaction = etree.QName(message).localname
    element_style = interaction in ACK_AS_ELEMENT if as_element is None else as_element
    ack = el(message, "acknowledgement")
    if element_style:
        el(ack, "typeCode", code=type_code)
    else:
        ack.set("typeCode", type_code)
    if target is not None:
        holder = el(ack, "targetMessage")
        el(holder, "id", root=target.root, extension=target.extension)
    for detail in details:
        d = el(ack, "acknowledgementDetail", typeCode=detail.type_code)
        if detail.code is not None:
            el(d, "code", code=detail.code, codeSystem=detail.code_system)
        if detail.text is not None:
            el(d, "text", detail.text)
        if detail.location is not None:
            el(d, "location", detail.location)
    return ack


# -------------------------------------------------------------------------------------------- parse


def _device_of(node: etree._Element | None) -> Device | None:
    dev = find(node, "hl7:device")
    id_el = find(dev, "hl7:id")
    if dev is None or id_el is None:
        return None
    return Device(id_root=id_el.get("root", ""), software_name=text_of(find(dev, "hl7:softwareName")))


def _attention_line(node: etree._Element) -> AttentionLine | None:
    key = find(node, "hl7:keyWordText")
    if key is None or not key.get("code"):
        return None
    value = find(node, "hl7:value")
    return AttentionLine(
        keyword=key.get("code", ""),
        keyword_system=key.get("codeSystem"),
        value_type=value.get(XSI_TYPE) if value is not None else None,
        code=value.get("code") if value is not None else None,
        code_system=value.get("codeSystem") if value is not None else None,
        value=value.get("value") if value is not None else None,
    )


def _acknowledgement(node: etree._Element | None) -> Acknowledgement | None:
    if node is None:
        return None
    type_code = node.get("typeCode")
    if type_code is None:
        type_el = find(node, "hl7:typeCode")
        type_code = type_el.get("code") if type_el is not None else None
    details = []
    for d in findall(node, "hl7:acknowledgementDetail"):
        code_el = find(d, "hl7:code")
        details.append(
            AcknowledgementDetail(
                code=code_el.get("code") if code_el is not None else None,
                code_system=code_el.get("codeSystem") if code_el is not None else None,
                text=text_of(find(d, "hl7:text")),
                type_code=d.get("typeCode"),
                location=text_of(find(d, "hl7:location")),
            )
        )
    return Acknowledgement(
        type_code=(type_code or "").strip(),
        target_message=parse_ii(find(node, "hl7:targetMessage/hl7:id")),
        details=tuple(details),
    )


def parse_header(message: etree._Element) -> HL7Header:
    """Read the transmission wrapper of an HL7 v3 message (tolerant: every part is optional)."""
    interaction = find(message, "hl7:interactionId")
    lines = [_attention_line(a) for a in findall(message, "hl7:attentionLine")]
    created = find(message, "hl7:creationTime")

    def code(local: str) -> str | None:
        node = find(message, f"hl7:{local}")
        return node.get("code") if node is not None else None

    return HL7Header(
        interaction_id=interaction.get("extension") if interaction is not None else None,
        message_id=parse_ii(find(message, "hl7:id")),
        creation_time=created.get("value") if created is not None else None,
        processing_code=code("processingCode"),
        processing_mode_code=code("processingModeCode"),
        accept_ack_code=code("acceptAckCode"),
        receiver=_device_of(find(message, "hl7:receiver")),
        sender=_device_of(find(message, "hl7:sender")),
        attention_lines=tuple(a for a in lines if a is not None),
        acknowledgement=_acknowledgement(find(message, "hl7:acknowledgement")),
    )


def hl7_payload(message: SoapMessage, expected: str | Sequence[str], *, transaction: str) -> etree._Element:
    """The HL7 v3 message of a received SOAP message, after the SOAP-fault check.

    Raises:
        SoapFaultError: the message is a SOAP fault.
        ProtocolError: the body is not one of the ``expected`` HL7 v3 interactions.
    """
    raise_for_fault(message, transaction=transaction)
    payload = message.envelope.payload
    names = (expected,) if isinstance(expected, str) else tuple(expected)
    if payload is None or payload.tag not in {f"{{{HL7_NS}}}{n}" for n in names}:
        raise ProtocolError(
            f"{transaction}: expected an HL7 v3 {' or '.join(names)} in the SOAP body, "
            f"got {message.envelope.payload_tag}"
        )
    return payload


def raise_for_acknowledgement(
    header: HL7Header,
    *,
    transaction: str,
    message_id: str | None,
    query_response_code: str | None = None,
    error: type[HL7AcknowledgementError] = HL7AcknowledgementError,
) -> None:
    """Raise :class:`HL7AcknowledgementError` for an ``AE``/``AR`` acknowledgement (or an ``AE``/``QE`` query).

    The error's ``code`` is the first ``acknowledgementDetail/code/@code`` and ``message_fr`` its ``text``,
    verbatim. A missing acknowledgement is a :class:`ProtocolError`.
    """
    ack = header.acknowledgement
    if ack is None or not ack.type_code:
        raise ProtocolError(f"{transaction}: the HL7 v3 response has no acknowledgement typeCode")
    failing_query = query_response_code in ("AE", "QE")
    if ack.accepted and not failing_query:
        return
    detail = ack.details[0] if ack.details else AcknowledgementDetail()
    type_code = ack.type_code if not ack.accepted else f"queryResponseCode {query_response_code}"
    raise error(
        detail.code,
        detail.text,
        type_code=type_code,
        transaction=transaction,
        message_id=message_id,
        location=detail.location,
    )


def error_response(
    request: SoapMessage,
    *,
    response_interaction: str,
    response_action: str,
    code: str | None,
    text: str | None,
    type_code: Literal["AE", "AR"] = "AE",
    code_system: str | None = None,
    query_response_code: str = "AE",
    created: dt.datetime | None = None,
    control_act: str = "reasonCode",
) -> SoapResponse:
    """A sandbox HL7 v3 error response to ``request`` (acknowledgement AE/AR + acknowledgementDetail).

    The response echoes the request's message id (``targetMessage``), reason code / control act code and
    query id (``queryAck``), like the DMP's responses.
    """
    payload = request.envelope.payload
    if payload is None:
        raise ProtocolError("the request has no SOAP body payload")
    header = parse_header(payload)
    message = new_response_message(response_interaction, request=header, created=created or dt.datetime.now(dt.UTC))
    detail = AcknowledgementDetail(code=code, code_system=code_system, text=text, type_code="E")
    add_acknowledgement(message, type_code, target=header.message_id, details=[detail])
    control = el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    request_control = find(payload, "hl7:controlActProcess")
    if control_act == "reasonCode":
        echo_reason_code(control, request_control)
    else:
        el(control, "code", code=control_act, codeSystem=INTERACTION_ID_ROOT)
    query_ack = el(control, "queryAck")
    query_id = parse_ii(find(request_control, "hl7:queryByParameter/hl7:queryId"))
    if query_id is not None:
        el(query_ack, "queryId", root=query_id.root, extension=query_id.extension)
    el(query_ack, "queryResponseCode", code=query_response_code)
    return build_response(message, action=response_action, relates_to=request.envelope.message_id)
