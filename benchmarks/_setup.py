"""Start Django for a benchmark script run from the repository root (honours FRONTDESK_* variables)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def django_setup() -> None:
    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
