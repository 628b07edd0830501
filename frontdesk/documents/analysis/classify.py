"""Guess what a document is from its text: weighted phrases per type plus a few layout cues.

Each type has phrases with weights (a phrase counts once per page). A phrase is found as a whole
word sequence in the lower-cased text with collapsed spaces, or, for phrases of 10 characters or
more, approximately (rapidfuzz ``partial_ratio`` >= 90, at 80 % of the weight), so OCR slips such as
"ref erence range" or "expianation of benefits" still count. A phrase inside (or nearly equal to) one
already found for the type is not counted again ("prior auth" after "prior authorization"). Layout cues: lines that hold a value
with a unit or a reference range ("Glucose 112 mg/dL 70-99") count toward a lab result, office
visit CPT codes (99202-99215) and FrontDesk's FDAPPT code toward an encounter form, and a very
short text (a card) toward insurance card and photo ID when those already score.

The highest score wins when it reaches ``MIN_SCORE``; otherwise the answer is "other". The
confidence grows with the winning score and with its lead over the runner-up: a clear winner reads
0.8-0.95, two types neck and neck about 0.3-0.4.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

LAB_RESULT = "lab_result"
IMAGING_REPORT = "imaging_report"
CONSULT_NOTE = "consult_note"
REFERRAL = "referral"
RECORDS_REQUEST = "records_request"
PRIOR_AUTH = "prior_auth"
INSURANCE_CARD = "insurance_card"
PHOTO_ID = "photo_id"
PAYER_LETTER = "payer_letter"
INTAKE_FORM = "intake_form"
ENCOUNTER_FORM = "encounter_form"
CONSENT_FORM = "consent_form"
OTHER = "other"

# The same values as documents.choices.DocType (that module imports Django; this one may not).
TYPES: tuple[str, ...] = (
    LAB_RESULT,
    IMAGING_REPORT,
    CONSULT_NOTE,
    REFERRAL,
    RECORDS_REQUEST,
    PRIOR_AUTH,
    INSURANCE_CARD,
    PHOTO_ID,
    PAYER_LETTER,
    INTAKE_FORM,
    ENCOUNTER_FORM,
    CONSENT_FORM,
    OTHER,
)

MIN_SCORE = 3.0
_FUZZY_MIN_LENGTH = 10
_FUZZY_CUTOFF = 90
_FUZZY_WEIGHT = 0.8

_PHRASES: dict[str, dict[str, float]] = {
    LAB_RESULT: {
        "reference range": 3,
        "ref range": 2.5,
        "reference interval": 3,
        "specimen": 2,
        "collected": 1.5,
        "accession": 2,
        "laboratory": 1.5,
        "lab report": 2.5,
        "lab results": 2.5,
        "test result": 1,
        "result": 0.5,
        "units": 1,
        "flag": 0.5,
        "abnormal": 0.5,
        "mg/dl": 1.5,
        "mmol/l": 1.5,
        "hemoglobin": 1,
        "glucose": 1,
        "creatinine": 1,
        "cbc": 1,
        "lipid panel": 1.5,
        "metabolic panel": 1.5,
        "urinalysis": 1.5,
        "pathology": 1.5,
    },
    IMAGING_REPORT: {
        "radiology": 2.5,
        "radiologist": 2.5,
        "imaging": 2,
        "impression": 1.5,
        "findings": 1.5,
        "technique": 2,
        "comparison": 1.5,
        "contrast": 1.5,
        "mri": 2,
        "ct": 1.5,
        "x-ray": 2,
        "xray": 2,
        "ultrasound": 2,
        "mammogram": 2.5,
        "mammography": 2.5,
        "views": 1,
        "dexa": 2,
        "echocardiogram": 2,
        "exam date": 0.5,
    },
    CONSULT_NOTE: {
        "consultation": 2.5,
        "consult note": 3,
        "thank you for referring": 3,
        "thank you for the referral": 3,
        "thank you for allowing me": 2.5,
        "history of present illness": 2,
        "hpi": 1,
        "assessment and plan": 2,
        "assessment": 1,
        "impression and plan": 2,
        "physical exam": 1.5,
        "physical examination": 1.5,
        "review of systems": 1.5,
        "chief complaint": 1,
        "progress note": 2,
        "office visit": 1,
        "dear dr": 1,
        "sincerely": 0.5,
        "follow up": 0.5,
        "recommendations": 1,
        # a specialist's letter back to the referring doctor
        "on examination": 1.5,
        "no acute distress": 1.5,
        "vital signs": 1,
        "copy of this letter": 1.5,
        "regarding this patient": 1,
        "this patient's care": 1,
        "we discussed": 1,
        "i have recommended": 1,
        "seen in consultation": 2.5,
        "seen in our office": 1.5,
        "follow-up": 0.5,
    },
    REFERRAL: {
        "referral": 2,
        "reason for referral": 3,
        "referral request": 3,
        "referral form": 3,
        "consultation request": 3,
        "request for consultation": 3,
        "consult and treat": 2,  # a referral form's check boxes
        "consult only": 1.5,
        "attached to referral": 2,
        "referring provider": 2.5,
        "referring physician": 2.5,
        "referred to": 2,
        "refer to": 1,
        "specialist": 1,
        "please schedule": 1.5,
        "please see": 1,
        "urgency": 1,
        "routine": 0.5,
        "urgent": 0.5,
    },
    RECORDS_REQUEST: {
        "request for medical records": 3.5,
        "request for records": 3.5,
        "records request": 3,
        "medical records": 1.5,
        "release of information": 2.5,
        "authorization to release": 2,
        "copies of": 1.5,
        "please send": 1,
        "please forward": 1,
        "subpoena": 2.5,
        "dates of treatment": 2,
        "dates of service requested": 2.5,
        "hipaa": 1,
        "45 cfr": 1.5,
    },
    PRIOR_AUTH: {
        "prior authorization": 3.5,
        "prior auth": 3,
        "pre-authorization": 3,
        "preauthorization": 3,
        "precertification": 3,
        "pre-certification": 3,
        "authorization number": 2,
        "auth number": 2,
        "auth #": 1.5,
        "medical necessity": 2,
        "determination": 1.5,
        "approved": 1,
        "denied": 1,
        "units approved": 2,
        "approved units": 2,
        "utilization review": 2.5,
        "utilization management": 2.5,
        "effective dates": 1,
        "valid from": 1,
    },
    INSURANCE_CARD: {
        "member id": 1.5,  # also on payer letters, prior authorizations and referrals
        "member services": 1.5,
        "group number": 1.5,
        "group no": 1.5,
        "group": 0.5,
        "rx bin": 3,
        "rxbin": 3,
        "rx pcn": 3,
        "rxpcn": 3,
        "rx grp": 2.5,
        "rxgrp": 2.5,
        "pcn": 1.5,
        "copay": 1.5,
        "co-pay": 1.5,
        "payer id": 1.5,
        "customer service": 1,
        "subscriber": 1,
        "dependents": 1,
        "pcp": 1,
        "insurance card": 3,
        "health plan": 1,
        "ppo": 1,
        "hmo": 1,
    },
    PHOTO_ID: {
        "driver license": 3,
        "driver's license": 3,
        "drivers license": 3,
        "identification card": 2.5,
        "state id": 2,
        "motor vehicles": 3,
        "dmv": 2,
        "passport": 3,
        "organ donor": 2,
        "hgt": 2,
        "wgt": 1.5,
        "eyes": 2,
        "hair": 1,
        "height": 1,
        "sex": 0.5,
        "iss": 1,
        "exp": 0.5,
        "class": 0.5,
        "restrictions": 1,
        "endorsements": 1.5,
        "real id": 1.5,
    },
    PAYER_LETTER: {
        "explanation of benefits": 4,
        "eob": 2,
        "this is not a bill": 3.5,
        "claim number": 2,
        "claim #": 1.5,
        "claim": 1,
        "amount billed": 2,
        "billed amount": 2,
        "allowed amount": 2.5,
        "amount allowed": 2.5,
        "patient responsibility": 2.5,
        "you may owe": 2,
        "paid to provider": 2,
        "plan paid": 2,
        "deductible": 1.5,
        "coinsurance": 1.5,
        "remark code": 2.5,
        "remittance": 2,
        "appeal": 1.5,
        "adjustment": 1,
        "check number": 1.5,
    },
    INTAKE_FORM: {
        "patient information": 2,
        "new patient": 1.5,
        "registration": 2,
        "intake": 2.5,
        "emergency contact": 2.5,
        "marital status": 2,
        "employer": 1,
        "preferred pharmacy": 2,
        "medical history": 1.5,
        "family history": 1,
        "current medications": 1.5,
        "allergies": 1,
        "how did you hear": 2,
        "responsible party": 1.5,
        "guarantor": 1.5,
        "questionnaire": 1.5,
        "please complete": 1.5,
        "please print": 1,
        "primary insurance": 1,
        "social security": 1,
    },
    ENCOUNTER_FORM: {
        "superbill": 4,
        "encounter form": 4,
        "charge ticket": 3,
        "cpt": 2,
        "icd-10": 1.5,
        "icd": 1,
        "diagnosis codes": 2,
        "procedure codes": 2,
        "established patient": 2,
        "office visit": 1,
        "total charges": 2,
        "charges": 1,
        "fee": 1,
        "return visit": 1.5,
        "return in": 1,
        "rendering provider": 1.5,
        "modifier": 1,
    },
    CONSENT_FORM: {
        "consent": 2.5,
        "i consent": 3,
        "informed consent": 3.5,
        "consent to treat": 3,
        "i authorize": 2,
        "i understand": 2,
        "i acknowledge": 2,
        "acknowledgment of receipt": 2.5,
        "acknowledgement of receipt": 2.5,
        "notice of privacy practices": 2.5,
        "financial policy": 2,
        "signature of patient": 2,
        "patient signature": 1.5,
        "witness": 1.5,
        "risks": 1.5,
        "alternatives": 1,
        "voluntarily": 1.5,
        "revoke": 1.5,
        "legal guardian": 1.5,
    },
}

_SPACES = re.compile(r"[ \t\u00a0]+")
_VALUE_LINE = re.compile(
    r"\d(?:[.,]\d+)?\s*(?:mg/dl|mmol/l|g/dl|meq/l|u/l|iu/l|ng/ml|pg/ml|mcg/dl|ug/dl|x10|k/ul|"
    r"m/ul|fl|pg|%)(?![a-z])"
    r"|\b\d+(?:\.\d+)?\s*-\s*\d+(?:\.\d+)?\b"
)
_CPT_VISIT = re.compile(r"\b992(?:0[2-5]|1[1-5])\b")
_FDAPPT = re.compile(r"\bfdappt:")


def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


# Longest phrases first, so that a phrase inside a longer one that matched is not counted again.
_COMPILED: dict[str, list[tuple[str, float, re.Pattern[str]]]] = {
    doc_type: [
        (phrase, weight, _pattern(phrase))
        for phrase, weight in sorted(phrases.items(), key=lambda item: -len(item[0]))
    ]
    for doc_type, phrases in _PHRASES.items()
}


def _overlap(phrase: str, seen: str) -> bool:
    return phrase in seen or seen in phrase or fuzz.ratio(phrase, seen) >= 85


@dataclass
class Classification:
    doc_type: str
    confidence: float  # 0..1
    reasons: list[str] = field(default_factory=list)


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())


@dataclass
class _Score:
    total: float = 0.0
    matched: list[tuple[float, str]] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)


def _quote_list(phrases: list[str]) -> str:
    quoted = [f'"{phrase}"' for phrase in phrases]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _scores(text: str) -> dict[str, _Score]:
    flat = text.replace("\n", " ")
    scores = {doc_type: _Score() for doc_type in _COMPILED}
    for doc_type, features in _COMPILED.items():
        score = scores[doc_type]
        for fuzzy in (False, True):  # exact matches first, then OCR-damaged ones
            for phrase, weight, pattern in features:
                if any(_overlap(phrase, seen) for _, seen in score.matched):
                    continue  # "prior auth" after "prior authorization" is the same evidence
                if not fuzzy:
                    if pattern.search(flat):
                        score.total += weight
                        score.matched.append((weight, phrase))
                elif (
                    len(phrase) >= _FUZZY_MIN_LENGTH
                    and fuzz.partial_ratio(phrase, flat, score_cutoff=_FUZZY_CUTOFF) > 0
                ):
                    score.total += weight * _FUZZY_WEIGHT
                    score.matched.append((weight * _FUZZY_WEIGHT, phrase))
    value_lines = sum(1 for line in text.splitlines() if _VALUE_LINE.search(line))
    if value_lines >= 3:
        bonus = min(4.0, 0.75 * value_lines)
        scores[LAB_RESULT].total += bonus
        scores[LAB_RESULT].cues.append(f"has {value_lines} lines of values with units or ranges")
    visits = set(_CPT_VISIT.findall(flat))
    if len(visits) >= 2:
        scores[ENCOUNTER_FORM].total += min(4.0, 1.0 * len(visits))
        scores[ENCOUNTER_FORM].cues.append(f"lists {len(visits)} office-visit CPT codes")
    if _FDAPPT.search(flat):
        scores[ENCOUNTER_FORM].total += 4.0
        scores[ENCOUNTER_FORM].cues.append("carries a FrontDesk appointment code")
    words = len(flat.split())
    if 0 < words <= 80:
        for doc_type in (INSURANCE_CARD, PHOTO_ID):
            if scores[doc_type].total >= 3.0:
                scores[doc_type].total += 1.5
                scores[doc_type].cues.append(f"is short ({words} words), like a card")
    return scores


def classify(text: str) -> Classification:
    """The most likely document type of ``text`` (one page or a whole document)."""
    normalised = _normalise(text)
    if not normalised.strip():
        return Classification(OTHER, 0.0, ["no text"])
    scores = _scores(normalised)
    ranked = sorted(scores.items(), key=lambda item: item[1].total, reverse=True)
    (best_type, best), (second_type, second) = ranked[0], ranked[1]
    if best.total < MIN_SCORE:
        words = len(normalised.split())
        confidence = 0.6 - 0.1 * best.total if words >= 20 else 0.3
        reason = "no document type's key phrases found"
        if best.total > 0:
            reason = f"only weak hints (best: {best_type.replace('_', ' ')})"
        return Classification(OTHER, round(max(0.2, confidence), 2), [reason])
    strength = 1.0 - math.exp(-best.total / 5.0)
    separation = (best.total - second.total) / best.total
    confidence = strength * (0.35 + 0.65 * separation)
    top = [phrase for _, phrase in sorted(best.matched, key=lambda item: -item[0])[:4]]
    reasons: list[str] = []
    if top:
        reasons.append(f"mentions {_quote_list(top)}")
    reasons.extend(best.cues)
    if second.total >= 0.6 * best.total and second.total >= MIN_SCORE:
        reasons.append(f"also looks like {second_type.replace('_', ' ')}")
    return Classification(best_type, round(min(0.99, confidence), 2), reasons)
