"""Code tables of the acknowledgments, with plain meanings a billing person can act on.

- 277CA (005010X214): claim status category codes (STC01-1), claim status codes (STC01-2, the common
  ones), entity identifier codes (STC01-3); ``status_message(category, code, entity)``.
- 999 (005010X231A1): segment errors (IK304), element errors (IK403), transaction set status (IK501)
  and its syntax errors (IK502-IK506), functional group status (AK901) and its errors (AK905-AK909).
"""

from __future__ import annotations

# Health care claim status category codes (code list 507).
CATEGORIES: dict[str, str] = {
    "A0": "Acknowledged: forwarded to another entity",
    "A1": "Acknowledged: received",
    "A2": "Accepted into the payer's adjudication system",
    "A3": "Returned as unprocessable",
    "A4": "Not found",
    "A5": "Split claim",
    "A6": "Rejected for missing information",
    "A7": "Rejected for invalid information",
    "A8": "Rejected for a relational field in error",
    "D0": "Data search unsuccessful",
    "DR01": "Data reporting: received",
    "DR02": "Data reporting: accepted",
    "DR03": "Data reporting: returned as unprocessable",
    "DR04": "Data reporting: not found",
    "DR05": "Data reporting: rejected for missing information",
    "DR06": "Data reporting: rejected for invalid information",
    "DR07": "Data reporting: rejected for a relational field in error",
    "DR08": "Data reporting: warning",
    "E0": "Response not possible: error in the submitted data",
    "E1": "Response not possible: payer system status",
    "E2": "The payer is not responding; send again later",
    "E3": "Correction required: related fields in error",
    "E4": "Correction required: trading partner agreement not met",
    "F0": "Finalized",
    "F1": "Finalized: payment",
    "F2": "Finalized: denial",
    "F3": "Finalized: revised",
    "F3F": "Finalized: forwarded",
    "F3N": "Finalized: not forwarded",
    "F4": "Finalized: adjudication complete, no payment forthcoming",
    "F5": "Finalized: cannot process",
    "P0": "Pending: adjudication details",
    "P1": "Pending: in process",
    "P2": "Pending: payer review",
    "P3": "Pending: provider requested information",
    "P4": "Pending: patient requested information",
    "P5": "Pending: payer administrative or system hold",
    "R0": "Request for additional information: general",
    "R1": "Request for additional information: entity",
    "R3": "Request for additional information: claim or line",
    "R4": "Request for additional information: documentation",
    "R5": "Request for additional information: more specific detail",
    "R6": "Request for additional information: regulatory requirements",
    "R7": "Request for additional information: confirm care is consistent with coverage",
    "R8": "Request for additional information: confirm care is consistent with guidelines",
    "R9": "Request for additional information: authorization/certification",
    "R10": "Request for additional information: patient information",
    "R11": "Request for additional information: other insurance",
    "R12": "Request for additional information: billing provider",
    "R13": "Request for additional information: rendering provider",
    "R14": "Request for additional information: referring provider",
    "R15": "Request for additional information: service facility",
    "R16": "Request for additional information: claim submission",
}
ACCEPTED_CATEGORIES = frozenset({"A1", "A2"})
REJECTING_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "E0", "E3", "E4"})

# Health care claim status codes (code list 508), the ones acknowledgments commonly use.
STATUS_CODES: dict[str, str] = {
    "0": "cannot provide further status electronically",
    "1": "see the remittance advice for details",
    "2": "details follow in a letter",
    "3": "adjudicated, awaiting the payment cycle",
    "12": "procedure codes combined by the payer",
    "15": "procedure codes modified by the payer",
    "16": "forwarded to another entity",
    "17": "forwarded by a third party",
    "18": "received but returned as invalid",
    "19": "receipt acknowledged",
    "20": "accepted for processing",
    "21": "missing or invalid information",
    "23": "returned to the sender",
    "24": "the submitter is not approved for electronic claims",
    "25": "entity not approved",
    "26": "entity not found",
    "27": "the policy is cancelled",
    "29": "subscriber and policy number do not match",
    "30": "subscriber and subscriber ID do not match",
    "31": "subscriber and policyholder name do not match",
    "32": "subscriber and policy number not found",
    "33": "subscriber and subscriber ID not found",
    "34": "subscriber and policyholder name not found",
    "35": "claim not found",
    "38": "awaiting the next adjudication cycle",
    "40": "waiting for final approval",
    "41": "special handling required at the payer",
    "44": "charges pending provider audit",
    "45": "awaiting benefit determination",
    "46": "internal review or audit",
    "52": "investigating other insurance coverage",
    "53": "researching a member ID or group number error",
    "54": "duplicate of a claim already processed",
    "56": "awaiting eligibility determination",
    "65": "claim or line has been paid",
    "78": "duplicate of a claim awaiting processing",
    "85": "the payer is not the primary payer",
    "86": "diagnosis does not match the patient's sex",
    "88": "not eligible for benefits on the dates of service",
    "91": "not eligible on the dates of service",
    "95": "requested information not received",
    "96": "no agreement with the entity",
    "97": "patient eligibility not found",
    "101": "processed as an adjustment to a previous claim",
    "104": "processed according to plan provisions",
    "107": "processed according to contract provisions",
    "109": "entity not eligible",
    "116": "claim sent to the wrong payer",
    "117": "signature-on-file indicator required",
    "121": "more service lines than the payer allows",
    "123": "additional information requested",
    "125": "name",
    "126": "address",
    "128": "tax ID",
    "153": "ID number",
    "155": "relationship to the patient",
    "156": "patient's relationship to the subscriber",
    "157": "gender",
    "158": "date of birth",
    "163": "policy group number",
    "164": "contract or member number",
    "187": "dates of service",
    "188": "statement from-through dates",
    "247": "line information",
    "249": "place of service",
    "254": "principal diagnosis code",
    "255": "diagnosis code",
    "400": "the claim is out of balance (line charges do not add up to the total)",
    "447": "accident date",
    "454": "procedure code",
    "455": "revenue code",
    "464": "payer-assigned claim control number",
    "484": "the payer's system is not available; send again later",
    "507": "HCPCS code",
    "562": "National Provider Identifier (NPI)",
    "673": "patient control number",
    "732": "information submitted inconsistent with billing guidelines",
}

# Entity identifier codes (STC01-3).
ENTITIES: dict[str, str] = {
    "03": "dependent",
    "1P": "provider",
    "1Z": "home health care",
    "36": "employer",
    "40": "receiver",
    "41": "submitter",
    "71": "attending physician",
    "72": "operating physician",
    "73": "other physician",
    "77": "service location",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "AY": "clearinghouse",
    "DN": "referring provider",
    "GB": "other insured",
    "HK": "subscriber",
    "IL": "insured or subscriber",
    "PR": "payer",
    "QC": "patient",
}


def status_message(category: str, code: str, entity: str = "") -> str:
    """The status in words, codes kept so the payer's manual can be searched.

    ``status_message("A7", "33", "IL")`` gives "A7 Rejected for invalid information: 33 subscriber
    and subscriber ID not found (insured or subscriber)".
    """
    head = CATEGORIES.get(category, "Status category")
    detail = STATUS_CODES.get(code, "status code") if code else ""
    text = f"{category} {head}".strip()
    if detail:
        text += f": {code} {detail}"
    if entity:
        text += f" ({ENTITIES.get(entity, 'entity ' + entity)})"
    return text


# ---------------------------------------------------------------------------------------------
# 999

SEGMENT_ERRORS: dict[str, str] = {  # IK304
    "1": "unrecognized segment",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment repeats more often than allowed",
    "6": "segment not in the transaction set",
    "7": "segment out of order",
    "8": "segment has data element errors",
    "I4": "segment the guide does not use is present",
    "I6": "segment the guide requires in this situation is missing",
    "I7": "loop occurs fewer times than the guide requires",
    "I8": "segment occurs fewer times than the guide requires",
    "I9": "segment the guide does not use in this situation is present",
}

ELEMENT_ERRORS: dict[str, str] = {  # IK403
    "1": "required element missing",
    "2": "conditionally required element missing",
    "3": "too many elements",
    "4": "value too short",
    "5": "value too long",
    "6": "invalid character",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "element not allowed with another element present",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value the guide does not use",
    "I9": "element the guide requires in this situation is missing",
    "I10": "element the guide does not use is present",
    "I11": "too few repetitions",
    "I12": "value does not match the required pattern",
    "I13": "element the guide does not use in this situation is present",
}

TRANSACTION_STATUSES: dict[str, str] = {  # IK501
    "A": "accepted",
    "E": "accepted with errors noted",
    "M": "rejected: message authentication failed",
    "R": "rejected",
    "W": "rejected: failed validity tests",
    "X": "rejected: content could not be analyzed after decryption",
}

TRANSACTION_ERRORS: dict[str, str] = {  # IK502-IK506
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "control numbers in ST and SE do not match",
    "4": "the segment count in SE is wrong",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "18": "transaction set not in a functional group",
    "19": "invalid implementation guide reference",
    "23": "transaction set control number not unique in the group",
    "I5": "one or more segments in error (implementation guide)",
    "I6": "implementation guide not supported",
}

GROUP_STATUSES: dict[str, str] = {  # AK901
    "A": "accepted",
    "E": "accepted with errors noted",
    "M": "rejected: message authentication failed",
    "P": "partially accepted: at least one transaction set was rejected",
    "R": "rejected",
    "W": "rejected: failed validity tests",
    "X": "rejected: content could not be analyzed after decryption",
}

GROUP_ERRORS: dict[str, str] = {  # AK905-AK909
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "control numbers in GS and GE do not match",
    "5": "the transaction set count in GE is wrong",
    "6": "group control number is not valid",
    "19": "group control number not unique in the interchange",
}
