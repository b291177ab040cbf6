"""ITI-18 parameter value encoding: quoting, lists, codes, times, statuses (transactions.md §5)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmpclient.errors import InputError
from dmpclient.terminology import Code
from dmpclient.xds.queries import (
    MissingQueryParameter,
    QueryParameterError,
    decode_code,
    decode_list,
    decode_string,
    decode_time,
    encode_code,
    encode_list,
    encode_string,
    encode_time,
)
from dmpclient.xds.queries._params import (
    check_patient_id,
    check_unique_id,
    check_uuid,
    normalize_association_type,
    normalize_status,
)

PARIS_SUMMER = timezone(timedelta(hours=2))


def test_string_is_single_quoted_with_quotes_doubled() -> None:
    assert encode_string("O'Brien") == "'O''Brien'"
    assert decode_string("'O''Brien'") == "O'Brien"


@pytest.mark.parametrize("bad", ["", "a\nb", "a\rb"])
def test_string_refuses_empty_and_line_breaks(bad: str) -> None:
    with pytest.raises(QueryParameterError) as err:
        encode_string(bad, param="$XDSDocumentEntryPatientId")
    assert err.value.field == "$XDSDocumentEntryPatientId"


def test_list_is_parenthesised_and_comma_separated() -> None:
    assert encode_list(["a", "b'c"]) == "('a','b''c')"
    assert decode_list("('a','b''c')") == ["a", "b'c"]
    assert decode_list("( 'a' , 'b' )") == ["a", "b"]


def test_list_decoding_is_tolerant_of_bare_values() -> None:
    assert decode_list("'only'") == ["only"]
    assert decode_list("(1,2)") == ["1", "2"]


def test_empty_list_is_a_missing_parameter() -> None:
    with pytest.raises(MissingQueryParameter) as err:
        encode_list([], param="$uuid")
    assert err.value.field == "$uuid"


@pytest.mark.parametrize("bad", ["a", "('a'", "('a' 'b')", "()", "('a',,'b')", "('unterminated)"])
def test_malformed_lists_are_refused(bad: str) -> None:
    with pytest.raises(QueryParameterError):
        decode_list(bad, param="$p")


def test_code_is_code_hat_hat_scheme() -> None:
    loinc = Code("11488-4", "2.16.840.1.113883.6.1", "CR de consultation")
    assert encode_code(loinc) == "11488-4^^2.16.840.1.113883.6.1"
    assert encode_code(("10", "1.2.250.1.213.1.1.4.1")) == "10^^1.2.250.1.213.1.1.4.1"
    assert decode_code("N^^2.16.840.1.113883.5.25").key == ("2.16.840.1.113883.5.25", "N")


@pytest.mark.parametrize("bad", ["10", "10^1.2.3", "^^1.2.3", "10^^", "10^^a^b"])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(QueryParameterError):
        decode_code(bad, param="$XDSDocumentEntryClassCode")


def test_time_from_aware_datetime_is_utc_unquoted() -> None:
    local = datetime(2023, 9, 19, 8, 58, 23, tzinfo=PARIS_SUMMER)
    assert encode_time(local) == "20230919065823"


def test_time_refuses_naive_datetime() -> None:
    with pytest.raises(QueryParameterError) as err:
        encode_time(datetime(2024, 1, 1), param="$XDSDocumentEntryCreationTimeFrom")
    assert err.value.field == "$XDSDocumentEntryCreationTimeFrom"
    assert err.value.rule == "XDS DTM UTC"


@pytest.mark.parametrize("text", ["2024", "202401", "20240101", "2024010112", "20240101123045"])
def test_time_strings_of_any_prefix_precision_are_kept(text: str) -> None:
    assert encode_time(text) == text


@pytest.mark.parametrize("bad", ["0240206000000", "20241301", "20240101+0200", "2024-01-01", "'20240101'x", "2024013"])
def test_malformed_time_strings_are_refused_with_the_dmp_message(bad: str) -> None:
    # DevBox DMP-413 sent "0240206000000" and got « Le format du paramètre est incorrect ».
    with pytest.raises(QueryParameterError) as err:
        encode_time(bad, param="$XDSDocumentEntryCreationTimeFrom")
    assert "Le format du paramètre est incorrect" in str(err.value)


def test_decode_time_tolerates_quotes() -> None:
    assert decode_time("'20240101'") == "20240101"
    assert decode_time("20240101") == "20240101"


@pytest.mark.parametrize(
    ("given_value", "urn"),
    [
        ("approved", "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"),
        ("Deprecated", "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"),
        ("ARCHIVED", "urn:asip:ci-sis:2010:StatusType:Archived"),
        ("deleted", "urn:asip:ci-sis:2010:StatusType:Deleted"),
        ("urn:asip:ci-sis:2010:StatusType:Archived", "urn:asip:ci-sis:2010:StatusType:Archived"),
    ],
)
def test_statuses_include_the_dmp_archived_and_deleted(given_value: str, urn: str) -> None:
    assert normalize_status(given_value) == urn


@pytest.mark.parametrize("bad", ["urn:asip:ci-sis:2010:StatusType:Hidden", "visible", ""])
def test_unknown_statuses_are_refused(bad: str) -> None:
    with pytest.raises(QueryParameterError):
        normalize_status(bad, param="$XDSDocumentEntryStatus")


def test_association_types_by_short_name() -> None:
    assert normalize_association_type("RPLC") == "urn:ihe:iti:2007:AssociationType:RPLC"
    assert normalize_association_type("hasMember") == "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
    with pytest.raises(QueryParameterError):
        normalize_association_type("urn:x:Unknown")


def test_uuid_check_points_at_the_other_parameter() -> None:
    assert check_uuid("urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e", param="$uuid")
    with pytest.raises(QueryParameterError) as err:
        check_uuid("1.2.250.1.999.1.1.7898.3.1", param="$XDSDocumentEntryEntryUUID")
    assert err.value.field == "$XDSDocumentEntryEntryUUID"
    assert "uniqueId" in (err.value.hint or "")


def test_unique_id_check_refuses_an_entry_uuid() -> None:
    assert check_unique_id("1.2.3.4", param="$XDSDocumentEntryUniqueId") == "1.2.3.4"
    with pytest.raises(QueryParameterError):
        check_unique_id("urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e", param="$XDSDocumentEntryUniqueId")


def test_patient_id_refuses_a_nia_and_a_bare_matricule() -> None:
    ok = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert check_patient_id(ok, param="$XDSDocumentEntryPatientId") == ok
    with pytest.raises(InputError) as nia:
        check_patient_id("207058575627097^^^&1.2.250.1.213.1.4.9&ISO^NH", param="$XDSDocumentEntryPatientId")
    assert nia.value.rule == "CNDA 0.2-080"
    with pytest.raises(QueryParameterError):
        check_patient_id("207058575627097", param="$XDSDocumentEntryPatientId")


@given(st.lists(st.text(min_size=1).filter(lambda s: "\n" not in s and "\r" not in s), min_size=1, max_size=6))
def test_list_round_trip(values: list[str]) -> None:
    assert decode_list(encode_list(values)) == values
