"""Validation of XDS metadata: the IHE layer (ITI TF-3) and the DMP profile, every finding with an XDS code.

:func:`validate` takes a submission (model or message), an ITI-57 update or a stored query and returns
:class:`~dmpclient.errors.Finding` objects: ``rule`` (stable id from :data:`RULES`), ``code`` (XDS error
code), ``severity``, ``location`` (object id + field), an English ``message`` naming the value and the DMP's
French wording in ``message_fr`` when the reference gives one. :func:`check_confidentiality_transition` and
:func:`check_metadata_update` check TD3.3a/b changes (client guard, sandbox).

Reference: ``xds-metadata.md`` §9 (checklist), §2–§7; ``transactions.md`` §4, §5, §7; ``errors.md`` §2.3–2.4;
``vihf.md`` §4. Documentation and the rule table: ``docs/xds/validation.md``.
"""

from __future__ import annotations

from dmpclient.xds.validation._base import (
    DEFAULT_FACILITY_PRACTICE,
    DmpParameters,
    FacilityPracticeTable,
    Profile,
    RequestKind,
    is_signature_entry,
)
from dmpclient.xds.validation._catalogue import RULES, Layer, Rule, rule_table
from dmpclient.xds.validation._confidentiality import check_confidentiality_transition
from dmpclient.xds.validation._validate import (
    ValidationInput,
    assert_valid,
    check_metadata_update,
    detect_kind,
    validate,
)

__all__ = [
    "DEFAULT_FACILITY_PRACTICE",
    "RULES",
    "DmpParameters",
    "FacilityPracticeTable",
    "Layer",
    "Profile",
    "RequestKind",
    "Rule",
    "ValidationInput",
    "assert_valid",
    "check_confidentiality_transition",
    "check_metadata_update",
    "detect_kind",
    "is_signature_entry",
    "rule_table",
    "validate",
]
