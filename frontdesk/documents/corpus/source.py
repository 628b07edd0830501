"""The patients and appointments a corpus is drawn for, read from the configured database.

Used by the ``documents corpus`` command only (a system export, audited there): active, unmerged
patients with their preferred phone and first active coverage, plus appointments whose encounter forms
may come back scanned.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from frontdesk.documents.corpus.generate import CorpusAppointment, CorpusPatient
from frontdesk.patients.choices import CoverageStatus
from frontdesk.patients.models import Coverage, Patient, PatientPhone
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

MAX_PATIENTS = 5000
MAX_APPOINTMENTS = 400
_SKIPPED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR)


def _address(patient: Patient) -> str:
    place = " ".join(part for part in (patient.state, patient.postal_code) if part)
    parts = (patient.address_line1, patient.address_line2, patient.city, place)
    return ", ".join(part for part in parts if part)


def corpus_patients(limit: int = MAX_PATIENTS) -> list[CorpusPatient]:
    """Up to ``limit`` active, unmerged patients (lowest ids first), as the generator needs them."""
    patients = (
        Patient.objects.active()
        .order_by("pk")
        .prefetch_related(
            Prefetch("phones", queryset=PatientPhone.objects.order_by("rank", "pk")),
            Prefetch(
                "coverages",
                queryset=Coverage.objects.filter(status=CoverageStatus.ACTIVE)
                .select_related("payer")
                .order_by("priority", "pk"),
            ),
        )[:limit]
    )
    found = []
    for patient in patients:
        phones = list(patient.phones.all())
        coverages = list(patient.coverages.all())
        digits = phones[0].digits if phones else ""
        found.append(
            CorpusPatient(
                id=patient.pk,
                first=patient.first_name,
                last=patient.last_name,
                middle=patient.middle_name,
                dob=patient.date_of_birth,
                mrn=patient.mrn,
                phone=digits[-10:] if len(digits) >= 10 else "",
                member_id=coverages[0].member_id if coverages else "",
                payer=coverages[0].payer.name if coverages else "",
                sex=patient.sex_at_birth,
                address=_address(patient),
            )
        )
    return found


def corpus_appointments(limit: int = MAX_APPOINTMENTS) -> list[CorpusAppointment]:
    """Appointments of active patients nearest to now (past and upcoming), for encounter forms."""
    now = timezone.now()
    base = (
        Appointment.objects.filter(patient__is_active=True, patient__merged_into__isnull=True)
        .exclude(status__in=_SKIPPED_STATUSES)
        .select_related("provider", "location", "appointment_type")
    )
    half = max(1, limit // 2)
    chosen = list(base.filter(starts_at__gte=now).order_by("starts_at", "pk")[:half])
    chosen += list(
        base.filter(starts_at__lt=now).order_by("-starts_at", "-pk")[: limit - len(chosen)]
    )
    found = []
    for appointment in sorted(chosen, key=lambda a: a.pk):
        provider = appointment.provider
        name = f"Dr. {provider.first_name} {provider.last_name}"
        if provider.credentials:
            name += f", {provider.credentials}"
        found.append(
            CorpusAppointment(
                id=appointment.pk,
                patient_id=appointment.patient_id,
                starts_at=timezone.localtime(appointment.starts_at, appointment.location.tzinfo),
                provider=name,
                location=appointment.location.name,
                visit_type=appointment.appointment_type.name,
            )
        )
    return found
