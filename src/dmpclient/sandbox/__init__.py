"""The embedded DMP sandbox (floor 5): a local DMP speaking the real services, strict like the real one.

Two halves:

* the **platform** — ASGI application (:func:`create_app`), HTTPS server with mutual TLS (:func:`serve`,
  :func:`running_sandbox`), authentication of every call (VIHF + TLS), routing, fault injection, the HTTP
  admin transport, in-process httpx transports (:func:`make_transport`);
* the **DMP behaviour** — SQLite store, seed data, one handler per transaction, admin Python API.

The contract between the two is in :mod:`dmpclient.sandbox._interfaces`.

Quick use::

    from dmpclient.security import create_test_pki
    from dmpclient.sandbox import Sandbox, SandboxConfig

    pki = create_test_pki("./pki")
    with Sandbox(SandboxConfig.from_pki(pki)) as sandbox:
        transport = sandbox.transport()            # httpx.Client(transport=…) or AsyncClient(transport=…)
        with sandbox.run() as base_url:            # real HTTPS + mTLS on 127.0.0.1, free port
            ...

Names are imported lazily (``from dmpclient.sandbox import Sandbox`` does not load the server module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dmpclient.sandbox._interfaces import (
        Caller,
        DmpBehaviour,
        Handler,
        HandlerRegistry,
        SandboxAdmin,
        SandboxFault,
        SandboxRequest,
    )
    from dmpclient.sandbox.app import SandboxApp, create_app
    from dmpclient.sandbox.clock import SandboxClock
    from dmpclient.sandbox.config import SandboxConfig
    from dmpclient.sandbox.faults import FaultInjector, FaultKind, FaultRule
    from dmpclient.sandbox.server import (
        RunningServer,
        Sandbox,
        SandboxServer,
        running_sandbox,
        serve,
    )
    from dmpclient.sandbox.transport import SandboxTransport, SyncASGITransport, make_transport

__all__ = [
    "Caller",
    "DmpBehaviour",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "Handler",
    "HandlerRegistry",
    "RunningServer",
    "Sandbox",
    "SandboxAdmin",
    "SandboxApp",
    "SandboxClock",
    "SandboxConfig",
    "SandboxFault",
    "SandboxRequest",
    "SandboxServer",
    "SandboxTransport",
    "SyncASGITransport",
    "create_app",
    "make_transport",
    "running_sandbox",
    "serve",
]

_WHERE: dict[str, str] = {
    "Caller": "_interfaces",
    "DmpBehaviour": "_interfaces",
    "Handler": "_interfaces",
    "HandlerRegistry": "_interfaces",
    "SandboxAdmin": "_interfaces",
    "SandboxFault": "_interfaces",
    "SandboxRequest": "_interfaces",
    "SandboxApp": "app",
    "create_app": "app",
    "SandboxClock": "clock",
    "SandboxConfig": "config",
    "FaultInjector": "faults",
    "FaultKind": "faults",
    "FaultRule": "faults",
    "RunningServer": "server",
    "Sandbox": "server",
    "SandboxServer": "server",
    "running_sandbox": "server",
    "serve": "server",
    "SandboxTransport": "transport",
    "SyncASGITransport": "transport",
    "make_transport": "transport",
}

# ---- sandbox-dmp re-exports (owned by the DMP-behaviour engineer) --------------------------------------
# Add entries as  "Name": "module"  (module relative to dmpclient.sandbox), and the name to __all__ below.
_BEHAVIOUR_EXPORTS: dict[str, str] = {
    "BehaviourAdmin": "admin",
    "BehaviourParameters": "rules",
    "SandboxBehaviour": "behaviour",
    "SandboxStore": "store",
    "create_behaviour": "behaviour",
}
# ---- end of sandbox-dmp re-exports ---------------------------------------------------------------------

_WHERE.update(_BEHAVIOUR_EXPORTS)
__all__ += sorted(_BEHAVIOUR_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dmpclient.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dmpclient.sandbox.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
