"""One handler per DMP transaction, by service family.

=================  ==========================================================================
module             transactions
=================  ==========================================================================
``patients``       TD0.2, TD1.3a (``patients``), TD0.4 (``patientsSpecific``), TD0.5 (``patientsPDQ``)
``habilitations``  TD0.3, TD1.6
``repository``     TD2.1, TD2.2, TD3.2
``registry``       TD3.1, TD3.1b, TD3.3a, TD3.3b, TD3.3c, TD3.3d
=================  ==========================================================================

:func:`register_handlers` fills a :class:`~dmpclient.sandbox.HandlerRegistry` and installs the discriminator
that tells TD3.3a from TD3.3b (it needs the current version of the document, from the store).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from dmpclient.errors import DMPClientError
from dmpclient.sandbox._interfaces import Caller, HandlerRegistry, SandboxRequest
from dmpclient.sandbox.handlers import habilitations, patients, registry, repository
from dmpclient.sandbox.handlers._base import Env
from dmpclient.soap import SoapMessage, SoapResponse
from dmpclient.transactions import registry as tx_registry
from dmpclient.transactions._base import TransactionSpec
from dmpclient.xds.model import DocumentEntry

__all__ = ["HANDLERS", "Env", "make_discriminator", "register_handlers"]

#: TD id → handler function ``(env, request) -> SoapResponse``.
HANDLERS: dict[str, Callable[[Env, SandboxRequest], SoapResponse]] = {
    "TD0.2": patients.test_existence,
    "TD0.3": habilitations.set_authorization,
    "TD0.4": patients.patient_list,
    "TD0.5": patients.find_patients,
    "TD1.3a": patients.administrative_data,
    "TD1.6": habilitations.list_authorizations,
    "TD2.1": repository.provide_and_register,
    "TD2.2": repository.provide_and_register,
    "TD3.1": registry.stored_query,
    "TD3.1b": registry.stored_query,
    "TD3.2": repository.retrieve_document_set,
    "TD3.3a": registry.update_document_metadata,
    "TD3.3b": registry.update_document_metadata,
    "TD3.3c": registry.update_availability_status,
    "TD3.3d": registry.update_availability_status,
}


def make_discriminator(env: Env) -> Callable[[Sequence[TransactionSpec], SoapMessage, Caller], TransactionSpec | None]:
    """TD3.3a vs TD3.3b: a metadata update removing an ``INVISIBLE_*`` code of the current version is TD3.3b."""

    def discriminate(
        candidates: Sequence[TransactionSpec], message: SoapMessage, caller: Caller
    ) -> TransactionSpec | None:
        tds = {c.td for c in candidates}
        if not {"TD3.3a", "TD3.3b"} & tds:
            return None
        try:
            parsed = tx_registry.parse_update_document_metadata_request(message)
        except DMPClientError:
            return None
        previous: dict[str, DocumentEntry] = {}
        for update in parsed.updates:
            current = next((v for v in env.store.versions_of(update.logical_id) if v.is_latest), None)
            if current is not None:
                previous[update.logical_id] = current.metadata
        spec = tx_registry.classify_update(parsed.submission, previous=previous)
        return next((c for c in candidates if c.td == spec.td), None)

    return discriminate


def register_handlers(handlers: HandlerRegistry, env: Env) -> HandlerRegistry:
    """Register every handler (bound to ``env``) and the TD3.3a/b discriminator."""
    for td, function in HANDLERS.items():
        handlers.register(td, functools.partial(function, env))
    handlers.set_discriminator(make_discriminator(env))
    return handlers
