"""Argon2id password hashes computed on one thread.

libargon2 computes a hash of ``p`` lanes on ``p`` threads. On a server that is the wrong trade:
the scheduler shares the CPU per thread, so one login's four threads take it from every other
request, and a burst of logins starves the pages (docs/performance.md). Computed one lane after
another, the hash is the same: the same lanes, memory and passes, the same PHC string, verified
by any Argon2 library. A login on an idle machine takes longer (about 135 ms instead of 100 ms
with RFC 9106's low-memory profile); everyone else waits less.

argon2-cffi reads a stored hash's parameters (``extract_parameters``) and runs libargon2; its
one call that lets the thread count differ from the lanes is ``argon2.low_level.core``, which
takes a raw context. That call, and the PHC string argon2-cffi itself writes, are made here.
"""

import base64
import hmac
import os

from argon2 import Type, extract_parameters
from argon2.exceptions import HashingError, InvalidHashError
from argon2.low_level import ARGON2_VERSION, core, error_to_str, ffi, lib

SALT_BYTES = 16
HASH_BYTES = 32


class SerialHasher:
    """Argon2id with these parameters (memory in KiB), hashing and verifying on the calling thread."""

    def __init__(self, time_cost, memory_cost, parallelism):
        self.time_cost, self.memory_cost, self.parallelism = time_cost, memory_cost, parallelism

    def hash(self, password):
        """The PHC string of ``password`` with a new random salt: ``$argon2id$v=19$m=…,t=…,p=…$salt$hash``."""
        salt = os.urandom(SALT_BYTES)
        raw = _argon2(
            Type.ID,
            ARGON2_VERSION,
            (self.time_cost, self.memory_cost, self.parallelism),
            password,
            salt,
            HASH_BYTES,
        )
        return (
            f"$argon2id$v={ARGON2_VERSION}$m={self.memory_cost},t={self.time_cost},p={self.parallelism}"
            f"${_b64encode(salt)}${_b64encode(raw)}"
        )

    def verify(self, encoded, password):
        """Whether ``password`` is the one ``encoded`` was made from; InvalidHashError when it is no hash."""
        used = extract_parameters(encoded)
        salt, expected = (_b64decode(part) for part in encoded.rsplit("$", 2)[1:])
        if len(expected) != used.hash_len:
            raise InvalidHashError(encoded)
        try:
            raw = _argon2(
                used.type,
                used.version,
                (used.time_cost, used.memory_cost, used.parallelism),
                password,
                salt,
                len(expected),
            )
        except HashingError:  # parameters libargon2 refuses: no hash it could have made
            raise InvalidHashError(encoded) from None
        return hmac.compare_digest(raw, expected)


def _argon2(kind, version, costs, password, salt, length):
    """The raw hash; ``costs`` is (passes, memory in KiB, lanes), the lanes computed on this thread."""
    time_cost, memory_cost, lanes = costs
    secret = password.encode()
    # The context only points at these buffers: they are kept in names until the hash is made.
    out = ffi.new("uint8_t[]", length)
    pwd = ffi.new("uint8_t[]", secret) if secret else ffi.NULL
    salt_buffer = ffi.new("uint8_t[]", salt)
    context = ffi.new(
        "argon2_context *",
        {
            "version": version,
            "out": out,
            "outlen": length,
            "pwd": pwd,
            "pwdlen": len(secret),
            "salt": salt_buffer,
            "saltlen": len(salt),
            "secret": ffi.NULL,
            "secretlen": 0,
            "ad": ffi.NULL,
            "adlen": 0,
            "t_cost": time_cost,
            "m_cost": memory_cost,
            "lanes": lanes,
            "threads": 1,
            "allocate_cbk": ffi.NULL,
            "free_cbk": ffi.NULL,
            "flags": lib.ARGON2_DEFAULT_FLAGS,
        },
    )
    result = core(context, kind.value)
    if result != lib.ARGON2_OK:
        raise HashingError(error_to_str(result))
    return bytes(ffi.buffer(out, length))


def _b64encode(data):
    return base64.b64encode(data).decode().rstrip("=")


def _b64decode(text):
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise InvalidHashError(text) from None
