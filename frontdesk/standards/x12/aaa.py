"""AAA (request validation) codes of the 271, 005010X279A1, in words a front-desk person can act on.

AAA01 says whether the request was valid (Y) or not (N); AAA03 is the reason; AAA04 what to do next.
``rejection_message(reason, follow_up)`` puts the two together:
"Subscriber not found — check the member ID and date of birth. Correct the request and send it again."
"""

from __future__ import annotations

# AAA03 reject reason codes used by 005010X279A1 (all loops), with what they mean for the desk.
REJECT_REASONS: dict[str, str] = {
    "04": "The practice is not authorized to ask this payer — check the clearinghouse enrollment.",
    "15": "Required information is missing from the request — check the patient and coverage details.",
    "33": "The payer's system could not read the request (input errors) — correct it and resend.",
    "35": "Out of network — the provider is not in this plan's network.",
    "41": "The payer refused the request (authorization or access restrictions) — check the "
    "practice's enrollment with this payer.",
    "42": "The payer cannot answer right now — try again later.",
    "43": "The provider's NPI is missing or not accepted by the payer — check the provider's NPI.",
    "44": "The provider's name is missing or does not match the payer's records — check the "
    "provider's name.",
    "45": "The provider's specialty is missing or not accepted — check the provider's taxonomy.",
    "46": "The provider's phone number is missing or invalid.",
    "47": "The provider's state is missing or invalid — check the practice address.",
    "48": "The referring provider's ID is missing or invalid — check the referring provider's NPI.",
    "49": "The provider is not the patient's primary care physician on file with the payer.",
    "50": "The provider is not eligible to see this patient under the plan.",
    "51": "The provider is not on file with this payer — check the NPI or the provider's enrollment.",
    "52": "The dates of service are outside the provider's enrollment with this plan.",
    "53": "The inquired benefit is inconsistent with the provider type.",
    "54": "The date of service is not appropriate — check the appointment date.",
    "55": "The date of service is invalid or missing — check the appointment date.",
    "56": "The date in the request is not appropriate — check the appointment date.",
    "57": "The date of service is invalid or missing — check the appointment date.",
    "58": "The date of birth is invalid or missing — check the patient's date of birth.",
    "60": "The date of birth is after the date of service — check the date of birth and the "
    "appointment date.",
    "61": "The payer records a date of death before the date of service — verify with the patient "
    "or family before the visit.",
    "62": "The date of service is outside the period the payer lets us ask about — check the date.",
    "63": "The date of service is in the future and the payer does not answer for future dates — "
    "check again on the day of the visit.",
    "64": "The patient is not found under this subscriber — check the patient's name and date of "
    "birth.",
    "65": "The patient's name is missing or does not match — check the spelling of the patient's "
    "name.",
    "66": "The patient's gender is missing or does not match the payer's records — check the "
    "patient's sex.",
    "67": "Patient not found — check the patient's name, date of birth and member ID.",
    "68": "The patient is on file more than once with this payer (duplicate ID) — call the payer.",
    "69": "The request is inconsistent with the patient's age — check the date of birth.",
    "70": "The request is inconsistent with the patient's gender — check the patient's sex.",
    "71": "The date of birth does not match the payer's records — check the patient's date of "
    "birth.",
    "72": "The member ID is missing or not recognised — check the member ID on the insurance card.",
    "73": "The subscriber's name is missing or does not match — check the spelling against the "
    "insurance card.",
    "74": "The subscriber's gender is missing or does not match the payer's records — check the "
    "subscriber's sex.",
    "75": "Subscriber not found — check the member ID and date of birth.",
    "76": "The member ID is on file more than once with this payer — call the payer.",
    "77": "The subscriber was found but the dependent was not — check the dependent's details.",
    "78": "The subscriber is not in the group or plan named — check the group number and payer.",
    "79": "The payer could not identify the request's sender (invalid participant identification) "
    "— check the clearinghouse set-up.",
    "80": "No response was received from the payer — the check was stopped; try again later.",
    "97": "The provider's address is missing or invalid — check the practice address.",
    "98": "The provider is not allowed to see this patient (experimental service or restrictions).",
    "AA": "Authorization is required and there is none on file.",
    "AE": "Requires medical review.",
    "AF": "The diagnosis code is invalid or missing.",
    "AG": "The procedure code is invalid or missing.",
    "AO": "Additional patient condition information is required.",
    "CI": "A certification information request is missing or invalid.",
    "E8": "The service requires a primary care provider referral.",
    "IA": "The identification number is invalid.",
    "MA": "The member ID is missing.",
    "T4": "The payer name or payer ID is missing or wrong — check the insurance company on the "
    "coverage.",
}

# AAA04 follow-up action codes.
FOLLOW_UP_ACTIONS: dict[str, str] = {
    "C": "Correct the request and send it again.",
    "N": "Do not send this request again.",
    "P": "Send this request again later.",
    "R": "Send this request again (resubmission allowed).",
    "S": "Do not send again; wait for the payer to answer in another way.",
    "W": "Wait 30 days and send it again.",
    "X": "Wait 10 days and send it again.",
    "Y": "Do not send again; call the payer to get the answer.",
}

# Where the AAA sits, for messages about the payer or the provider rather than the patient.
LOOP_SUBJECTS: dict[str, str] = {
    "2000A": "Payer",
    "2100A": "Payer",
    "2000B": "Provider",
    "2100B": "Provider",
    "2100C": "Subscriber",
    "2110C": "Subscriber benefit",
    "2100D": "Dependent",
    "2110D": "Dependent benefit",
}


def reason_text(reason: str) -> str:
    """The plain meaning of an AAA03 code (a generic sentence naming the code if unknown)."""
    text = REJECT_REASONS.get(reason.strip().upper())
    if text:
        return text
    if not reason.strip():
        return "The payer rejected the request without giving a reason — call the payer."
    return f"The payer rejected the request (reason code {reason.strip()}) — call the payer."


def rejection_message(reason: str, follow_up: str = "", loop: str = "") -> str:
    """AAA03 + AAA04 as one message, e.g. for a 75 with C: "Subscriber not found — ... again."."""
    text = reason_text(reason)
    subject = LOOP_SUBJECTS.get(loop)
    if subject and reason.strip().upper() not in REJECT_REASONS:
        text = f"{subject}: {text[0].lower()}{text[1:]}"
    parts = [text]
    action = FOLLOW_UP_ACTIONS.get(follow_up.strip().upper())
    if action:
        parts.append(action)
    return " ".join(parts)
