"""Shared plumbing of the proprietary SOAP services ``habilitations`` and ``patientsSpecific``.

Document/literal, every element qualified in the service namespace. Responses carry
``<op>Response/output/{…, status, context}``; ``status`` = ``DMPOk`` on success, anything else is an error
whose ``context`` (free French text) is kept verbatim in :class:`~dmpclient.errors.DMPStatusError`
(``errors.md`` §1). The C# sample also tests ``DMPOK``; both spellings are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, Generic, TypeVar

from lxml import etree
from pydantic import BaseModel, ConfigDict

from dmpclient.errors import DMPStatusError, InvalidValue, ProtocolError
from dmpclient.soap import SoapMessage, SoapResponse, build_response, raise_for_fault

__all__ = [
    "DMP_OK",
    "OK_STATUSES",
    "StatusList",
    "child",
    "children",
    "new_body",
    "output_of",
    "parse_status_list",
    "request_body",
    "status_error_response",
    "status_list_response",
    "status_response",
    "sub",
    "sub_present",
    "text",
    "texts",
]

#: Success status of the proprietary services.
DMP_OK: Final = "DMPOk"
#: Every spelling accepted as success (``DMPOK`` is tested by the GIE C# sample).
OK_STATUSES: Final = frozenset({"DMPOk", "DMPOK"})

ItemT = TypeVar("ItemT")
ListT = TypeVar("ListT", bound="StatusList[Any]")


class StatusList(BaseModel, Generic[ItemT]):
    """A proprietary list answer (TD1.6, TD0.4): the items (iterable, indexable, sized), status and context."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[ItemT, ...] = ()
    status: str = DMP_OK
    context: str | None = None

    def __iter__(self) -> Iterator[ItemT]:  # type: ignore[override]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> ItemT:
        return self.items[index]


def new_body(namespace: str, local: str, *, prefix: str | None = None) -> etree._Element:
    """A body root in ``namespace`` (default namespace for requests, like the examples; ``ns1`` for responses)."""
    return etree.Element(f"{{{namespace}}}{local}", nsmap={prefix: namespace})  # type: ignore[dict-item]


def sub(parent: etree._Element, local: str, value: str | None = None) -> etree._Element:
    """A qualified child in the parent's namespace."""
    ns = etree.QName(parent).namespace
    node = etree.SubElement(parent, f"{{{ns}}}{local}")
    if value is not None:
        node.text = value
    return node


def sub_present(parent: etree._Element, values: Iterable[tuple[str, str | None]]) -> None:
    """A qualified child per ``(local, value)`` pair whose value is not None, in the given order."""
    for local, value in values:
        if value is not None:
            sub(parent, local, value)


def child(parent: etree._Element | None, local: str) -> etree._Element | None:
    """The first child with this local name in the parent's namespace (or unqualified, tolerated)."""
    if parent is None:
        return None
    ns = etree.QName(parent).namespace
    found = parent.find(f"{{{ns}}}{local}")
    return found if found is not None else parent.find(local)


def children(parent: etree._Element | None, local: str) -> list[etree._Element]:
    """Every child with this local name (qualified or not)."""
    if parent is None:
        return []
    ns = etree.QName(parent).namespace
    return [c for c in parent if isinstance(c.tag, str) and c.tag in (f"{{{ns}}}{local}", local)]


def text(parent: etree._Element | None, local: str) -> str | None:
    """The stripped text of a child (None when absent or empty)."""
    node = child(parent, local)
    if node is None:
        return None
    value = (node.text or "").strip()
    return value or None


def texts(parent: etree._Element | None, local: str) -> tuple[str, ...]:
    """The stripped texts of every child with this local name (empty ones kept as ``""``)."""
    return tuple((c.text or "").strip() for c in children(parent, local))


def request_body(message: SoapMessage, namespace: str, local: str, *, transaction: str) -> etree._Element:
    """The body element of a received request (sandbox side).

    Raises:
        ProtocolError: the body is not ``{namespace}local``.
    """
    payload = message.envelope.payload
    if payload is None or payload.tag != f"{{{namespace}}}{local}":
        raise ProtocolError(
            f"{transaction}: expected {{{namespace}}}{local} in the SOAP body, got {message.envelope.payload_tag}"
        )
    return payload


def output_of(
    message: SoapMessage, namespace: str, response: str, *, transaction: str
) -> tuple[etree._Element, str, str | None]:
    """``(output element, status, context)`` of a proprietary response, after the error checks.

    Raises:
        SoapFaultError: SOAP fault.
        DMPStatusError: ``status`` other than ``DMPOk`` (``code`` = the status, ``message_fr`` = the context
            verbatim).
        ProtocolError: not the expected response element, or no ``output``/``status``.
    """
    raise_for_fault(message, transaction=transaction)
    payload = message.envelope.payload
    if payload is None or payload.tag != f"{{{namespace}}}{response}":
        raise ProtocolError(
            f"{transaction}: expected {{{namespace}}}{response} in the SOAP body, got {message.envelope.payload_tag}"
        )
    output = child(payload, "output")
    if output is None:
        raise ProtocolError(f"{transaction}: the response has no output element")
    status = text(output, "status")
    node = child(output, "context")
    context = node.text if node is not None and node.text else None  # verbatim (not stripped)
    if status is None:
        raise ProtocolError(f"{transaction}: the response has no status")
    if status not in OK_STATUSES:
        raise DMPStatusError(status, context, transaction=transaction, message_id=message.envelope.relates_to)
    return output, status, context


def parse_status_list(
    message: SoapMessage,
    namespace: str,
    response: str,
    element: str,
    *,
    transaction: str,
    item: Callable[[etree._Element], ItemT],
    result: type[ListT],
) -> ListT:
    """A list answer (TD1.6, TD0.4): :func:`output_of`, then ``item(node)`` for every ``output/element``.

    Raises:
        SoapFaultError: SOAP fault.
        DMPStatusError: status ≠ ``DMPOk`` (context verbatim).
        ProtocolError: not the expected response element, or no ``output``/``status``.
    """
    output, status, context = output_of(message, namespace, response, transaction=transaction)
    items = tuple(item(node) for node in children(output, element))
    return result(items=items, status=status, context=context)


def status_list_response(
    request: SoapMessage,
    namespace: str,
    response: str,
    element: str,
    result: StatusList[ItemT],
    *,
    action: str,
    context: str | None,
    fill: Callable[[etree._Element, ItemT], None],
) -> SoapResponse:
    """A sandbox list answer: one ``ns1:element`` per item, filled by ``fill(node, item)``, then status/context."""
    nodes = []
    for item in result.items:
        node = new_body(namespace, element, prefix="ns1")
        fill(node, item)
        nodes.append(node)
    return status_response(
        request, namespace, response, action=action, status=result.status, context=context, fill=nodes
    )


def status_response(
    request: SoapMessage,
    namespace: str,
    response: str,
    *,
    action: str,
    status: str,
    context: str | None,
    fill: list[etree._Element] | None = None,
) -> SoapResponse:
    """A sandbox response ``<ns1:response><ns1:output>[fill…]<status/><context/></output>``.

    ``fill`` elements (already built in ``namespace``) are placed before ``status``.
    """
    body = new_body(namespace, response, prefix="ns1")
    output = sub(body, "output")
    for node in fill or ():
        output.append(node)
    sub(output, "status", status)
    if context is not None:
        sub(output, "context", context)
    return build_response(body, action=action, relates_to=request.envelope.message_id)


def status_error_response(
    request: SoapMessage, namespace: str, response: str, *, action: str, status: str, context: str | None
) -> SoapResponse:
    """A sandbox refusal: :func:`status_response` with a ``status`` other than ``DMPOk``.

    Raises:
        InvalidValue: ``status`` is empty or ``DMPOk``.
    """
    if not status or status == DMP_OK:
        raise InvalidValue("an error status must not be DMPOk", field="status", value=status)
    return status_response(request, namespace, response, action=action, status=status, context=context)
