"""A pytest file a vendor would copy: test your DMP integration against the embedded sandbox.

The fixtures come from dmpclient's pytest plugin (loaded automatically once dmpclient is installed; from a
source tree: ``-p dmpclient.testing.plugin``). Each test gets a fresh sandbox DMP with the CNDA test
patients, and a ``DMPClient`` signed with a local test PKI — no network, no card, no certificate to buy::

    python -m pytest examples/test_with_plugin.py -p dmpclient.testing.plugin
    python -m pytest examples/test_with_plugin.py -p dmpclient.testing.plugin --dmp-mode mtls   # real mTLS

Replace the calls to ``dmp_client`` by calls to your own code (which takes a ``DMPClient``) and keep the
assertions: they are what the DMP and the CNDA expect.
"""

from __future__ import annotations

import pytest

from dmpclient.errors import AmbiguousSubmission, DMPError, NIARefused


@pytest.fixture
def anyio_backend() -> str:
    """Run the async test on asyncio only (anyio's default is every installed backend)."""
    return "asyncio"


def test_feed_a_document_and_read_it_back(dmp_client, make_patient, make_document):
    patient = make_patient()
    document = make_document(patient, text="Tension artérielle 12/8. Examen clinique normal.")
    result = dmp_client.submit(patient, document)
    retrieved = dmp_client.retrieve(patient, result.document_unique_ids[0])
    assert retrieved.read_bytes() == document.content


def test_a_patient_without_dmp_is_not_an_error(dmp_client, dmp):
    status = dmp_client.test_existence(dmp.patients.no_dmp)
    assert not status.exists  # TD0.2 answered "NF": offer to create the DMP, do not show an error


def test_a_closed_dmp_refuses_new_documents(dmp_client, dmp, make_document):
    patient = dmp.patients.closed
    assert dmp_client.test_existence(patient).closed
    with pytest.raises(DMPError) as refused:
        dmp_client.submit(patient, make_document(patient))
    assert refused.value.code == "DMPClosed"
    assert refused.value.message_fr == "Le DMP du patient est fermé"  # show it to the user verbatim


def test_a_nia_is_refused_before_anything_is_sent(dmp_client, dmp):
    with pytest.raises(NIARefused):  # CNDA 0.2-080
        dmp_client.test_existence(dmp.patients.nia)
    assert dmp.admin.list_logs(kind="access") == []


def test_a_replacement_deprecates_the_previous_version(dmp_client, dmp, make_patient, make_document):
    patient = make_patient()
    first = make_document(patient, text="Version 1")
    dmp_client.submit(patient, first)
    second = make_document(patient, text="Version 2", replaces=first)
    dmp_client.replace(patient, first.source.unique_id, second)
    statuses = {d["unique_id"]: d["status"].rsplit(":", 1)[-1] for d in dmp.admin.list_documents(str(patient))}
    assert statuses[first.source.unique_id] == "Deprecated"
    assert statuses[second.source.unique_id] == "Approved"


def test_hiding_from_professionals(dmp_client, make_patient, make_document):
    patient = make_patient()
    document = make_document(patient)
    dmp_client.submit(patient, document)
    dmp_client.hide_from_professionals(patient, document.source.unique_id)
    entry = dmp_client.get_document_entry(patient, document.source.unique_id, user_initiated=True)
    assert "MASQUE_PS" in [code.code for code in entry.confidentiality_codes]


@pytest.mark.dmp_context("INDIRECTE")
def test_a_hospital_feeds_for_one_of_its_professionals(
    dmp, make_context, make_professional, make_patient, make_document
):
    nurse = make_professional(family="SOIGNANTE", profession="60", profession_display="Infirmier", specialty=None)
    client = dmp.new_client(context=make_context("INDIRECTE", professional=nurse))
    patient = make_patient()
    document = make_document(patient, context=client.context)
    client.submit(patient, document)
    (stored,) = [d for d in dmp.admin.list_documents(str(patient)) if d["unique_id"] == document.source.unique_id]
    assert stored["authors"] == [str(nurse.id)]  # the author is the nurse, the hospital vouches for her
    assert stored["institutions"] == [dmp.pki.identities.eg_id]


def test_an_outage_during_a_submission_is_reported_not_resent(dmp, dmp_client, make_patient, make_document):
    patient = make_patient()
    dmp.sandbox.faults.add_drop(transaction="TD2.1", count=1)  # the connection drops after sending
    with pytest.raises(AmbiguousSubmission) as ambiguous:
        dmp_client.submit(patient, make_document(patient))
    assert ambiguous.value.found is False  # checked by TD3.1b: not stored, safe to queue and retry


@pytest.mark.anyio
async def test_the_async_client(async_dmp_client, dmp):
    status = await async_dmp_client.test_existence(dmp.patients.with_documents)
    assert status.treating_physician  # the test professional is her médecin traitant DMP


def test_signing_with_a_card(softhsm_token, dmp, make_patient, make_document):
    with softhsm_token.open_signer() as card:  # a SoftHSM2 token standing in for a CPS card
        client = dmp.new_client(signer=card)
        patient = make_patient()
        assert client.submit(patient, make_document(patient)).document_unique_ids
