"""The state file a control panel keeps between runs: what the extractor has seen before.

A JSON object, readable by its owner only: the install id, the installation token and
the pinned keys of `fetch`, the highest certificate serial and the highest revocation-list
sequence seen, so that an older certificate or an older list replayed later is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .report import Exit, Failure, reason
from .revocation_list import RevocationList


def load_state(path: Path) -> dict:
    """The state saved at `path`; empty when there is none yet."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot read state file {path}: {reason(exc)}") from None
    if not isinstance(state, dict):
        raise Failure(Exit.UNREADABLE, f"error: state file {path} is not a JSON object")
    return state


def write_private(path: Path, text: str) -> None:
    """Write `text` readable by the owner only, replacing the file at once."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def save_state(path: Path, state: dict) -> None:
    try:
        write_private(path, json.dumps(state, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot write state file {path}: {reason(exc)}") from None


def remember_revocations(state: dict, revocations: RevocationList) -> bool:
    """Record the list's sequence as the highest seen; True if it grew. An older list is refused."""
    highest = state.get("highest_revocations_sequence") or 0
    if revocations.sequence < highest:
        raise Failure(
            Exit.OLDER,
            f"refused: revocation list {revocations.sequence} is older than revocation list {highest} "
            "seen before; use the current list from the portal",
        )
    state["highest_revocations_sequence"] = revocations.sequence
    return revocations.sequence > highest
