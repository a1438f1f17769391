"""Request bodies read as JSON with a nesting limit: every malformed body is a clear 400, never a 500.

Python's json parser recurses once per bracket: 50,000 nested brackets fit in 256 KB and ended in
a RecursionError (a 500, and a stack trace in the log); a few hundred levels parse, then break
whatever walks them recursively later (msrest, our own code). Nothing Teams, Alertmanager or
Grafana send nests deeper than about a dozen levels, so anything past MAX_DEPTH is refused.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32


class BodyError(ValueError):
    """The body is not JSON we accept; the message says why, for the 400 answer."""


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body; BodyError for invalid UTF-8, invalid JSON or nesting beyond `max_depth`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BodyError("the body is not UTF-8") from None
    try:
        # The C parser guards its recursion: past Python's limit it raises, it does not crash.
        data = json.loads(text)
    except RecursionError:
        raise BodyError(f"the JSON is nested more than {max_depth} levels deep") from None
    except ValueError as error:
        raise BodyError(f"the body is not valid JSON: {error}") from None
    if _depth_exceeds(data, max_depth):
        raise BodyError(f"the JSON is nested more than {max_depth} levels deep")
    return data


def _depth_exceeds(data: Any, max_depth: int) -> bool:
    """True when containers nest deeper than `max_depth`; walked with a stack, never recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def without_unstorable(value: Any) -> Any:
    """`value` with NUL bytes and lone surrogates removed from every string in it.

    Both parse as JSON, and PostgreSQL refuses both in text; what a person typed is kept otherwise.
    """
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value if value.isascii() else value.encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, list):
        return [without_unstorable(item) for item in value]
    if isinstance(value, dict):
        return {without_unstorable(key): without_unstorable(item) for key, item in value.items()}
    return value
