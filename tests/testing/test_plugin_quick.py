"""What a vendor writes: submit a document and read it back, using only the plugin's fixtures.

No import, no setup: ``make_patient`` creates a patient with an active DMP in a fresh sandbox, authorised for
the client's professional; ``make_document`` builds an N1 CDA written by the client's acting context;
``dmp_client`` signs the VIHF and the submission set with the test PKI. ``test_quick_is_short.py`` checks
that the test below stays short and uses nothing else.
"""


def test_submit_and_retrieve_a_document(dmp_client, make_patient, make_document):
    patient = make_patient()
    document = make_document(patient, text="Tension artérielle 12/8. Examen clinique normal.")
    result = dmp_client.submit(patient, document)
    retrieved = dmp_client.retrieve(patient, result.document_unique_ids[0])
    assert retrieved.read_bytes() == document.content
