"""Encounter-form configuration: parsing the one-code-per-line lists, saving, provider vs specialty."""

from __future__ import annotations

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from frontdesk.printing.choices import CodeSectionKind
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.printing.selectors import EncounterFormConfigs
from frontdesk.printing.services import (
    encounter_form_config_delete,
    encounter_form_config_save,
    parse_code_lines,
    sections_as_text,
)
from tests.factories import ProviderFactory, UserFactory

PROCEDURES = """# Office visits
99213 | Office visit est, low
99214 | Office visit est, moderate | 25

# Injections
j3420 | Vitamin B12 injection
"""
DIAGNOSES = "E119 | Type 2 diabetes\nI10 | Essential hypertension\n"


def test_parse_sections_codes_and_modifiers():
    sections, errors = parse_code_lines(PROCEDURES, kind=CodeSectionKind.PROCEDURE)
    assert errors == []
    assert sections == [
        {
            "kind": "procedure",
            "title": "Office visits",
            "codes": [
                {"code": "99213", "label": "Office visit est, low", "modifier": ""},
                {"code": "99214", "label": "Office visit est, moderate", "modifier": "25"},
            ],
        },
        {
            "kind": "procedure",
            "title": "Injections",
            "codes": [{"code": "J3420", "label": "Vitamin B12 injection", "modifier": ""}],
        },
    ]
    assert sections_as_text(sections, kind=CodeSectionKind.PROCEDURE) == (
        "# Office visits\n99213 | Office visit est, low\n99214 | Office visit est, moderate | 25\n"
        "# Injections\nJ3420 | Vitamin B12 injection"
    )


def test_parse_diagnoses_default_section_and_dot():
    sections, errors = parse_code_lines(DIAGNOSES, kind=CodeSectionKind.DIAGNOSIS)
    assert errors == []
    assert sections == [
        {
            "kind": "diagnosis",
            "title": "Diagnoses",
            "codes": [
                {"code": "E11.9", "label": "Type 2 diabetes", "modifier": ""},
                {"code": "I10", "label": "Essential hypertension", "modifier": ""},
            ],
        }
    ]


def test_parse_reports_each_bad_line():
    text = "9921 | Too short\n99213\n99213 | Visit | 2X5\n#\n99213 | Visit\n99213 | Again\n"
    _, errors = parse_code_lines(text, kind=CodeSectionKind.PROCEDURE)
    assert errors == [
        "Line 1: '9921' is not a CPT code (5 digits, or 4 digits + F/T) or a HCPCS code (a letter + 4 digits).",
        "Line 2: write CODE | label | modifier.",
        "Line 3: the modifier '2X5' must be 2 letters/digits.",
        "Line 4: a section title after '#' is required.",
        "Line 6: 99213 is listed twice.",
    ]
    _, errors = parse_code_lines(
        "99213 | Visit\nE11.9 | Diabetes | 25", kind=CodeSectionKind.DIAGNOSIS
    )
    assert errors == [
        "Line 1: '99213' is not an ICD-10-CM code (e.g. E11.9).",
        "Line 2: write CODE | label.",
    ]


@pytest.mark.django_db
def test_save_creates_and_audits():
    manager = UserFactory(role="practice_manager")
    provider = ProviderFactory()
    config = encounter_form_config_save(
        actor=manager,
        provider=provider,
        specialty="",
        procedures_text=PROCEDURES,
        diagnoses_text=DIAGNOSES,
    )
    assert [s["title"] for s in config.sections] == ["Office visits", "Injections", "Diagnoses"]
    event = AuditEvent.objects.get(object_type="encounter_form_config")
    assert (event.action, event.category, event.object_id, event.actor_id) == (
        "create",
        "configuration",
        str(config.pk),
        manager.pk,
    )
    assert event.detail == {"provider_id": provider.pk, "codes": 5}


@pytest.mark.django_db
def test_bad_input_writes_nothing():
    manager = UserFactory(role="practice_manager")
    with pytest.raises(ValidationFailed) as caught:
        encounter_form_config_save(
            actor=manager,
            provider=None,
            specialty="",
            procedures_text="99213 | ok\n123 | bad",
            diagnoses_text="X | bad",
        )
    assert caught.value.fields == {
        "provider": ["Choose a provider or type a specialty (one of the two)."],
        "procedures": [
            "Line 2: '123' is not a CPT code (5 digits, or 4 digits + F/T) or a HCPCS code (a letter + 4 digits)."
        ],
        "diagnoses": ["Line 1: 'X' is not an ICD-10-CM code (e.g. E11.9)."],
    }
    assert EncounterFormConfig.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_one_form_per_specialty_case_insensitive():
    manager = UserFactory(role="practice_manager")
    encounter_form_config_save(
        actor=manager,
        provider=None,
        specialty="Cardiology",
        procedures_text="93000 | ECG",
        diagnoses_text="",
    )
    with pytest.raises(ValidationFailed) as caught:
        encounter_form_config_save(
            actor=manager,
            provider=None,
            specialty="cardiology",
            procedures_text="93000 | ECG",
            diagnoses_text="",
        )
    assert caught.value.fields == {"specialty": ["This specialty already has an encounter form."]}
    assert EncounterFormConfig.objects.count() == 1


@pytest.mark.django_db
def test_provider_form_wins_over_specialty():
    manager = UserFactory(role="practice_manager")
    own = ProviderFactory(specialty="Cardiology")
    colleague = ProviderFactory(specialty="cardiology ")
    stranger = ProviderFactory(specialty="Dermatology")
    by_specialty = encounter_form_config_save(
        actor=manager,
        provider=None,
        specialty="Cardiology",
        procedures_text="93000 | ECG",
        diagnoses_text="",
    )
    personal = encounter_form_config_save(
        actor=manager,
        provider=own,
        specialty="",
        procedures_text="99213 | Visit",
        diagnoses_text="",
    )
    configs = EncounterFormConfigs()
    assert configs.for_provider(own) == personal
    assert configs.for_provider(colleague) == by_specialty
    assert configs.for_provider(stranger) is None
    encounter_form_config_delete(actor=manager, config=personal)
    assert EncounterFormConfigs().for_provider(own) == by_specialty
    assert (
        AuditEvent.objects.filter(action="delete", object_type="encounter_form_config").count() == 1
    )


@pytest.mark.django_db
def test_lists_that_do_not_fit_on_the_form_are_refused():
    manager = UserFactory(role="practice_manager")
    procedures = "\n".join(f"9{n:04d} | Code {n}" for n in range(75))
    with pytest.raises(ValidationFailed) as caught:
        encounter_form_config_save(
            actor=manager,
            provider=ProviderFactory(),
            specialty="",
            procedures_text=procedures,
            diagnoses_text="E11.9 | Diabetes",
        )
    assert caught.value.fields == {
        "procedures": [
            "These lists need 128 mm of the page and a form has 116 mm for codes (three codes a "
            "row, 7 mm a section title): shorten the lists or merge sections."
        ]
    }
    assert EncounterFormConfig.objects.count() == 0
