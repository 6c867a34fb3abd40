"""The LicenseExtractor as one file for control-panel servers: a zipapp of the extractor package."""

import shutil
import tempfile
import zipapp
from pathlib import Path

PACKAGE = Path(__file__).with_name("extractor")
ENTRY_POINT = "import sys\n\nfrom extractor.cli import main\n\nsys.exit(main())\n"


def build_extractor_file(out: Path) -> Path:
    """Write the extractor to `out` as one file that runs with Python 3 and ``cryptography`` alone."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work)
        shutil.copytree(PACKAGE, source / "extractor", ignore=shutil.ignore_patterns("__pycache__"))
        (source / "__main__.py").write_text(ENTRY_POINT, encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(source, out, interpreter="/usr/bin/env python3", compressed=True)
    return out
