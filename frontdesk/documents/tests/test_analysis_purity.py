"""documents.analysis stays pure: importing every module loads no Django."""

from __future__ import annotations

import subprocess
import sys


def test_analysis_modules_import_without_django() -> None:
    code = (
        "import sys\n"
        "import frontdesk.documents.analysis.pages, frontdesk.documents.analysis.ocr\n"
        "import frontdesk.documents.analysis.barcodes, frontdesk.documents.analysis.classify\n"
        "import frontdesk.documents.analysis.extract, frontdesk.documents.analysis.segment\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
