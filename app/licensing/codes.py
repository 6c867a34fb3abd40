"""License codes: what a customer reads out to support and types into the CP."""

import re
import secrets

# No 0/O, 1/I/L or U/V look-alikes, so a code read aloud or retyped from paper survives.
LICENSE_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LICENSE_CODE_PREFIX = "HSL"
GROUPS = 3
GROUP_LENGTH = 4

_PATTERN = re.compile(rf"{LICENSE_CODE_PREFIX}(?:-[{LICENSE_CODE_ALPHABET}]{{{GROUP_LENGTH}}}){{{GROUPS}}}")


def generate_license_code() -> str:
    """A new random code such as HSL-7K2Q-M9XD-4RTP (about 58 bits of randomness)."""
    groups = (
        "".join(secrets.choice(LICENSE_CODE_ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)
    )
    return "-".join([LICENSE_CODE_PREFIX, *groups])


def normalize_license_code(text: str) -> str:
    """The form codes are stored in: upper case, no whitespace anywhere."""
    return "".join(text.split()).upper()


def is_license_code(text: str) -> bool:
    return _PATTERN.fullmatch(normalize_license_code(text)) is not None
