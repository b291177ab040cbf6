"""TD0.9 / TD0.10 — contextual access to the DMP professional web site (Web-PS). Not SOAP.

* **TD0.9, CPS card** [V PDT-INF-527]: the software opens
  ``https://<Web-PS host>/AccesDirect/<Page>[/<INS>[/<INS OID>]]`` in the browser (:func:`webps_url`).
* **TD0.9, Pro Santé Connect** [V2 DBX, PDT-INF-547]: the context is POSTed as a form to the PSC Web-PS with
  hidden fields ``INS`` and ``typeINS`` (:func:`psc_form`). The value of ``typeINS`` is not public [?]; the INS
  OID is sent by default (the same value the GET URL carries after the INS) and ``ins_type=`` overrides it.
* **TD0.10, AIR** [V2 DBX; V PDT-INF-606 row TD0.10]: the structure's back end forges a fresh VIHF (30 s,
  single use), wraps it in a SAML 2.0 ``samlp:Response``, base64-encodes it, and the browser POSTs it as
  ``SAMLResponse`` to ``…/AccesIndirectRenforce/<Page>`` through the structure's mutual-TLS proxy
  (:func:`build_air_access`, an auto-submitting HTML form). The ``Response`` wrapper's details (Issuer,
  Status, Destination) follow SAML 2.0 core [I]. :func:`parse_air_post` is the sandbox's reader.

Pages [V PDT-INF-527]: ``TableauDeBord`` (INS optional: with an INS it lands on the existence-test result),
``Parametrages`` (no INS), every other page needs an INS [V2 public client; I for ``CarnetVaccination``].
DMP creation through the Web-PS is no longer possible. The Web-PS requires direct authentication (card or
e-CPS); establishment certificates have no TD0.9 (PDT-INF-526). Test Web-PS hosts are IP-whitelisted
(``AccessForbidden`` otherwise).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS
from dmpclient.context import ActingContext
from dmpclient.environments import Environment
from dmpclient.errors import ConfigurationError, InputError, InvalidValue, NIARefused, ProtocolError, RuleViolation
from dmpclient.ids import INS, InsKind
from dmpclient.security.vihf import SignedVihf, Vihf, find_assertion, format_instant, parse_instant, parse_vihf
from dmpclient.transactions import rights
from dmpclient.transactions._base import RequestContext

__all__ = [
    "AIR_PATH",
    "DIRECT_PATH",
    "SAML_SUCCESS",
    "AirAccess",
    "AirSamlResponse",
    "WebPsForm",
    "WebPsPage",
    "WebPsTarget",
    "build_air_access",
    "parse_air_post",
    "parse_webps_path",
    "psc_form",
    "webps_url",
]

#: Path prefix of the direct (card / PSC) access.
DIRECT_PATH: Final = "AccesDirect"
#: Path prefix of the AIR access.
AIR_PATH: Final = "AccesIndirectRenforce"
#: SAML 2.0 success status.
SAML_SUCCESS: Final = "urn:oasis:names:tc:SAML:2.0:status:Success"
_SAMLP: Final = NS["samlp"]
_SAML: Final = NS["saml2"]


class WebPsPage(StrEnum):
    """The Web-PS pages that can be opened in context (PDT-INF-527)."""

    TABLEAU_DE_BORD = "TableauDeBord"
    DOSSIER_PATIENT = "DossierPatient"
    GESTION_DMP_PATIENT = "GestionDMPPatient"
    DOCUMENTS = "Documents"
    PARCOURS_DE_SOINS = "ParcoursDeSoins"
    HISTORIQUE_ACCES = "HistoriqueAcces"
    PARAMETRAGES = "Parametrages"
    VOLONTES_ET_DROITS = "VolontesEtDroits"
    CARNET_VACCINATION = "CarnetVaccination"

    @property
    def patient(self) -> Literal["none", "optional", "required"]:
        """Whether the page takes an INS."""
        return _PATIENT[self]


_PatientUse = Literal["none", "optional", "required"]
_PATIENT_MAP: dict[WebPsPage, _PatientUse] = dict.fromkeys(WebPsPage, "required")
_PATIENT_MAP.update({WebPsPage.TABLEAU_DE_BORD: "optional", WebPsPage.PARAMETRAGES: "none"})
_PATIENT: Final[Mapping[WebPsPage, _PatientUse]] = MappingProxyType(_PATIENT_MAP)


def _page(page: WebPsPage | str) -> WebPsPage:
    try:
        return WebPsPage(page)
    except ValueError:
        pages = ", ".join(p.value for p in WebPsPage)
        raise InvalidValue(
            f"unknown Web-PS page (one of {pages})", field="page", value=page, rule="PDT-INF-527"
        ) from None


def _check_patient(page: WebPsPage, ins: INS | None, environment: Environment | None) -> None:
    if page.patient == "none" and ins is not None:
        raise InputError(f"the page {page.value} takes no INS", field="ins", value=str(ins), rule="PDT-INF-527")
    if page.patient == "required" and ins is None:
        raise InputError(f"the page {page.value} needs the patient's INS", field="ins", value=None, rule="PDT-INF-527")
    if ins is None:
        return
    if environment is not None:
        ins.check_dmp_access(environment.kind)
    elif ins.kind is InsKind.NIA:
        raise NIARefused(
            "a NIA (temporary INS) cannot be used to access the DMP",
            field="ins",
            value=ins.to_cx(),
            rule="CNDA 0.2-080",
        )


def _base(host: str | None, environment: Environment | None, attr: Literal["webps_cps", "webps_psc"]) -> str:
    value = host or (getattr(environment, attr) if environment is not None else None)
    if not value:
        raise ConfigurationError(
            "no Web-PS host: give host= or an environment with a Web-PS URL", field=f"environment.{attr}", value=value
        )
    if "://" not in value:
        value = "https://" + value
    if not value.startswith("https://"):
        raise ConfigurationError("the Web-PS is reached over HTTPS only", field="host", value=value, rule="TLS")
    return value.rstrip("/")


def webps_url(
    page: WebPsPage | str,
    ins: INS | None = None,
    *,
    environment: Environment | None = None,
    host: str | None = None,
    include_oid: bool = True,
    acting: ActingContext | None = None,
) -> str:
    """TD0.9 (card) URL ``https://<host>/AccesDirect/<Page>[/<INS>[/<INS OID>]]``.

    Args:
        page: the Web-PS page.
        ins: the patient (required or forbidden depending on the page; NIA refused).
        environment: gives the host (``webps_cps``) and the accepted INS OIDs.
        host: overrides the environment's host (``wps-cps.dmp.monespacesante.fr`` or a full https URL).
        include_oid: append the INS OID after the INS.
        acting: when given, the rights matrix is checked (no TD0.9 with an establishment certificate).

    Raises:
        InputError: INS missing / not allowed for the page; NIARefused for a NIA.
        ConfigurationError: no host.
        RuleViolation: refused by the rights matrix.
    """
    target = _page(page)
    _check_patient(target, ins, environment)
    if acting is not None:
        rights.require_right(rights.RightsAction.TD0_9_WEBPS, acting, treating_physician=None)
    url = f"{_base(host, environment, 'webps_cps')}/{DIRECT_PATH}/{target.value}"
    if ins is not None:
        url += f"/{ins.matricule}"
        if include_oid:
            url += f"/{ins.oid.value}"
    return url


@dataclass(frozen=True)
class WebPsForm:
    """An HTML form to POST to the Web-PS (hidden fields only)."""

    action: str
    fields: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"

    def to_html(self, *, auto_submit: bool = True, title: str = "Accès au DMP") -> str:
        """A minimal HTML page holding the form; ``auto_submit`` posts it on load (a button stays for no-JS)."""
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k, quote=True)}" value="{html.escape(v, quote=True)}"/>'
            for k, v in self.fields.items()
        )
        onload = ' onload="document.forms[0].submit()"' if auto_submit else ""
        return (
            f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"/><title>{html.escape(title)}</title></head>'
            f'<body{onload}><form method="{self.method.lower()}" action="{html.escape(self.action, quote=True)}">'
            f'{inputs}<noscript><button type="submit">Continuer</button></noscript></form></body></html>'
        )


def psc_form(
    page: WebPsPage | str,
    ins: INS | None = None,
    *,
    environment: Environment | None = None,
    host: str | None = None,
    ins_type: str | None = None,
) -> WebPsForm:
    """TD0.9 with Pro Santé Connect: a form POSTed to ``https://<PSC host>/AccesDirect/<Page>`` with hidden
    fields ``INS`` and ``typeINS`` (the INS OID by default [?], ``ins_type=`` to override)."""
    target = _page(page)
    _check_patient(target, ins, environment)
    action = f"{_base(host, environment, 'webps_psc')}/{DIRECT_PATH}/{target.value}"
    fields = {} if ins is None else {"INS": ins.matricule, "typeINS": ins_type or ins.oid.value}
    return WebPsForm(action=action, fields=fields)


# ------------------------------------------------------------------------------------------- TD0.10


@dataclass(frozen=True)
class AirAccess:
    """A TD0.10 access ready for the browser.

    Attributes:
        url: ``https://<host>/AccesIndirectRenforce/<Page>``.
        saml_response: the base64 ``SAMLResponse`` field value.
        response_xml: the ``samlp:Response`` bytes before base64 (evidence).
        vihf: the fresh single-use VIHF it carries (already consumed: never reuse it).
        form: the form to POST.
    """

    url: str
    saml_response: str
    response_xml: bytes
    vihf: SignedVihf
    form: WebPsForm

    @property
    def html(self) -> str:
        """The auto-submitting HTML page."""
        return self.form.to_html(auto_submit=True)


def _saml_response(assertion: bytes, *, issuer: str, destination: str, now: dt.datetime, response_id: str) -> bytes:
    response = etree.Element(f"{{{_SAMLP}}}Response", nsmap={"samlp": _SAMLP, "saml2": _SAML})
    response.set("ID", response_id)
    response.set("Version", "2.0")
    response.set("IssueInstant", format_instant(now))
    response.set("Destination", destination)
    issuer_el = etree.SubElement(response, f"{{{_SAML}}}Issuer")
    issuer_el.set("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName")
    issuer_el.text = issuer
    status = etree.SubElement(response, f"{{{_SAMLP}}}Status")
    etree.SubElement(status, f"{{{_SAMLP}}}StatusCode").set("Value", SAML_SUCCESS)
    response.append(_xml.parse_bytes(assertion, origin="VIHF"))  # the signed bytes, never re-serialized by hand
    return _xml.to_bytes(response)


def build_air_access(
    ctx: RequestContext,
    page: WebPsPage | str,
    ins: INS | None = None,
    *,
    host: str | None = None,
) -> AirAccess:
    """TD0.10: a fresh VIHF in a ``samlp:Response``, base64, as an auto-submitting form to
    ``…/AccesIndirectRenforce/<Page>``.

    Raises:
        RuleViolation: the context is not AIR (``INDIRECTE_RENFORCEE``) or the matrix refuses.
        InputError / NIARefused: INS missing, not allowed for the page, or a NIA.
        ConfigurationError: no Web-PS host.
    """
    acting = ctx.acting
    if not acting.is_air:
        raise RuleViolation(
            "TD0.10 is the AIR Web-PS access: the acting context must use INDIRECTE_RENFORCEE (use TD0.9 otherwise)",
            field="acting.authentication_mode",
            value=acting.authentication_mode.value,
            rule="PDT-INF-606",
        )
    target = _page(page)
    _check_patient(target, ins, ctx.environment)
    ctx.require_right(rights.RightsAction.TD0_10_WEBPS_AIR)
    url = f"{_base(host, ctx.environment, 'webps_cps')}/{AIR_PATH}/{target.value}"
    signed = ctx.vihf(ins)
    now = ctx.clock()
    assertion = signed.consume(now=now)  # single use: this token leaves with the browser
    data = _saml_response(
        assertion, issuer=signed.vihf.issuer, destination=url, now=now, response_id=f"_{uuid.uuid4()}"
    )
    encoded = base64.b64encode(data).decode("ascii")
    return AirAccess(
        url=url,
        saml_response=encoded,
        response_xml=data,
        vihf=signed,
        form=WebPsForm(action=url, fields={"SAMLResponse": encoded}),
    )


@dataclass(frozen=True)
class AirSamlResponse:
    """A decoded TD0.10 ``SAMLResponse`` (sandbox side).

    Attributes:
        response_id / destination / issue_instant / status: the ``samlp:Response`` attributes and status code.
        assertion: the ``saml2:Assertion`` element (verify it with :func:`dmpclient.security.verify_vihf`).
        vihf: the decoded token.
        xml: the decoded bytes.
    """

    response_id: str | None
    destination: str | None
    issue_instant: dt.datetime | None
    status: str | None
    assertion: etree._Element
    vihf: Vihf
    xml: bytes


def parse_air_post(saml_response: str | bytes) -> AirSamlResponse:
    """Decode the ``SAMLResponse`` form field of a TD0.10 POST.

    Raises:
        ProtocolError: not base64, not a ``samlp:Response``, or not exactly one assertion.
    """
    raw = saml_response.encode("ascii", "replace") if isinstance(saml_response, str) else saml_response
    try:
        data = base64.b64decode(unquote(raw.decode("ascii", "replace")).encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("SAMLResponse is not valid base64") from None
    root = _xml.parse_bytes(data, origin="SAMLResponse")
    if root.tag != f"{{{_SAMLP}}}Response":
        raise ProtocolError(f"SAMLResponse holds {root.tag}, not a samlp:Response")
    try:
        assertion = find_assertion(root)
    except Exception as exc:  # SignatureError: none or several
        raise ProtocolError(f"SAMLResponse: {exc}") from None
    status = root.find(f"{{{_SAMLP}}}Status/{{{_SAMLP}}}StatusCode")
    instant = root.get("IssueInstant")
    return AirSamlResponse(
        response_id=root.get("ID"),
        destination=root.get("Destination"),
        issue_instant=parse_instant(instant) if instant else None,
        status=status.get("Value") if status is not None else None,
        assertion=assertion,
        vihf=parse_vihf(assertion),
        xml=data,
    )


# ------------------------------------------------------------------------------------------ routing


@dataclass(frozen=True)
class WebPsTarget:
    """What a Web-PS URL path asks for (sandbox routing): access kind, page, INS."""

    access: Literal["direct", "air"]
    page: WebPsPage
    ins: INS | None = None


def parse_webps_path(url_or_path: str) -> WebPsTarget:
    """Read ``/AccesDirect/<Page>[/<INS>[/<OID>]]`` or ``/AccesIndirectRenforce/<Page>``.

    Raises:
        ProtocolError: not a Web-PS path, unknown page, or an invalid INS.
    """
    path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path
    parts = [unquote(p) for p in path.split("/") if p]
    kinds = {DIRECT_PATH: "direct", AIR_PATH: "air"}
    start = next((i for i, p in enumerate(parts) if p in kinds), None)
    if start is None or start + 1 >= len(parts):
        raise ProtocolError(f"not a Web-PS contextual access path: {path!r}")
    access: Literal["direct", "air"] = "direct" if parts[start] == DIRECT_PATH else "air"
    try:
        page = WebPsPage(parts[start + 1])
    except ValueError:
        raise ProtocolError(f"unknown Web-PS page {parts[start + 1]!r}") from None
    rest = parts[start + 2 :]
    if len(rest) > 2 or (access == "air" and rest):
        raise ProtocolError(f"unexpected path segments after the page: {rest!r}")
    ins = None
    if rest:
        try:
            ins = INS.parse(rest[0], rest[1]) if len(rest) == 2 else INS.parse(rest[0])
        except ValueError as exc:
            raise ProtocolError(f"invalid INS in the Web-PS path: {exc}") from None
    return WebPsTarget(access=access, page=page, ins=ins)
