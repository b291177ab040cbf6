"""Testing helpers for applications that embed dmpclient: a local DMP in one line, factories, a pytest plugin.

::

    from dmpclient import INS
    from dmpclient.testing import local_dmp

    with local_dmp() as dmp:  # an in-process sandbox and a DMPClient wired to it
        result = dmp.client.test_existence(INS.parse("207058575627097"))
        print(result.exists, result.authorization)

* :func:`local_dmp` / :class:`LocalDmp` — a fresh sandbox (in-memory store, seeded test patients), the
  process's test PKI and a configured ``DMPClient`` (or ``AsyncDMPClient``), in-process or over mutual TLS;
* :mod:`dmpclient.testing.factories` — valid random INS, professionals, structures, acting contexts, and N1
  CDA documents ready to submit;
* :mod:`dmpclient.testing.plugin` — the pytest plugin (fixtures ``dmp``, ``dmp_sandbox``,
  ``dmp_sandbox_server``, ``dmp_client``, ``async_dmp_client``, ``test_pki``, ``softhsm_token`` and the
  ``make_*`` factories; option ``--dmp-mode``).

Documentation: ``docs/testing/pytest-plugin.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dmpclient.testing.factories import (
        make_cda_patient,
        make_context,
        make_document,
        make_professional,
        make_structure,
        random_ins,
        random_rpps,
    )
    from dmpclient.testing.local import (
        PKI_ENV,
        SANDBOX_RETRY_POLICY,
        SEEDED_PATIENTS,
        LocalDmp,
        LocalDmpSession,
        Mode,
        SeededPatients,
        cached_test_pki,
        local_dmp,
    )

__all__ = [
    "PKI_ENV",
    "SANDBOX_RETRY_POLICY",
    "SEEDED_PATIENTS",
    "LocalDmp",
    "LocalDmpSession",
    "Mode",
    "SeededPatients",
    "cached_test_pki",
    "local_dmp",
    "make_cda_patient",
    "make_context",
    "make_document",
    "make_professional",
    "make_structure",
    "random_ins",
    "random_rpps",
]

# Imported on first use: the pytest plugin (a submodule) loads with every pytest run and must stay light.
_FACTORIES = ("make_cda_patient", "make_context", "make_document", "make_professional", "make_structure")
_WHERE: dict[str, str] = dict.fromkeys((*_FACTORIES, "random_ins", "random_rpps"), "factories")
_WHERE.update({name: "local" for name in __all__ if name not in _WHERE})


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dmpclient.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dmpclient.testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
