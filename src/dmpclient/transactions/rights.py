"""Who may perform which transaction: the GIE rights matrices PDT-INF-526 v1.8 and PDT-INF-606 v1.3 as data.

Reference ``rights-matrix.md``. The DMP applies these matrices itself ("for information, not to be
implemented by LPS"); dmpclient uses them to refuse early with a clear message (client guards) and to
refuse like the DMP (sandbox).

* :class:`RightsAction` — every row of both sheets (TD0.3 has three rows, TD3.2 six …).
* :class:`UserProfile` — what decides the column: authentication mode, card type, physician, médecin
  traitant DMP (MT), occupational physician, non-PS.
* :func:`check_right` ``(action, profile, access_mode) -> RightDecision`` — the cell, its restriction notes
  (1)…(11) and ``*`` as text, and which sheet decided; :meth:`RightDecision.explain` for humans.
* :func:`require_right` — the client guard: raises :class:`~dmpclient.errors.RuleViolation`.

Which sheet: PDT-INF-606 for AIR (``INDIRECTE_RENFORCEE``), PDT-INF-526 otherwise — where the sheets
disagree (e.g. archive by a non-MT physician in normal mode: "oui (8)" in 526, "oui" in 606) each mode
follows its own sheet. Choices where the sheets are silent are marked [I] in the notes of the decision:

* a row absent from 606 (``TD0.3`` "se supprimer MT") falls back to 526 in AIR, column mapped
  (PS non médecin → A, médecin → B, MT → D, non-PS → E); TD0.0/TD0.9 have no AIR row (AIR uses TD0.10) and
  TD0.10 exists only in AIR;
* an access mode without a column (an MT in régulation, a CPE or an establishment certificate in bris de
  glace…) uses the nearest column when one exists (MT in régulation → "médecin non MT" régulation) and is
  refused otherwise;
* an occupational physician in AIR (no column in 606) needs both the 606 "médecin" cell and the 526 column C;
* in direct mode, a non-PS user is the CPE column (E).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from dmpclient._models import InputModel
from dmpclient.context import AccessMode, ActingContext, AuthenticationMode, CardType
from dmpclient.errors import RuleViolation

__all__ = [
    "COLUMNS_526",
    "COLUMNS_606",
    "MATRIX_526",
    "MATRIX_606",
    "NOTES_526",
    "NOTES_606",
    "Cell",
    "RightDecision",
    "RightsAction",
    "Source",
    "UserProfile",
    "check_right",
    "require_right",
]

Source = Literal["PDT-INF-526", "PDT-INF-606"]
S526: Final = "PDT-INF-526"
S606: Final = "PDT-INF-606"


class RightsAction(StrEnum):
    """Every row of PDT-INF-526 and PDT-INF-606."""

    TD0_0_IDENTITY = "TD0.0"
    TD0_1_AUTHENTICATION = "TD0.1"
    TD0_2_EXISTENCE = "TD0.2"
    TD0_3_DECLARE = "TD0.3-declare"
    TD0_3_REMOVE = "TD0.3-remove"
    TD0_3_REMOVE_MT = "TD0.3-remove-mt"
    TD0_4_PATIENT_LIST = "TD0.4"
    TD0_5_SEARCH_WITHOUT_INS = "TD0.5"
    TD0_9_WEBPS = "TD0.9"
    TD0_10_WEBPS_AIR = "TD0.10"
    TD1_3A_ADMINISTRATIVE_DATA = "TD1.3a"
    TD1_6_LIST_AUTHORIZATIONS = "TD1.6"
    TD2_1_FEED = "TD2.1"
    TD2_2_FEED_CPE = "TD2.2"
    TD3_1_SEARCH_METADATA = "TD3.1"
    TD3_1B_SEARCH_REFERENCE = "TD3.1b"
    TD3_2_NOT_MASKED = "TD3.2-not-masked"
    TD3_2_MASKED = "TD3.2-masked"
    TD3_2_INVISIBLE = "TD3.2-invisible"
    TD3_2_ARCHIVED = "TD3.2-archived"
    TD3_2_DEPRECATED = "TD3.2-deprecated"
    TD3_2_DELETED = "TD3.2-deleted"
    TD3_3A_MASK = "TD3.3a-mask"
    TD3_3A_UNMASK = "TD3.3a-unmask"
    TD3_3B_MAKE_VISIBLE = "TD3.3b"
    TD3_3D_ARCHIVE = "TD3.3d-archive"
    TD3_3D_UNARCHIVE = "TD3.3d-unarchive"
    TD3_3C_DELETE = "TD3.3c"

    @property
    def td(self) -> str:
        """The transaction id (``TD3.2``)."""
        return self.value.split("-")[0]

    @property
    def label_fr(self) -> str:
        """The action as the sheets word it."""
        return _LABELS[self]


_A = RightsAction
_LABELS: Final[Mapping[RightsAction, str]] = MappingProxyType(
    {
        _A.TD0_0_IDENTITY: "Acquisition de l'identité du patient",
        _A.TD0_1_AUTHENTICATION: "Authentification sur le DMP",
        _A.TD0_2_EXISTENCE: "Test d'existence + vérification de l'autorisation",
        _A.TD0_3_DECLARE: "Se déclarer autorisé",
        _A.TD0_3_REMOVE: "Supprimer son autorisation",
        _A.TD0_3_REMOVE_MT: "Se supprimer MT",
        _A.TD0_4_PATIENT_LIST: "Liste des DMP autorisés",
        _A.TD0_5_SEARCH_WITHOUT_INS: "Recherche d'un patient sans INS",
        _A.TD0_9_WEBPS: "Accès Web PS contextuel",
        _A.TD0_10_WEBPS_AIR: "Accès Web PS contextuel (AIR)",
        _A.TD1_3A_ADMINISTRATIVE_DATA: "Consultation des données administratives",
        _A.TD1_6_LIST_AUTHORIZATIONS: "Liste des PS autorisés / bloqués",
        _A.TD2_1_FEED: "Alimentation d'un DMP",
        _A.TD2_2_FEED_CPE: "Alimentation par CPE (secrétaires médicales du secteur libéral)",
        _A.TD3_1_SEARCH_METADATA: "Rechercher les métadonnées",
        _A.TD3_1B_SEARCH_REFERENCE: "Rechercher la référence d'un document",
        _A.TD3_2_NOT_MASKED: "Consulter les documents non masqués aux PS",
        _A.TD3_2_MASKED: "Consulter les documents masqués aux PS",
        _A.TD3_2_INVISIBLE: "Consulter les documents non visibles du patient et du représentant légal",
        _A.TD3_2_ARCHIVED: "Consulter les documents archivés",
        _A.TD3_2_DEPRECATED: "Consulter les documents obsolètes (anciennes versions)",
        _A.TD3_2_DELETED: "Consulter les documents supprimés",
        _A.TD3_3A_MASK: "Masquer un document aux PS",
        _A.TD3_3A_UNMASK: "Démasquer un document aux PS",
        _A.TD3_3B_MAKE_VISIBLE: "Rendre un document visible au patient",
        _A.TD3_3D_ARCHIVE: "Archiver un document",
        _A.TD3_3D_UNARCHIVE: "Désarchiver un document",
        _A.TD3_3C_DELETE: "Supprimer un document",
    }
)

#: Restriction notes of PDT-INF-526 (``*`` = patient documents). (1) is used but not printed by 526: its
#: text is 606's. (10) concerns rows no longer in the table.
NOTES_526: Final[Mapping[str, str]] = MappingProxyType(
    {
        "*": "For a document of the patient (patient-authored), only the MT (or the patient) may do this.",
        "1": "TD0.3: the authorisation is given to the structure (« l'autorisation est donnée à la structure »; "
        "note used but not printed by PDT-INF-526, text of PDT-INF-606).",
        "2": "TD0.4: search limited to PS of the same structure.",
        "3": "TD0.4: search limited, by date, to new authorisations.",
        "4": "TD2.1/TD2.2: adding documents; imputability to the structure.",
        "5": "TD3.1: reference search (TD3.1b) in indirect authentication or with a CPE (e.g. before deleting).",
        "6": "TD3.2: own documents only (those the user authored).",
        "7": "TD3.2: reading a masked document in bris de glace or centre 15 mode only if the patient allowed it.",
        "8": "TD3.3: own documents only (those the user authored).",
        "9": "TD3.3: the structure's documents only (authored by the structure or one of its CPEs).",
        "10": "TD1.3b / TD1.4 / TD1.5: only for DMPs not associated with Mon espace santé "
        "(rows no longer in the table).",
        "11": "TD0.0: available until 30/09/2023 (retired).",
    }
)

#: Restriction notes of PDT-INF-606 (AIR).
NOTES_606: Final[Mapping[str, str]] = MappingProxyType(
    {
        "*": "For a document of the patient (patient-authored), only the MT (or the patient) may do this.",
        "1": "TD0.3: the authorisation is given to the structure (« l'autorisation est donnée à la structure »).",
        "3": "TD0.4: limited to PS of the same structure.",
        "4": "TD2.1/TD2.2: imputability to the structure.",
        "5": "TD3.1: reference search in indirect authentication or with a CPE (e.g. before deletion).",
        "6": "TD3.2: own documents only.",
        "7": "TD3.2: masked documents in bris de glace / centre 15 only if the patient allowed it.",
        "8": "TD3.3: own documents only.",
        "9": "TD3.3: the structure's documents only.",
    }
)

#: PDT-INF-526 columns: (key, label).
COLUMNS_526: Final[tuple[tuple[str, str], ...]] = (
    ("A:normal", "PS non médecin — normal"),
    ("A:centre_15", "PS non médecin — régulation"),
    ("A:bris_de_glace", "PS non médecin — bris de glace"),
    ("B:normal", "Médecin non MT — normal"),
    ("B:centre_15", "Médecin non MT — régulation"),
    ("B:bris_de_glace", "Médecin non MT — bris de glace"),
    ("C", "Médecin du travail"),
    ("D:normal", "Médecin traitant (MT) — normal"),
    ("D:bris_de_glace", "Médecin traitant (MT) — bris de glace"),
    ("E:normal", "Porteur de CPE (non PS) — normal"),
    ("F:normal", "Certificat ES (authentification indirecte) — normal"),
    ("F:centre_15", "Certificat ES (authentification indirecte) — régulation"),
)

#: PDT-INF-606 (AIR) columns: (key, label).
COLUMNS_606: Final[tuple[tuple[str, str], ...]] = (
    ("PSNM:normal", "AIR — PS non médecin — normal"),
    ("PSNM:centre_15", "AIR — PS non médecin — régulation"),
    ("PSNM:bris_de_glace", "AIR — PS non médecin — bris de glace"),
    ("MED:normal", "AIR — Médecin non MT — normal"),
    ("MED:centre_15", "AIR — Médecin non MT — régulation"),
    ("MED:bris_de_glace", "AIR — Médecin non MT — bris de glace"),
    ("MT:normal", "AIR — Médecin traitant — normal"),
    ("MT:bris_de_glace", "AIR — Médecin traitant — bris de glace"),
    ("PE:normal", "AIR — PE / non PS — normal"),
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: allowed or not, and the restriction notes that apply (``("7",)``, ``("*", "8")``)."""

    allowed: bool
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """As printed in the sheet (``oui (7)``)."""
        shown = [n for n in self.notes if n != "*"]
        return ("oui" if self.allowed else "non") + (f" ({', '.join(shown)})" if shown else "")


def _row(spec: str, keys: tuple[tuple[str, str], ...], *, star: bool = False) -> Mapping[str, Cell]:
    """``"oui non oui(7) …"`` → {column key: Cell}; ``star`` adds the ``*`` note to allowed cells."""
    cells = spec.split()
    if len(cells) != len(keys):
        raise ValueError(f"rights row {spec!r} has {len(cells)} cells, {len(keys)} expected")
    out: dict[str, Cell] = {}
    for (key, _), cell in zip(keys, cells, strict=True):
        word, _, rest = cell.partition("(")
        allowed = {"oui": True, "non": False}[word]
        notes = tuple(n for n in rest.rstrip(")").split(",") if n)
        if star and allowed:
            notes = ("*", *notes)
        out[key] = Cell(allowed, notes)
    return MappingProxyType(out)


def _matrix(
    rows: Mapping[RightsAction, tuple[str, bool]], keys: tuple[tuple[str, str], ...]
) -> Mapping[RightsAction, Mapping[str, Cell]]:
    return MappingProxyType({action: _row(spec, keys, star=star) for action, (spec, star) in rows.items()})


_ALL12 = " ".join(["oui"] * 12)
_TD32_526 = "oui oui oui oui oui oui non oui oui non non non"

#: PDT-INF-526 v1.8 (25.09.2024), row by row (columns :data:`COLUMNS_526`).
MATRIX_526: Final = _matrix(
    {
        _A.TD0_0_IDENTITY: (" ".join(["oui(11)"] * 12), False),
        _A.TD0_1_AUTHENTICATION: (_ALL12, False),
        _A.TD0_2_EXISTENCE: (_ALL12, False),
        _A.TD0_3_DECLARE: ("oui non non oui non non non oui non oui(1) non non", False),
        _A.TD0_3_REMOVE: ("oui non non oui non non non oui non non non non", False),
        _A.TD0_3_REMOVE_MT: ("non non non non non non non oui non non non non", False),
        _A.TD0_4_PATIENT_LIST: ("oui oui oui oui oui oui oui oui oui oui(2) oui(3) non", False),
        _A.TD0_5_SEARCH_WITHOUT_INS: ("non oui non non oui non non non non non non oui", False),
        _A.TD0_9_WEBPS: ("oui oui oui oui oui oui oui oui oui oui non non", False),
        _A.TD1_3A_ADMINISTRATIVE_DATA: (_ALL12, False),
        _A.TD1_6_LIST_AUTHORIZATIONS: ("oui non non oui non non oui oui non non non non", False),
        _A.TD2_1_FEED: ("oui oui oui oui oui oui oui oui oui non oui(4) oui(4)", False),
        _A.TD2_2_FEED_CPE: ("non non non non non non non non non oui(4) non non", False),
        _A.TD3_1_SEARCH_METADATA: ("oui oui oui oui oui oui oui oui oui non non non", False),
        _A.TD3_1B_SEARCH_REFERENCE: ("oui oui oui oui oui oui oui oui oui oui(5) oui(5) oui(5)", False),
        _A.TD3_2_NOT_MASKED: (_TD32_526, False),
        _A.TD3_2_MASKED: ("oui(6) oui(7) oui(7) oui(6) oui(7) oui(7) non oui oui(7) non non non", False),
        _A.TD3_2_INVISIBLE: (_TD32_526, False),
        _A.TD3_2_ARCHIVED: (_TD32_526, False),
        _A.TD3_2_DEPRECATED: (_TD32_526, False),
        _A.TD3_2_DELETED: (_TD32_526, False),
        _A.TD3_3A_MASK: ("oui non non oui non non oui oui non non non non", False),
        _A.TD3_3A_UNMASK: ("oui(8) non non oui(8) non non oui(8) oui non non non non", False),
        _A.TD3_3B_MAKE_VISIBLE: ("oui non non oui non non oui oui non non non non", False),
        _A.TD3_3D_ARCHIVE: ("oui(8) non non oui(8) oui oui oui(8) oui oui non non non", True),
        _A.TD3_3D_UNARCHIVE: ("oui(8) non non oui(8) oui oui oui(8) oui oui non non non", True),
        _A.TD3_3C_DELETE: (" ".join(["oui(8)"] * 9 + ["oui(9)"] * 3), True),
    },
    COLUMNS_526,
)

_ALL9 = " ".join(["oui"] * 9)
_TD32_606 = " ".join(["oui"] * 8 + ["non"])

#: PDT-INF-606 v1.3 (08.07.2025), AIR, row by row (columns :data:`COLUMNS_606`).
MATRIX_606: Final = _matrix(
    {
        _A.TD0_1_AUTHENTICATION: (_ALL9, False),
        _A.TD0_2_EXISTENCE: (_ALL9, False),
        _A.TD0_3_DECLARE: ("oui non non oui non non oui non oui(1)", False),
        _A.TD0_3_REMOVE: ("oui non non oui non non oui non non", False),
        _A.TD0_4_PATIENT_LIST: ("oui oui oui oui oui oui oui oui oui(3)", False),
        _A.TD0_5_SEARCH_WITHOUT_INS: ("non oui non non oui non non non non", False),
        _A.TD0_10_WEBPS_AIR: (_ALL9, False),
        _A.TD1_3A_ADMINISTRATIVE_DATA: (_ALL9, False),
        _A.TD1_6_LIST_AUTHORIZATIONS: ("oui non non oui non non oui non non", False),
        _A.TD2_1_FEED: (" ".join(["non"] * 9), False),
        _A.TD2_2_FEED_CPE: (" ".join(["non"] * 9), False),
        _A.TD3_1_SEARCH_METADATA: (_TD32_606, False),
        _A.TD3_1B_SEARCH_REFERENCE: (" ".join(["oui"] * 8 + ["oui(5)"]), False),
        _A.TD3_2_NOT_MASKED: (_TD32_606, False),
        _A.TD3_2_MASKED: ("oui(6) oui(7) oui(7) oui(6) oui(7) oui(7) oui oui(7) non", False),
        _A.TD3_2_INVISIBLE: (_TD32_606, False),
        _A.TD3_2_ARCHIVED: (_TD32_606, False),
        _A.TD3_2_DEPRECATED: (_TD32_606, False),
        _A.TD3_2_DELETED: (_TD32_606, False),
        _A.TD3_3A_MASK: ("oui non non oui non non oui non non", False),
        _A.TD3_3A_UNMASK: ("oui(8) non non oui(8) non non oui non non", False),
        _A.TD3_3B_MAKE_VISIBLE: ("oui non non oui non non oui non non", False),
        _A.TD3_3D_ARCHIVE: ("oui(8) non non oui oui oui oui oui non", True),
        _A.TD3_3D_UNARCHIVE: ("oui(8) non non oui oui oui oui oui non", True),
        _A.TD3_3C_DELETE: (" ".join(["oui(8)"] * 8 + ["oui(9)"]), True),
    },
    COLUMNS_606,
)

_LABEL_526: Final = dict(COLUMNS_526)
_LABEL_606: Final = dict(COLUMNS_606)


class UserProfile(InputModel):
    """What decides the column of the matrices.

    Attributes:
        authentication_mode: DIRECTE (card), INDIRECTE (establishment certificate) or INDIRECTE_RENFORCEE (AIR).
        card_type: in direct mode, the card (a CPE holder is the "porteur de CPE" column).
        physician: profession ``10`` (Médecin).
        treating_physician: the user is the patient's médecin traitant DMP (TD0.2 ``STATUT_MT``).
        occupational_physician: médecin du travail (not derivable from public data: say it).
        health_professional: False for staff without PS status (AIR "PE / non PS" column; CPE holders).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    authentication_mode: AuthenticationMode = AuthenticationMode.DIRECTE
    card_type: CardType | None = CardType.CPS
    physician: bool = False
    treating_physician: bool = False
    occupational_physician: bool = False
    health_professional: bool = True

    @classmethod
    def from_context(
        cls, acting: ActingContext, *, treating_physician: bool = False, occupational_physician: bool = False
    ) -> UserProfile:
        """The profile of an acting context (MT and occupational physician are not in the context: pass them)."""
        prof = acting.professional
        return cls(
            authentication_mode=acting.authentication_mode,
            card_type=prof.card_type if acting.is_direct else None,
            physician=prof.is_physician,
            treating_physician=treating_physician,
            occupational_physician=occupational_physician,
            health_professional=prof.is_health_professional,
        )


class RightDecision(BaseModel):
    """The answer of :func:`check_right`.

    Attributes:
        allowed: the matrix allows it (possibly with restrictions: read :attr:`note`).
        note: the restriction notes that apply, as text (None when none).
        source: the sheet that decided.
        action: the row.
        column: the column label used (None when no column applies).
        cell: the cell as printed (``oui (7)``), None when no cell applies.
        notes: the note keys (``("*", "8")``).
        inferred: a choice of ours where the sheets are silent (see the module docstring).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: bool
    note: str | None = None
    source: Source
    action: RightsAction
    column: str | None = None
    cell: str | None = None
    notes: tuple[str, ...] = ()
    inferred: str | None = None

    def explain(self) -> str:
        """One readable sentence: what, for whom, the verdict, the sheet, the restrictions."""
        who = self.column or "this profile"
        verdict = "allowed" if self.allowed else "refused"
        text = f"{self.action.td} « {self.action.label_fr} »: {verdict} for {who} ({self.source}"
        text += f", cell « {self.cell} »)" if self.cell else ")"
        if self.note:
            text += f". Restrictions: {self.note}"
        if self.inferred:
            text += f" [I] {self.inferred}"
        return text


def _notes_text(notes: tuple[str, ...], table: Mapping[str, str]) -> str | None:
    if not notes:
        return None
    return " ".join(f"({n}) {table[n]}" if n != "*" else f"(*) {table[n]}" for n in notes)


def _decision(action: RightsAction, source: str, key: str, cell: Cell, inferred: str | None = None) -> RightDecision:
    table = NOTES_606 if source == S606 else NOTES_526
    labels = _LABEL_606 if source == S606 else _LABEL_526
    return RightDecision(
        allowed=cell.allowed,
        note=_notes_text(cell.notes, table),
        source=S606 if source == S606 else S526,
        action=action,
        column=labels[key],
        cell=cell.text,
        notes=cell.notes,
        inferred=inferred,
    )


def _refused(action: RightsAction, source: str, why: str) -> RightDecision:
    return RightDecision(allowed=False, source=S606 if source == S606 else S526, action=action, inferred=why)


def _column_526(profile: UserProfile, mode: AccessMode) -> tuple[str | None, str | None]:
    """(column key, inference note) in PDT-INF-526 for a non-AIR profile."""
    m = mode.value
    if profile.authentication_mode is AuthenticationMode.INDIRECTE:
        if mode is AccessMode.BRIS_DE_GLACE:
            return None, "establishment certificates have no bris de glace column"
        return f"F:{m}", None
    if profile.card_type is CardType.CPE or not profile.health_professional:
        if mode is not AccessMode.NORMAL:
            return None, "the CPE (non-PS) column exists in normal access mode only"
        note = None if profile.card_type is CardType.CPE else "a non-PS user in direct mode is read as a CPE holder"
        return "E:normal", note
    if profile.occupational_physician:
        return "C", None  # "sans objet": one column whatever the access mode
    if profile.treating_physician:
        if mode is AccessMode.CENTRE_15:
            return "B:centre_15", "no MT column in régulation mode: the 'médecin non MT' column is used"
        return f"D:{m}", None
    return (f"B:{m}" if profile.physician else f"A:{m}"), None


def _column_606(profile: UserProfile, mode: AccessMode) -> tuple[str | None, str | None]:
    """(column key, inference note) in PDT-INF-606 for an AIR profile."""
    m = mode.value
    if not profile.health_professional:
        if mode is not AccessMode.NORMAL:
            return None, "the PE / non-PS column exists in normal access mode only"
        return "PE:normal", None
    if profile.treating_physician and not profile.occupational_physician:
        if mode is AccessMode.CENTRE_15:
            return "MED:centre_15", "no MT column in régulation mode: the 'médecin non MT' column is used"
        return f"MT:{m}", None
    if profile.physician or profile.occupational_physician:
        return f"MED:{m}", None
    return f"PSNM:{m}", None


_AIR_TO_526: Final = {"PSNM": "A", "MED": "B", "MT": "D", "PE": "E"}


def check_right(
    action: RightsAction | str, profile: UserProfile, access_mode: AccessMode | str = AccessMode.NORMAL
) -> RightDecision:
    """The matrix cell for an action, a profile and an access mode.

    PDT-INF-606 decides in AIR, PDT-INF-526 otherwise (see the module docstring for the [I] choices).
    """
    act = RightsAction(action)
    mode = AccessMode(access_mode)
    if profile.authentication_mode is not AuthenticationMode.INDIRECTE_RENFORCEE:
        if act is RightsAction.TD0_10_WEBPS_AIR:
            return _refused(act, S526, "TD0.10 exists only in AIR mode (PDT-INF-606); use TD0.9")
        key, inferred = _column_526(profile, mode)
        if key is None:
            return _refused(act, S526, inferred or "no column applies")
        return _decision(act, S526, key, MATRIX_526[act][key], inferred)

    key, inferred = _column_606(profile, mode)
    if key is None:
        return _refused(act, S606, inferred or "no column applies")
    row = MATRIX_606.get(act)
    if row is None:
        if act in (RightsAction.TD0_0_IDENTITY, RightsAction.TD0_9_WEBPS):
            why = "no such row in PDT-INF-606: " + ("TD0.0 is retired" if act.td == "TD0.0" else "AIR uses TD0.10")
            return _refused(act, S606, why)
        group, _, column_mode = key.partition(":")
        key_526 = _AIR_TO_526[group] + ":" + column_mode
        cell = MATRIX_526[act].get(key_526, Cell(False))
        why = f"no such row in PDT-INF-606: PDT-INF-526 column {_AIR_TO_526[group]} is used"
        return _decision(act, S526, key_526, cell, why) if key_526 in _LABEL_526 else _refused(act, S526, why)
    decision = _decision(act, S606, key, row[key], inferred)
    if profile.occupational_physician and decision.allowed:
        c_cell = MATRIX_526[act]["C"]
        why = "PDT-INF-606 has no occupational-physician column: the médecin cell and PDT-INF-526 column C both apply"
        if not c_cell.allowed:
            return decision.model_copy(update={"allowed": False, "inferred": why})
        return decision.model_copy(update={"inferred": why})
    return decision


def require_right(
    action: RightsAction | str,
    acting: ActingContext,
    *,
    treating_physician: bool | None = False,
    occupational_physician: bool = False,
) -> RightDecision:
    """Client guard: raise :class:`RuleViolation` when the matrix refuses the action for ``acting``.

    ``treating_physician=None`` means "unknown": the action is refused only when refused both as MT and as
    non-MT (the DMP decides otherwise).

    Returns:
        The decision that allowed it (with its restriction notes).
    """
    candidates = [False, True] if treating_physician is None else [treating_physician]
    decisions = [
        check_right(
            action,
            UserProfile.from_context(acting, treating_physician=mt, occupational_physician=occupational_physician),
            acting.access_mode,
        )
        for mt in candidates
    ]
    allowed = next((d for d in decisions if d.allowed), None)
    if allowed is not None:
        return allowed
    refused = decisions[0]
    raise RuleViolation(
        f"refused by the DMP rights matrix: {refused.explain()}",
        field="acting",
        value=f"{acting.authentication_mode.value}/{acting.access_mode.value}",
        rule=refused.source,
        hint="see rights-matrix (PDT-INF-526 / PDT-INF-606); the DMP would refuse this request",
    )
