"""The LicenseExtractor: the License Certificate format, and the control panel's command line.

The portal signs with this package and a control panel verifies with it, so both read
one format (certificate_format.py, revocation_list.py). It needs only the standard library
and ``cryptography`` and imports nothing else from the portal: ``flask license
build-extractor`` packs it into one file that a control-panel server runs on its own.
"""

from .certificate_format import CertificateError, verify_certificate
from .cli import main
from .public_keys import key_set_from_records, load_public_keys
from .revocation_list import verify_revocations

__all__ = [
    "CertificateError",
    "key_set_from_records",
    "load_public_keys",
    "main",
    "verify_certificate",
    "verify_revocations",
]
