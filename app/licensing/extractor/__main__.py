"""python -m app.licensing.extractor: the LicenseExtractor's command line."""

import sys

from .cli import main

sys.exit(main())
