"""dmpclient.hl7v2: escapes, components, the official XCN/XON/CX forms, XTN, DTM and UTC conversion.

Reference: ``xds-metadata.md`` §2–3 and §8.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dmpclient.errors import InputError, InvalidValue
from dmpclient.hl7v2 import (
    CX,
    DTM,
    HD,
    XCN,
    XON,
    XTN,
    Precision,
    cda_ts_to_xds,
    escape,
    format_xds_time,
    join_components,
    parse_xds_time,
    split_components,
    unescape,
)


def assert_input_error(exc: InputError, *, field: str, rule: str, value: object = None) -> None:
    assert exc.field == field
    assert exc.rule == rule
    if value is not None:
        assert exc.value == value
    assert rule in str(exc)


# ---------------------------------------------------------------------------------------------- escapes


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("|", "\\F\\"),
        ("^", "\\S\\"),
        ("~", "\\R\\"),
        ("\\", "\\E\\"),
        ("&", "\\T\\"),
        ("a|b^c~d\\e&f", "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"),
        ("\r\n", "\\X0D\\\\X0A\\"),
        ("plain text é", "plain text é"),
        ("", ""),
    ],
)
def test_escape_both_ways(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
    assert unescape(escaped) == raw


def test_unknown_escape_sequences_kept() -> None:
    assert unescape("\\H\\bold\\N\\") == "\\H\\bold\\N\\"
    assert unescape("a\\.br\\b") == "a\\.br\\b"
    assert unescape("\\XZZ\\") == "\\XZZ\\"  # not hexadecimal: kept


def test_hex_escape_decoded() -> None:
    assert unescape("\\X0D0A\\") == "\r\n"
    assert unescape("\\XC3A9\\") == "é"


def test_unterminated_escape_refused() -> None:
    with pytest.raises(InvalidValue) as info:
        unescape("abc\\F")
    assert_input_error(info.value, field="hl7v2", rule="HL7 v2 escape", value="abc\\F")


def test_escape_never_leaves_a_raw_delimiter() -> None:
    text = escape("|^~\\&|^~\\&")
    assert not set(text) & set("|^~&")


# ------------------------------------------------------------------------------------------ components


def test_split_and_join_components() -> None:
    assert split_components("a^^c") == ["a", "", "c"]
    assert join_components(["a", "", "c", "", ""]) == "a^^c"
    assert join_components(["", "", ""]) == ""


def test_empty_components_are_none() -> None:
    cx = CX.parse("123^^^&1.2.3&ISO^PI")
    assert cx.check_digit is None
    assert cx.check_digit_scheme is None
    assert cx.identifier_type_code == "PI"
    assert cx.assigning_facility is None


def test_trailing_empty_components_trimmed() -> None:
    assert CX("123").format() == "123"
    assert CX("123", identifier_type_code="NH").format() == "123^^^^NH"
    assert CX.parse("123^^^&1.2.3&ISO^NH^^^").format() == "123^^^&1.2.3&ISO^NH"
    assert HD("ns", None, None).format() == "ns"
    assert XTN.email("a@b.fr").format() == "^NET^Internet^a@b.fr"


def test_sub_components() -> None:
    hd = HD.parse("ns&1.2.250.1.213.1.4.10&ISO")
    assert hd == HD("ns", "1.2.250.1.213.1.4.10", "ISO")
    assert HD.parse("&1.2.3&ISO") == HD.iso("1.2.3")
    assert HD.parse("ns^1.2^ISO", separator="^") == HD("ns", "1.2", "ISO")
    assert HD("a&b", "1.2", "ISO").format() == "a\\T\\b&1.2&ISO"
    assert HD.parse("a\\T\\b&1.2&ISO").namespace_id == "a&b"
    assert HD().is_empty()
    assert not HD.iso("1.2").is_empty()


def test_hd_too_many_parts() -> None:
    with pytest.raises(InvalidValue) as info:
        HD.parse("a&b&c&d")
    assert_input_error(info.value, field="HD", rule="HL7 v2 HD", value="a&b&c&d")


def test_escaped_delimiters_inside_components() -> None:
    xcn = XCN(id="1", family_name="DUPONT^MARTIN", given_name="Jean|Paul")
    text = xcn.format()
    assert text == "1^DUPONT\\S\\MARTIN^Jean\\F\\Paul"
    assert XCN.parse(text) == xcn


@pytest.mark.parametrize(
    ("parser", "text", "field"),
    [
        (CX.parse, "123\r^^", "CX"),
        (XCN.parse, "1^A\nB", "XCN"),
        (XON.parse, "A\r\n", "XON"),
    ],
)
def test_raw_line_breaks_refused(parser: object, text: str, field: str) -> None:
    with pytest.raises(InvalidValue) as info:
        parser(text)  # type: ignore[operator]
    assert_input_error(info.value, field=field, rule=f"HL7 v2 {field}", value=text)


def test_line_breaks_round_trip_escaped() -> None:
    xon = XON("CABINET\r\nDR LIBRE")
    assert "\n" not in xon.format()
    assert XON.parse(xon.format()) == xon


@pytest.mark.parametrize("parser", [CX.parse, XCN.parse, XON.parse, XTN.parse, DTM.parse])
def test_non_string_refused(parser: object) -> None:
    with pytest.raises(InvalidValue) as info:
        parser(42)  # type: ignore[operator]
    assert info.value.value == 42
    assert info.value.rule is not None


# -------------------------------------------------------------------------------- official XDS examples

OFFICIAL_XCN = "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
OFFICIAL_XON = "CABINET DR LIBRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001"
OFFICIAL_CX = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
OFFICIAL_IPP = "0456789999^^^&1.2.250.1.999.1.1.7898.2&ISO^PI"


def test_official_xcn() -> None:
    xcn = XCN.parse(OFFICIAL_XCN)
    assert xcn.id == "899900063480"
    assert xcn.family_name == "MAX"
    assert xcn.given_name == "LIBRE"
    assert xcn.assigning_authority == HD.iso("1.2.250.1.71.4.2.1")
    assert xcn.name_type_code == "D"
    assert xcn.identifier_type_code == "IDNPS"
    assert xcn.format() == OFFICIAL_XCN
    assert str(xcn) == OFFICIAL_XCN


def test_xcn_built_like_the_dmp_wants() -> None:
    built = XCN(
        id="899900063480",
        family_name="MAX",
        given_name="LIBRE",
        assigning_authority=HD.iso("1.2.250.1.71.4.2.1"),
        name_type_code="D",
        identifier_type_code="IDNPS",
    )
    assert built.format() == OFFICIAL_XCN


def test_xcn_family_subcomponents_keep_surname() -> None:
    assert XCN.parse("1^DUPONT&van^Jean").family_name == "DUPONT"


def test_xcn_needs_id_or_name() -> None:
    with pytest.raises(InvalidValue) as info:
        XCN.parse("^^Jean")
    assert_input_error(info.value, field="XCN", rule="HL7 v2 XCN", value="^^Jean")
    assert XCN.parse("^DUPONT").family_name == "DUPONT"


def test_official_xon() -> None:
    xon = XON.parse(OFFICIAL_XON)
    assert xon.organization_name == "CABINET DR LIBRE"
    assert xon.assigning_authority == HD.iso("1.2.250.1.71.4.2.2")
    assert xon.identifier_type_code == "IDNST"
    assert xon.organization_identifier == "499900063480001"
    assert xon.identifier == "499900063480001"
    assert xon.format() == OFFICIAL_XON


def test_xon_old_writers_component_3() -> None:
    assert XON.parse("HOPITAL^^10B0127189").identifier == "10B0127189"


def test_xon_needs_name() -> None:
    with pytest.raises(InvalidValue) as info:
        XON.parse("^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001")
    assert info.value.rule == "HL7 v2 XON"


@pytest.mark.parametrize("text", [OFFICIAL_CX, OFFICIAL_IPP, OFFICIAL_CX + "^^20100907"])
def test_official_cx(text: str) -> None:
    cx = CX.parse(text)
    assert cx.assigning_authority is not None
    assert cx.assigning_authority.universal_id_type == "ISO"
    assert cx.format() == text


def test_cx_suffix_form_is_the_effective_date() -> None:
    # "…&ISO^NH^^20100907": component 6 (assigning facility) empty, component 7 = effective date (CX.7).
    cx = CX.parse(OFFICIAL_CX + "^^20100907")
    assert cx.assigning_facility is None
    assert cx.effective_date == "20100907"
    assert cx.expiration_date is None
    assert CX.parse(OFFICIAL_CX).effective_date is None


def test_cx_iso_builder_and_extra_components() -> None:
    assert CX.iso("0456789999", "1.2.250.1.999.1.1.7898.2", "PI").format() == OFFICIAL_IPP
    many = "1^^^&1.2&ISO^PI^^^^x^y"
    assert CX.parse(many).extra_components == ("x", "y")
    assert CX.parse(many).format() == many


def test_cx_needs_id() -> None:
    with pytest.raises(InvalidValue) as info:
        CX.parse("^^^&1.2.3&ISO^NH")
    assert_input_error(info.value, field="CX", rule="HL7 v2 CX", value="^^^&1.2.3&ISO^NH")


# ------------------------------------------------------------------------------------------------ XTN


def test_xtn_email() -> None:
    xtn = XTN.parse("^NET^Internet^name@example.org")
    assert xtn.email_address == "name@example.org"
    assert xtn.use_code == "NET"
    assert xtn.equipment_type == "Internet"
    assert XTN.email("name@example.org") == xtn


def test_xtn_phone() -> None:
    text = "^WPN^PH^^^^^^^^^+33123456789"
    xtn = XTN.parse(text)
    assert xtn.unformatted_number == "+33123456789"
    assert XTN.phone("+33123456789").format() == text


def test_xtn_needs_address() -> None:
    with pytest.raises(InvalidValue) as info:
        XTN.parse("^NET^Internet")
    assert_input_error(info.value, field="XTN", rule="HL7 v2 XTN", value="^NET^Internet")


# ------------------------------------------------------------------------------------------------ DTM


@pytest.mark.parametrize(
    ("text", "precision"),
    [
        ("2023", Precision.YEAR),
        ("202309", Precision.MONTH),
        ("20230919", Precision.DAY),
        ("2023091908", Precision.HOUR),
        ("202309190858", Precision.MINUTE),
        ("20230919085823", Precision.SECOND),
        ("20230919085823.1", Precision.FRACTION),
        ("20230919085823.1234", Precision.FRACTION),
    ],
)
@pytest.mark.parametrize("offset", ["", "+0200", "-0330", "+0000"])
def test_dtm_precisions_with_and_without_offsets(text: str, precision: Precision, offset: str) -> None:
    dtm = DTM.parse(text + offset)
    assert dtm.precision is precision
    assert dtm.format() == text + offset
    assert dtm.has_time is (precision >= Precision.HOUR)
    if offset:
        sign = -1 if offset[0] == "-" else 1
        assert dtm.offset_minutes == sign * (int(offset[1:3]) * 60 + int(offset[3:]))
    else:
        assert dtm.offset_minutes is None


@pytest.mark.parametrize(
    ("cda", "xds"),
    [
        ("20230919085823+0200", "20230919065823"),  # xds-metadata.md §4 example
        ("20230919005823+0200", "20230918225823"),  # day roll-over backwards
        ("20231231233000-0130", "20240101010000"),  # negative offset, year roll-over
        ("20240229220000-0300", "20240301010000"),  # leap day roll-over
        ("20230919085823+0000", "20230919085823"),
        ("20230919085823.5+0100", "20230919075823"),  # fraction dropped in XDS
        ("202309190858+0200", "202309190658"),
        ("20230919", "20230919"),  # date only kept
        ("20230919+0200", "20230919"),  # date with offset: still the date
        ("202309", "202309"),
    ],
)
def test_cda_to_xds_utc(cda: str, xds: str) -> None:
    assert cda_ts_to_xds(cda) == xds
    assert DTM.parse(cda).to_xds() == xds


def test_local_time_without_offset_needs_a_zone() -> None:
    with pytest.raises(InvalidValue) as info:
        cda_ts_to_xds("20230919085823")
    assert_input_error(info.value, field="DTM", rule="CI-SIS: local time with offset")
    assert cda_ts_to_xds("20230919085823", ZoneInfo("Europe/Paris")) == "20230919065823"
    assert cda_ts_to_xds("20230119085823", ZoneInfo("Europe/Paris")) == "20230119075823"


@pytest.mark.parametrize(
    "text",
    [
        "20231301",  # month 13
        "20230230",  # 30 February
        "20230229",  # not a leap year
        "2023091924",  # hour 24
        "20230919085860",  # second 60
        "202309190858.1",  # fraction without seconds
        "20230919085823+0160",  # offset minutes
        "20230919085823+2400",  # offset out of range
        "2023-09-19",
        "20230919T0858",
        "202",
        "2023091908582",
        "20230919085823.12345",
    ],
)
def test_invalid_dtm_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as info:
        DTM.parse(text)
    assert info.value.field in ("DTM", "DTM.offset_minutes")
    assert info.value.rule == "HL7 v2 DTM"


def test_dtm_precision_must_be_contiguous() -> None:
    with pytest.raises(InvalidValue) as info:
        DTM(2023, None, 5)
    assert info.value.rule == "HL7 v2 DTM"


def test_dtm_overflow_is_a_typed_error() -> None:
    with pytest.raises(InvalidValue) as info:
        DTM.parse("99991231233000-0100").to_xds()
    assert info.value.rule == "HL7 v2 DTM"


def test_dtm_from_datetime_keeps_offset_and_precision() -> None:
    paris = timezone(timedelta(hours=2))
    value = datetime(2023, 9, 19, 8, 58, 23, 123456, tzinfo=paris)
    assert DTM.from_datetime(value).format() == "20230919085823+0200"
    assert DTM.from_datetime(value, Precision.MINUTE).format() == "202309190858+0200"
    assert DTM.from_datetime(value, Precision.FRACTION).format() == "20230919085823.1234+0200"
    assert DTM.from_datetime(value, Precision.DAY).format() == "20230919"
    assert DTM.from_datetime(date(2023, 9, 19), Precision.SECOND).format() == "20230919"
    assert DTM.from_datetime(datetime(2023, 9, 19, 8)).format() == "20230919080000"


def test_with_precision() -> None:
    dtm = DTM.parse("20230919085823+0200")
    assert dtm.with_precision(Precision.HOUR).format() == "2023091908+0200"
    assert dtm.with_precision(Precision.DAY).format() == "20230919"
    with pytest.raises(InvalidValue) as info:
        DTM.parse("20230919").with_precision(Precision.SECOND)
    assert info.value.rule == "HL7 v2 DTM"


def test_to_datetime() -> None:
    aware = DTM.parse("20230919085823-0500").to_datetime()
    assert aware.utcoffset() == timedelta(hours=-5)
    assert aware.astimezone(UTC) == datetime(2023, 9, 19, 13, 58, 23, tzinfo=UTC)


# ------------------------------------------------------------------------------------- XDS times (UTC)


def test_format_xds_time_aware() -> None:
    value = datetime(2023, 9, 19, 8, 58, 23, tzinfo=ZoneInfo("Europe/Paris"))
    assert format_xds_time(value) == "20230919065823"
    assert format_xds_time(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)) == "09990102030405"


def test_format_xds_time_refuses_naive() -> None:
    naive = datetime(2023, 9, 19, 8, 58, 23)
    with pytest.raises(InvalidValue) as info:
        format_xds_time(naive)
    assert_input_error(info.value, field="time", rule="XDS DTM UTC", value=naive)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20230919065823", datetime(2023, 9, 19, 6, 58, 23, tzinfo=UTC)),
        ("2023", datetime(2023, 1, 1, tzinfo=UTC)),
        ("20230919", datetime(2023, 9, 19, tzinfo=UTC)),
        ("20230919085823+0200", datetime(2023, 9, 19, 6, 58, 23, tzinfo=UTC)),
    ],
)
def test_parse_xds_time(text: str, expected: datetime) -> None:
    parsed = parse_xds_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_xds_time_refuses_malformed() -> None:
    # DevBox bug DMP-413 sent "0240206000000" (13 digits)
    with pytest.raises(InvalidValue):
        parse_xds_time("0240206000000")
