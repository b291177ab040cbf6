"""Property tests (hypothesis): HL7 v2 datatypes round-trip through format → parse with arbitrary text.

Text deliberately includes the delimiters ``|^~\\&``, backslashes, escape-looking sequences and line
breaks. Empty strings are not generated for leaves because HL7 v2 has no way to tell an empty component
from an absent one: both parse back as ``None``.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from dmpclient.hl7v2 import CX, DTM, HD, XCN, XON, XTN, escape, unescape

# No deadline: hypothesis' per-example deadline is a timing assertion, and the machine is shared.
PROPERTY = settings(deadline=None, max_examples=100)

_DELIMITER_HEAVY = st.sampled_from([*"|^~\\&", "\\F\\", "\\E\\", "\\X0D\\", "\\H\\", "\r", "\n", "é", " "])
_TEXT = st.lists(st.one_of(st.text(max_size=6), _DELIMITER_HEAVY), min_size=1, max_size=8).map("".join)
LEAF = _TEXT.filter(bool)
OPT = st.none() | LEAF


@st.composite
def hds(draw: st.DrawFn) -> HD:
    hd = HD(draw(OPT), draw(OPT), draw(OPT))
    # An all-empty HD formats as "" and reads back as "no HD": generate it as None at the call site.
    return hd if not hd.is_empty() else HD("ns")


OPT_HD = st.none() | hds()


@PROPERTY
@given(_TEXT)
def test_escape_round_trip(text: str) -> None:
    escaped = escape(text)
    assert unescape(escaped) == text
    assert not set(escaped) & set("|^~&\r\n")


@PROPERTY
@given(hds())
def test_hd_round_trip(hd: HD) -> None:
    assert HD.parse(hd.format()) == hd
    assert HD.parse(hd.format(separator="^"), separator="^") == hd


@PROPERTY
@given(
    LEAF,
    OPT,
    OPT,
    OPT_HD,
    OPT,
    OPT_HD,
    OPT,
    OPT,
)
def test_cx_round_trip(
    ident: str,
    check: str | None,
    scheme: str | None,
    authority: HD | None,
    type_code: str | None,
    facility: HD | None,
    effective: str | None,
    expiration: str | None,
) -> None:
    cx = CX(ident, check, scheme, authority, type_code, facility, effective, expiration)
    assert CX.parse(cx.format()) == cx


@PROPERTY
@given(st.lists(OPT, min_size=12, max_size=12), OPT_HD)
def test_xcn_round_trip(values: list[str | None], authority: HD | None) -> None:
    if not values[0] and not values[1]:
        values[0] = "899900063480"
    leaves = [f.name for f in fields(XCN) if f.name not in ("assigning_authority", "extra_components")]
    xcn = XCN(**dict(zip(leaves, values, strict=True)), assigning_authority=authority)  # type: ignore[arg-type]
    assert XCN.parse(xcn.format()) == xcn


@PROPERTY
@given(LEAF, st.lists(OPT, min_size=7, max_size=7), OPT_HD, OPT_HD)
def test_xon_round_trip(name: str, values: list[str | None], authority: HD | None, facility: HD | None) -> None:
    type_code, id_number, check, scheme, id_type, name_rep, org_id = values
    xon = XON(name, type_code, id_number, check, scheme, authority, id_type, facility, name_rep, org_id)
    assert XON.parse(xon.format()) == xon


@PROPERTY
@given(st.lists(OPT, min_size=12, max_size=12), st.sampled_from([0, 3, 6, 11]), LEAF)
def test_xtn_round_trip(values: list[str | None], address_index: int, address: str) -> None:
    values[address_index] = address  # an XTN needs a phone number or an e-mail address
    leaves = [f.name for f in fields(XTN) if f.name != "extra_components"]
    xtn = XTN(**dict(zip(leaves, values, strict=True)))  # type: ignore[arg-type]
    assert XTN.parse(xtn.format()) == xtn


# ------------------------------------------------------------------------------------------------ DTM

OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60)


@st.composite
def dtms(draw: st.DrawFn) -> DTM:
    moment = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)))
    depth = draw(st.integers(min_value=0, max_value=6))  # 0 = year … 5 = second, 6 = fraction
    month, day, hour, minute, second = (
        v if i < depth else None
        for i, v in enumerate((moment.month, moment.day, moment.hour, moment.minute, moment.second))
    )
    fraction = draw(st.from_regex(r"[0-9]{1,4}", fullmatch=True)) if depth == 6 else None
    offset = draw(st.none() | OFFSETS)
    return DTM(moment.year, month, day, hour, minute, second, fraction, offset)


@PROPERTY
@given(dtms())
def test_dtm_round_trip(dtm: DTM) -> None:
    assert DTM.parse(dtm.format()) == dtm


@PROPERTY
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30)),
    OFFSETS,
)
def test_to_xds_equals_python_utc_conversion(moment: datetime, offset: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset)))
    cda = DTM.from_datetime(aware).format()
    expected = aware.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    assert DTM.parse(cda).to_xds() == expected
