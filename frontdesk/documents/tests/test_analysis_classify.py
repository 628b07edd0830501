"""documents.analysis.classify: one sample per document type, ambiguity and OCR noise."""

from __future__ import annotations

import pytest

from frontdesk.documents.analysis.classify import TYPES, Classification, classify
from frontdesk.documents.choices import DocType

SAMPLES: dict[str, str] = {
    "lab_result": """Zzyzx Example Laboratory
Patient: TESTPATIENT, ZELDA   DOB: 03/04/1961
Collected: 11/02/2025   Accession: A12345
Test            Result   Units    Reference Range
Glucose         112      mg/dL    70-99
Sodium          139      mmol/L   135-145
Potassium       4.1      mmol/L   3.5-5.1
Specimen: serum""",
    "imaging_report": """Lakeside Imaging Center - Department of Radiology
Patient: DOE, JANE   Exam date: 10/01/2025
EXAM: MRI lumbar spine without contrast
CLINICAL HISTORY: low back pain.
TECHNIQUE: Sagittal and axial images were obtained.
COMPARISON: None.
FINDINGS: Mild disc bulge at L4-L5.
IMPRESSION: Mild degenerative change.
Electronically signed by the radiologist.""",
    "consult_note": """Example Cardiology Associates
Dear Dr. Sample,
Thank you for referring Jane Doe for consultation regarding palpitations.
History of present illness: intermittent palpitations for two months.
Review of systems: otherwise negative. Physical exam: regular rhythm.
Assessment and plan: ambulatory monitor, follow up in 4 weeks.
Sincerely,""",
    "referral": """REFERRAL FORM
Referring provider: Dr. Alan Sample   Referred to: Example Orthopedics
Patient: DOE, JANE   DOB: 01/02/1970
Reason for referral: persistent knee pain, please evaluate.
Urgency: routine. Please schedule at your earliest convenience.""",
    "records_request": """REQUEST FOR MEDICAL RECORDS
To: FrontDesk Clinic   From: Example Law Office
Re: Jane Doe   DOB 01/02/1970
Please send copies of all medical records, including office notes and lab results,
for dates of treatment 01/01/2024 through present. A signed authorization to release
information (HIPAA compliant) is enclosed.""",
    "prior_auth": """Example Health Plan - Utilization Management
PRIOR AUTHORIZATION DETERMINATION
Member: Jane Doe   Member ID: XYZ123456789
Service: MRI lumbar spine. Determination: APPROVED.
Authorization number: PA-778899. Units approved: 1.
Effective dates: 11/01/2025 - 01/31/2026.""",
    "insurance_card": """Example Health Plan PPO
Member Name JANE DOE
Member ID XYZ123456789
Group No 44556
RxBIN 610014  RxPCN EXMPL  RxGRP EX1
Copay PCP $20 Specialist $40
Member Services 1-800-555-0100""",
    "photo_id": """STATE OF EXAMPLE
DRIVER LICENSE
DL D1234567   CLASS C
DOE, JANE
DOB 01/02/1970   EXP 01/02/2030
SEX F  HGT 5-06  WGT 140  EYES BRN  HAIR BRN
ISS 01/02/2022   ORGAN DONOR""",
    "payer_letter": """Example Health Plan
EXPLANATION OF BENEFITS - THIS IS NOT A BILL
Member: Jane Doe   Claim number: 2025-0001122
Date of service  Amount billed  Allowed amount  Plan paid  Patient responsibility
10/01/2025       $250.00        $180.00         $140.00    $40.00
Deductible and coinsurance applied. Remark code N130.
You may appeal this decision within 180 days.""",
    "intake_form": """NEW PATIENT REGISTRATION
Patient information: please print clearly.
Name: ____________   Date of birth: ________   Marital status: S M D W
Emergency contact: ____________   Employer: ____________
Preferred pharmacy: ____________
Current medications: ____________   Allergies: ____________
Medical history: ____________   How did you hear about us?""",
    "encounter_form": """ENCOUNTER FORM / SUPERBILL
Patient: DOE, JANE   Date of service: 10/01/2025   Rendering provider: Dr. Sample
CPT  Established patient: 99212, 99213, 99214, 99215   New patient: 99203, 99204
ICD-10 diagnosis codes: ______
Return visit: 4 weeks   Total charges: ______""",
    "consent_form": """INFORMED CONSENT FOR TREATMENT
I, the undersigned, consent to treatment by the providers of FrontDesk Clinic.
I understand the risks, benefits and alternatives have been explained to me.
I acknowledge receipt of the Notice of Privacy Practices.
I may revoke this consent in writing at any time.
Signature of patient or legal guardian: ________   Witness: ________""",
}


def test_types_match_the_model_choices() -> None:
    assert TYPES == (
        "lab_result",
        "imaging_report",
        "consult_note",
        "referral",
        "records_request",
        "prior_auth",
        "insurance_card",
        "photo_id",
        "payer_letter",
        "intake_form",
        "encounter_form",
        "consent_form",
        "other",
    )
    assert tuple(DocType.values) == TYPES
    assert set(SAMPLES) == set(TYPES) - {"other"}


@pytest.mark.parametrize("doc_type", sorted(SAMPLES))
def test_each_type_is_recognised_with_confidence(doc_type: str) -> None:
    result = classify(SAMPLES[doc_type])
    assert result.doc_type == doc_type
    assert result.confidence >= 0.6, result
    assert result.reasons[0].startswith("mentions ")


def test_reasons_name_the_phrases_and_the_layout() -> None:
    result = classify(SAMPLES["lab_result"])
    assert result.reasons == [
        'mentions "reference range", "accession", "specimen" and "laboratory"',
        "has 3 lines of values with units or ranges",
    ]


def test_ocr_noise_still_counts() -> None:
    noisy = (
        "Examp1e Hea1th Plan\nEXPIANATION OF BENEFlTS\nThis is not a bil1\n"
        "Amount bi1led $250.00  A1lowed amount $180.00  Patient responsibi1ity $40.00"
    )
    result = classify(noisy)
    assert result.doc_type == "payer_letter"
    assert result.confidence >= 0.6


def test_ambiguous_text_has_low_confidence() -> None:
    text = "Findings and impression are below. Specimen collected at the bedside."
    result = classify(text)
    assert result.doc_type in {"lab_result", "imaging_report"}
    assert result.confidence < 0.5
    assert result.reasons[-1].startswith("also looks like ")


def test_nothing_recognisable_is_other() -> None:
    assert classify("") == Classification("other", 0.0, ["no text"])
    assert classify("   \n  ") == Classification("other", 0.0, ["no text"])
    letter = (
        "Hello, we are writing to let you know that our office will move next month "
        "to a new building on the other side of town, with more parking for everyone."
    )
    result = classify(letter)
    assert result.doc_type == "other"
    assert result.reasons == ["no document type's key phrases found"]


def test_a_specialists_letter_back_is_a_consult_note_even_when_it_mentions_lab_results() -> None:
    text = (
        "EXAMPLE HEART ASSOCIATES\nDr. Zed Sample, MD\n\nDear Dr. Alpha Example,\n"
        "Re: Zora Fakename (DOB 10/05/1977)\n"
        "On examination the patient was in no acute distress and vital signs were within normal "
        "limits. We reviewed the recent laboratory results together. I have recommended a trial "
        "of diet. A copy of this letter has been sent to the patient.\n"
    )
    assert classify(text).doc_type == "consult_note"


def test_a_referral_form_asking_for_a_consultation_is_a_referral() -> None:
    text = (
        "EXAMPLE ORTHOPEDICS\nREFERRAL / CONSULTATION REQUEST\n"
        "Patient name (last, first)   Date of birth\nFakename, Zora   10/05/1977\n"
        "[ ] Urgent [X] Routine   [ ] Consult only [X] Consult and treat\n"
    )
    assert classify(text).doc_type == "referral"
