"""documents.analysis.ocr with the real Tesseract: degraded faxes, rotation, skew."""

from __future__ import annotations

import time
from datetime import date

import pytest
from PIL import Image

from frontdesk.documents.analysis import ocr
from frontdesk.documents.analysis.classify import classify
from frontdesk.documents.analysis.extract import PersonName, extract
from frontdesk.documents.analysis.pages import iter_pages
from frontdesk.documents.tests import analysis_samples as samples

pytestmark = pytest.mark.skipif(not ocr.ocr_available(), reason="Tesseract is not installed")

TODAY = date(2026, 1, 15)

LAB_PAGE = [
    "# Zzyzx Example Laboratory",
    "100 Example Road, Springfield    Phone (555) 010-2000    Fax (555) 010-2001",
    "",
    "Patient: TESTPATIENT, ZELDA Q",
    "DOB: 03/04/1961    MRN: M0001234",
    "Collected: 11/02/2025 08:15    Ordering Physician: Dr. Alan Sample, MD",
    "Home phone: (555) 234-5678",
    "",
    "Test                 Result    Units     Reference Range   Flag",
    "Glucose              112       mg/dL     70-99             H",
    "Sodium               139       mmol/L    135-145",
    "Potassium            4.1       mmol/L    3.5-5.1",
    "Creatinine           0.9       mg/dL     0.6-1.2",
    "",
    "Specimen: serum. Final report.",
]


@pytest.fixture(scope="module")
def fax_page() -> Image.Image:
    """The lab page sent as a standard fax: 204x98 dpi, 1 bit, specks, 2 degrees of skew."""
    faxed = samples.fax(samples.page_image(LAB_PAGE), noise=0.002, skew=2.0)
    (page,) = iter_pages(samples.tiff_bytes([faxed]), "tiff")
    return page.image


def _assert_lab_identifiers(text: str) -> None:
    found = extract(text, today=TODAY)
    assert found.names == [
        PersonName(first="Zelda", last="Testpatient", raw="TESTPATIENT, ZELDA Q")
    ]
    assert found.dobs == [date(1961, 3, 4)]
    assert found.mrns == ["M0001234"]
    assert found.service_dates == [date(2025, 11, 2)]
    assert found.phones == ["5552345678"]  # not the letterhead's phone and fax
    assert found.member_ids == []
    assert found.sender == "Zzyzx Example Laboratory"
    assert found.key() == ("testpatient", "z", date(1961, 3, 4))


def test_degraded_fax_is_read_upright_and_fast(fax_page: Image.Image) -> None:
    started = time.monotonic()
    result = ocr.ocr_image(fax_page)
    elapsed = time.monotonic() - started
    assert result.rotation == 0
    assert result.confidence >= 75
    assert result.words >= 50
    _assert_lab_identifiers(result.text)
    assert classify(result.text).doc_type == "lab_result"
    assert elapsed < 3.0  # ~0.7 s on one core of the development machine


def test_upside_down_fax_is_turned_180(fax_page: Image.Image) -> None:
    result = ocr.ocr_image(fax_page.rotate(180))
    assert result.rotation == 180
    _assert_lab_identifiers(result.text)


@pytest.mark.parametrize(("counter_clockwise", "expected"), [(90, 90), (270, 270)])
def test_sideways_fax_is_turned_upright(
    fax_page: Image.Image, counter_clockwise: int, expected: int
) -> None:
    result = ocr.ocr_image(fax_page.rotate(counter_clockwise, expand=True))
    assert result.rotation == expected
    _assert_lab_identifiers(result.text)


def test_sparse_upside_down_page_falls_back_to_comparing_confidence() -> None:
    image = samples.page_image(["", "", "Patient: DOE, JANE", "", "DOB: 01/02/1970"], size=14)
    result = ocr.ocr_image(image.rotate(180))
    assert result.rotation == 180
    found = extract(result.text, today=TODAY)
    assert [(name.first, name.last) for name in found.names] == [("Jane", "Doe")]
    assert found.dobs == [date(1970, 1, 2)]


def test_without_rotation_detection_the_page_is_read_as_is(fax_page: Image.Image) -> None:
    result = ocr.ocr_image(fax_page.rotate(180), detect_rotation=False)
    assert result.rotation == 0
    assert result.confidence < 60


def test_insurance_card_photo_stored_sideways() -> None:
    photo = samples.card_photo(
        [
            "Member Name JANE DOE",
            "Member ID XYZ123456789",
            "Group No 44556",
            "RxBIN 610014   RxPCN EXMPL",
            "Copay PCP $20   Specialist $40",
        ],
        title="Example Health Plan PPO",
    )
    # The phone stored the pixels sideways and says so in EXIF (orientation 6).
    data = samples.jpeg_bytes(photo.rotate(90, expand=True), orientation=6)
    (page,) = iter_pages(data, "jpeg")
    assert (page.image.size, page.dpi) == (photo.size, 200)
    result = ocr.ocr_image(page.image)
    assert result.rotation == 0
    assert classify(result.text).doc_type == "insurance_card"
    found = extract(result.text, today=TODAY)
    assert [(name.first, name.last) for name in found.names] == [("Jane", "Doe")]
    assert found.member_ids == ["XYZ123456789"]
    assert found.sender == "Example Health Plan PPO"


def test_blank_page_reads_as_nothing() -> None:
    result = ocr.ocr_image(Image.new("L", (850, 1100), 255))
    assert (result.text, result.words, result.confidence) == ("", 0, 0.0)


def test_skew_is_measured() -> None:
    image = samples.page_image(LAB_PAGE, dpi=100)
    skewed = image.rotate(-2.0, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    assert ocr.skew_angle(skewed) == pytest.approx(2.0, abs=0.3)
    assert ocr.skew_angle(image) == 0.0


def test_upright_turns_clockwise() -> None:
    image = Image.new("L", (30, 10), 255)
    image.putpixel((0, 0), 0)  # top left
    assert ocr.upright(image, 0) is image
    turned = ocr.upright(image, 90)
    assert turned.size == (10, 30)
    assert turned.getpixel((9, 0)) == 0  # top left goes to top right
    assert ocr.upright(image, 180).getpixel((29, 9)) == 0
    assert ocr.upright(image, 270).getpixel((0, 29)) == 0
    with pytest.raises(ValueError):
        ocr.upright(image, 45)


FAXED_DOCUMENTS = {
    "imaging_report": (
        [
            "# Lakeside Imaging Center",
            "Department of Radiology   Phone (555) 234-1000",
            "",
            "PATIENT: EXAMPLEMAN, OTTO    MRN: M0004321",
            "DOB: 7/8/1955    EXAM DATE: 10/01/2025",
            "",
            "EXAM: MRI LUMBAR SPINE WITHOUT CONTRAST",
            "TECHNIQUE: Sagittal and axial images.",
            "FINDINGS: Mild disc bulge at L4-L5.",
            "IMPRESSION: Mild degenerative change.",
        ],
        (("Otto", "Exampleman"), [date(1955, 7, 8)], ["M0004321"], [], [date(2025, 10, 1)]),
    ),
    "referral": (
        [
            "# Zzyzx Family Practice",
            "From: Dr. Alan Sample, MD",
            "To: Example Orthopedics",
            "",
            "RE: Wilma Sampleton    DOB: December 24, 1988",
            "Member ID: W987654321",
            "Reason for referral: knee pain. Please schedule.",
        ],
        (("Wilma", "Sampleton"), [date(1988, 12, 24)], [], ["W987654321"], []),
    ),
    "payer_letter": (
        [
            "# Example Health Plan",
            "EXPLANATION OF BENEFITS - THIS IS NOT A BILL",
            "",
            "Member: ZELDA TESTPATIENT    Member ID: XYZ123456789",
            "Date of birth: 03-Mar-1961",
            "Claim number: 2025-0001122    Date of service: 09/15/2025",
            "Amount billed $250.00   Allowed amount $180.00   Patient responsibility $40.00",
        ],
        (("Zelda", "Testpatient"), [date(1961, 3, 3)], [], ["XYZ123456789"], [date(2025, 9, 15)]),
    ),
    "consent_form": (
        [
            "# Zzyzx Family Practice",
            "CONSENT TO TREAT",
            "",
            "Patient Name: Otto Exampleman     Date of Birth: 07/08/1955",
            "I consent to treatment. I understand the risks and alternatives.",
            "Signature of patient: ____________   Witness: ____________",
        ],
        (("Otto", "Exampleman"), [date(1955, 7, 8)], [], [], []),
    ),
}


@pytest.mark.parametrize("doc_type", sorted(FAXED_DOCUMENTS))
def test_faxed_documents_are_classified_and_identified(doc_type: str) -> None:
    lines, expected = FAXED_DOCUMENTS[doc_type]
    seed = sorted(FAXED_DOCUMENTS).index(doc_type)
    faxed = samples.fax(
        samples.page_image(lines), seed=seed, noise=0.003, skew=1.5 if seed % 2 else -1.0
    )
    (page,) = iter_pages(samples.tiff_bytes([faxed]), "tiff")
    result = ocr.ocr_image(page.image)
    assert result.rotation == 0
    assert classify(result.text).doc_type == doc_type
    found = extract(result.text, today=TODAY)
    name = (found.names[0].first, found.names[0].last) if found.names else None
    assert (name, found.dobs, found.mrns, found.member_ids, found.service_dates) == expected


def test_a_card_photographed_twelve_degrees_askew_is_cut_out_and_read() -> None:
    photo = samples.card_photo(
        ["Member  PELL HARROWGATE", "Member ID  ZQK448812", "Group  00451"],
        title="Example Health Plan",
        angle=12,
    )

    result = ocr.ocr_image(photo)

    assert result.words >= 5
    assert "HARROWGATE" in result.text
    assert "ZQK448812" in result.text.replace(" ", "")
    assert result.rotation == 0


def test_a_blank_page_has_no_card_region() -> None:
    from PIL import Image

    assert ocr.card_region(Image.new("L", (1700, 2200), 255)) is None
    assert ocr.card_region(Image.new("L", (1700, 2200), 40)) is None


@pytest.mark.parametrize("angle", [-20, -7, 0, 9, 22])
def test_a_photographed_card_is_levelled_by_its_own_edges(angle: float) -> None:
    photo = samples.card_photo(
        ["Member  PELL HARROWGATE"], title="Example Health Plan", angle=angle
    )

    card = ocr.card_region(photo)

    assert card is not None
    assert abs(ocr.card_angle(card) + angle) <= 0.5


def test_an_id_photographed_upside_down_and_askew_is_read_turned_180() -> None:
    photo = samples.card_photo(
        ["DL  S20447781", "DOB  05/23/1942", "NOTREALWELL", "EMILY E"],
        title="EXAMPLE STATE DRIVER LICENSE",
        angle=-11,
    ).rotate(180)

    result = ocr.ocr_image(photo)

    assert result.rotation == 180
    assert "NOTREALWELL" in result.text
    assert "05/23/1942" in result.text


def test_a_card_on_a_light_grey_table_is_still_cut_out_and_read() -> None:
    photo = samples.card_photo(
        ["Member  CAMILA ZZDRAFTSTEIN", "Member ID  4DY0CC5NP15"],
        title="Medicare Part B",
        angle=-9,
        table=185,
    )

    card = ocr.card_region(photo)
    result = ocr.ocr_image(photo)

    assert card is not None and card.width < photo.width - 300
    assert "ZZDRAFTSTEIN" in result.text
