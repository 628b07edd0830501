"""ICD-10-CM, CPT/HCPCS, modifiers, place-of-service codes, payer fee schedules and standard charges."""
