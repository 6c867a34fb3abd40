"""Reading the API's JSON bodies: every bad field gets a message naming it."""

import json
import re

INSTALL_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?")
MAX_CREATED_ACCOUNTS = 1_000_000_000
# No request of the API nests deeper than 2; this leaves room and stays far from Python's recursion limit.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidRequest(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def json_body(raw):
    """The parsed body (None when not JSON), refused when too deep or holding text no database stores."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise InvalidRequest(f"The request body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:  # not UTF-8 or not JSON: the fields' own messages say what is expected
        return None
    _check_values(body)
    return body


def _check_values(body):
    """Walk the document without recursion: its depth, and every string (keys too)."""
    todo = [(body, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise InvalidRequest(f"The request body is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, dict):
            todo.extend((key, depth) for key in value)
            todo.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            todo.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            raise InvalidRequest(
                "The request body holds a lone surrogate (such as \\ud800): send valid Unicode."
            )
        elif isinstance(value, str) and "\x00" in value:
            raise InvalidRequest("The request body holds a NUL character (\\u0000), which no field accepts.")


def _object(body):
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _string(body, name, pattern, example, max_length=64):
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"'{name}' is required: a string such as {example}.")
    value = value.strip()
    if len(value) > max_length or (pattern is not None and not pattern.fullmatch(value)):
        raise InvalidRequest(f"'{name}' is not valid: use a string such as {example}.")
    return value


def activation_request(body):
    """(license_code, install_id, hostname) from an activation body."""
    body = _object(body)
    return (
        _string(body, "license_code", None, "HSL-7K2Q-M9XD-4RTP"),
        _string(body, "install_id", INSTALL_ID, "8 to 64 letters, digits, '.', '_' or '-'"),
        _string(body, "hostname", HOSTNAME, "cp1.example.com", max_length=253),
    )


def check_in_request(body):
    """created_accounts from a check-in body."""
    body = _object(body)
    value = body.get("created_accounts")
    if type(value) is not int or not 0 <= value <= MAX_CREATED_ACCOUNTS:
        raise InvalidRequest(
            "'created_accounts' is required: the number of accounts created in the control panel, "
            "a whole number from 0."
        )
    return value
