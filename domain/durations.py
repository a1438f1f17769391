"""Durations as people write them in circles.yaml and chat: "30s", "5m", "4h", "3d", "1h30m"."""

from __future__ import annotations

import re
from datetime import timedelta

# ASCII digits, at most six of them: "999999w" is already longer than anyone means.
_DURATION = re.compile(r"([0-9]{1,6})([smhdw])", re.ASCII)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """Parse "30s", "5m", "4h", "3d", "2w" or a concatenation like "1h30m"; ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, like 30s, 5m, 4h or 3d")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(compact)))


def format_duration(delta: timedelta) -> str:
    """The shortest canonical text for a duration: 300 s -> "5m", 5400 s -> "1h30m"."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
