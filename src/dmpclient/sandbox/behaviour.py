"""The DMP behaviour of the sandbox: store + seed + one handler per transaction + admin API + parameters.

:func:`create_behaviour` is the factory the platform calls (``SandboxConfig.behaviour_factory`` default,
``"dmpclient.sandbox.behaviour:create_behaviour"``). Options read from ``config.behaviour_options``:

================================  ==============================================================================
``seed_profile``                  ``"default"`` (test patients and documents) or ``"empty"``; ``config.seed=False``
                                  means ``"empty"``
``seed_professional_id``          the professional the seed's authorisation cases are about (default the test
                                  PKI's ``899900063480``)
``documents_in_database``         keep document bytes as BLOBs even when ``config.documents_dir`` is set
``parameters``                    initial :class:`~dmpclient.sandbox.rules.BehaviourParameters` values (mapping)
================================  ==============================================================================

Without ``config.documents_dir`` the contents are BLOBs in the database; with it, files in that folder (TD3.2
streams them). With ``config.database`` the store is a SQLite file (state survives restarts; seeding only
happens on an empty database).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from dmpclient.sandbox._interfaces import HandlerRegistry
from dmpclient.sandbox.admin import BehaviourAdmin
from dmpclient.sandbox.clock import SandboxClock
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.handlers import register_handlers
from dmpclient.sandbox.handlers._base import Env
from dmpclient.sandbox.rules import BehaviourParameters, parameter_name
from dmpclient.sandbox.seed import DEFAULT_SEED_PROFESSIONAL, SeedSummary, seed
from dmpclient.sandbox.store import SandboxStore

__all__ = ["SandboxBehaviour", "create_behaviour"]

_PARAMETERS_KEY = "behaviour.parameters"


def _parameters_from(values: Mapping[str, Any], base: BehaviourParameters | None = None) -> BehaviourParameters:
    renamed = {parameter_name(k): v for k, v in values.items()}
    if "search_window" in renamed and not isinstance(renamed["search_window"], dt.timedelta):
        renamed["search_window"] = dt.timedelta(seconds=float(renamed["search_window"]))
    return (base or BehaviourParameters()).replace(**renamed)


class SandboxBehaviour:
    """The DMP behaviour (implements :class:`~dmpclient.sandbox.DmpBehaviour`).

    Args:
        config: the sandbox configuration (store location, trust anchors, clock, options); a configuration
            without signature requirement is used when None (tests of the behaviour alone).
        store: an existing store (default: from ``config.database`` / ``config.documents_dir``).
        parameters: initial parameters (default: the stored ones, else ``behaviour_options["parameters"]``).
        seed_profile: ``"default"`` / ``"empty"`` (default from the config).
        professional_id: the professional of the seed's authorisation cases.

    Attributes:
        handlers: one handler per TD id (thread-safe: the store serialises its own transactions).
        admin: the Python admin API.
        store: the SQLite store.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        store: SandboxStore | None = None,
        parameters: BehaviourParameters | None = None,
        seed_profile: str | None = None,
        professional_id: str | None = None,
    ) -> None:
        self.config = config or SandboxConfig(require_signature=False)
        options = dict(self.config.behaviour_options)
        if store is None:
            in_db = bool(options.get("documents_in_database", False))
            documents = None if in_db else self.config.documents_dir
            store = SandboxStore(self.config.database or ":memory:", documents_dir=documents)
        self.store = store
        self._lock = threading.Lock()
        stored = self.store.get_setting(_PARAMETERS_KEY)
        if parameters is not None:
            self._parameters = parameters
        elif isinstance(stored, Mapping):
            self._parameters = _parameters_from(stored)
        else:
            self._parameters = _parameters_from(options.get("parameters") or {})
        self.seed_profile = seed_profile or str(options.get("seed_profile", "default" if self.config.seed else "empty"))
        self.professional_id = professional_id or str(options.get("seed_professional_id", DEFAULT_SEED_PROFESSIONAL))
        self.env = Env(self.store, self.config.clock, self.config, lambda: self._parameters)
        self._handlers = register_handlers(HandlerRegistry(thread_safe=True), self.env)
        self._admin = BehaviourAdmin(
            self.store, self.config.clock, self.get_parameters, self.set_parameters, self.reseed
        )
        self.seeded: SeedSummary | None = None
        if not self.store.counts()["patients"]:
            self.seeded = seed(self.store, self.seed_profile, professional_id=self.professional_id)

    # ---------------------------------------------------------------------------- DmpBehaviour protocol

    @property
    def handlers(self) -> HandlerRegistry:
        """One handler per TD id."""
        return self._handlers

    @property
    def admin(self) -> BehaviourAdmin:
        """The Python admin API."""
        return self._admin

    @property
    def clock(self) -> SandboxClock:
        """The sandbox clock (the config's)."""
        return self.config.clock

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # ------------------------------------------------------------------------------------- parameters

    @property
    def parameters(self) -> BehaviourParameters:
        """The current parameters."""
        return self._parameters

    def get_parameters(self) -> BehaviourParameters:
        """The current parameters."""
        return self._parameters

    def set_parameters(self, parameters: BehaviourParameters) -> None:
        """Replace the parameters (persisted in the store's settings)."""
        with self._lock:
            self._parameters = parameters
            data = parameters.to_dict()
            self.store.set_setting(_PARAMETERS_KEY, data)

    def reseed(self, profile: str = "default") -> SeedSummary:
        """Empty the store and load a seed profile (``default`` or ``empty``); the parameters are kept."""
        self.store.reset()
        self.store.set_setting(_PARAMETERS_KEY, self._parameters.to_dict())
        self.seeded = seed(self.store, profile, professional_id=self.professional_id)
        return self.seeded

    def __enter__(self) -> SandboxBehaviour:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def create_behaviour(config: SandboxConfig) -> SandboxBehaviour:
    """The factory of :data:`~dmpclient.sandbox.config.DEFAULT_BEHAVIOUR_FACTORY`."""
    return SandboxBehaviour(config)
