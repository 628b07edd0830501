"""The ``frontdesk`` command: FrontDesk's own verbs, plus every Django management command passed through.

frontdesk serve [--host H] [--port P] [--no-worker] [--no-demo]
frontdesk worker
frontdesk clock [--once]
frontdesk demo [--patients N] [--seed S]
frontdesk audit verify
frontdesk backup PATH / frontdesk restore PATH
frontdesk apikey create --name NAME --role ROLE [--location L]
frontdesk print schedule --location L --date D --out FILE.pdf
frontdesk print encounter-forms --location L --date D --out FILE.pdf
frontdesk downtime build [--out DIR]
frontdesk statements run [--dry-run]
frontdesk settlement import FILE [--location L] [--user USERNAME]
frontdesk era import FILE [--user USERNAME]
frontdesk claims export --out FILE [--payer P] [--user USERNAME]
frontdesk acks import FILE [--user USERNAME]
frontdesk eligibility request --coverage ID --date YYYY-MM-DD --out FILE
frontdesk eligibility import FILE
frontdesk codes import-cpt FILE.csv [--effective-from D] [--check]
frontdesk codes import-icd10 [FILE --name N --effective-from D [--effective-to D]]
frontdesk clearinghouse poll
frontdesk codes import-hcpcs FILE
frontdesk documents ingest PATH... [--source fax|scan|email|upload] [--location CODE]
frontdesk documents rotate-keys
frontdesk documents corpus --out DIR [--count N] [--seed S] [--force]
frontdesk documents watch [--once]
frontdesk documents fetch-mail
frontdesk documents sweep-blobs [--dry-run] [--older-than-hours N]
frontdesk <any manage.py command>   e.g. frontdesk migrate, frontdesk runserver 127.0.0.1:8000
"""

from __future__ import annotations

import os
import sys

# Two-word verbs map to one management command each.
TWO_WORD_COMMANDS = {
    ("audit", "verify"): "audit_verify",
    ("apikey", "create"): "apikey_create",
    ("apikey", "revoke"): "apikey_revoke",
    ("apikey", "list"): "apikey_list",
    ("print", "schedule"): "print_schedule",
    ("print", "encounter-forms"): "print_encounter_forms",
    ("downtime", "build"): "downtime_build",
    ("statements", "run"): "statements_run",
    ("settlement", "import"): "settlement_import",
    ("era", "import"): "era_import",
    ("claims", "export"): "claims_export",
    ("acks", "import"): "acks_import",
    ("eligibility", "request"): "eligibility_request",
    ("eligibility", "import"): "eligibility_import",
    ("codes", "import-cpt"): "codes_import_cpt",
    ("codes", "import-icd10"): "codes_import_icd10",
    ("clearinghouse", "poll"): "clearinghouse_poll",
    ("codes", "import-hcpcs"): "codes_import_hcpcs",
    ("documents", "ingest"): "documents_ingest",
    ("documents", "rotate-keys"): "documents_rotate_keys",
    ("documents", "corpus"): "documents_corpus",
    ("documents", "watch"): "documents_watch",
    ("documents", "fetch-mail"): "documents_fetch_mail",
    ("documents", "sweep-blobs"): "documents_sweep_blobs",
}


def translate(argv: list[str]) -> list[str]:
    """Turn ``frontdesk audit verify --x`` into ``manage.py audit_verify --x``."""
    if len(argv) >= 2 and (argv[0], argv[1]) in TWO_WORD_COMMANDS:
        return [TWO_WORD_COMMANDS[(argv[0], argv[1])], *argv[2:]]
    return argv


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    from django.core.management import execute_from_command_line

    if not args:
        args = ["help"]
    execute_from_command_line(["frontdesk", *translate(args)])


if __name__ == "__main__":
    main()
