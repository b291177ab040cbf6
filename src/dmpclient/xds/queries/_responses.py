"""Reading a stored-query answer (``query:AdhocQueryResponse``) into the model."""

from __future__ import annotations

from lxml import etree

from dmpclient.errors import ProtocolError
from dmpclient.xds.ebrim import parse_message
from dmpclient.xds.model import MessageKind, ParsedMessage, QueryResponse

__all__ = ["parse_query_response"]


def parse_query_response(
    data: bytes | etree._Element | ParsedMessage, *, raise_for_status: bool = False
) -> QueryResponse:
    """The :class:`~dmpclient.xds.model.QueryResponse` of an ITI-18 answer (SOAP envelope or bare body).

    LeafClass answers fill ``documents`` / ``submission_sets`` / ``associations``; ObjectRef answers (TD3.1b)
    fill ``object_refs``. With ``raise_for_status`` a Failure or PartialSuccess raises
    :class:`~dmpclient.errors.RegistryError` (DMP code and French ``codeContext`` kept).

    Raises:
        XMLError: not (safe) XML.
        ProtocolError: another message than an AdhocQueryResponse.
    """
    message = data if isinstance(data, ParsedMessage) else parse_message(data, origin="AdhocQueryResponse")
    if message.kind is not MessageKind.ADHOC_QUERY_RESPONSE or message.query_response is None:
        raise ProtocolError(f"expected an AdhocQueryResponse, got {message.kind.value}")
    response = message.query_response
    if raise_for_status:
        response.raise_for_status(transaction="TD3.1")
    return response
