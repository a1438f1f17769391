"""circles.yaml: load, validate with line-accurate errors, and fill in the defaults.

The specs it returns become Circles through storage/circle_config.py, as stored circles do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adapters.located_yaml import Loc, Problems, YamlSyntaxError, read_located_yaml
from domain.circle import ESCALATION_TARGETS
from storage.circle_config import CirclesConfig, SpecIncomplete, applied_spec
from storage.circle_spec import CircleSpec, DefaultsSpec, FileSpec

__all__ = ["CirclesConfig", "CirclesFileError", "load_circles", "parse_circles"]


class CirclesFileError(Exception):
    """The file is unreadable or invalid; `errors` are "FILE:LINE: field.path: what is wrong"."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def load_circles(path: Path) -> CirclesConfig:
    """Read and validate a circles file; CirclesFileError lists every problem at once."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CirclesFileError([f"{path}: cannot read the file: {error}"]) from None
    return parse_circles(text, str(path))


def parse_circles(text: str, source: str = "circles.yaml") -> CirclesConfig:
    """Validate circles YAML held in a string; `source` names it in error messages."""
    try:
        data, lines = read_located_yaml(text, source)
    except YamlSyntaxError as error:
        raise CirclesFileError([str(error)]) from None
    problems = Problems(source, lines)
    config = _validate(data, problems)
    if problems.errors or config is None:
        raise CirclesFileError(problems.errors or [f"{source}:1: the file is empty"])
    return config


def _validate(data: Any, problems: Problems) -> CirclesConfig | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.add((), "the file must be a mapping with a `circles:` list (see circles.example.yaml)")
        return None
    try:
        spec = FileSpec.model_validate(data)
    except ValidationError as error:
        problems.add_pydantic(error, (), FileSpec)
        return None
    try:
        defaults: DefaultsSpec | None = DefaultsSpec.model_validate(spec.defaults)
    except ValidationError as error:
        problems.add_pydantic(error, ("defaults",), DefaultsSpec)
        defaults = None
    specs: list[CircleSpec] = []
    for index, raw in enumerate(spec.circles):
        _check_references(raw, ("circles", index), problems)
        try:
            circle_spec = CircleSpec.model_validate(raw)
        except ValidationError as error:
            problems.add_pydantic(error, ("circles", index), CircleSpec)
            continue
        if defaults is None:
            continue  # what the circle inherits is broken; its own fields were checked above
        applied = _applied(circle_spec, defaults, ("circles", index), problems)
        if applied is not None:
            specs.append(applied)
    _check_across_circles(spec.circles, problems)
    names = [c.get("name") for c in spec.circles]
    if spec.default_circle is not None and spec.default_circle not in names:
        problems.add(("default_circle",), f"no circle is called {spec.default_circle!r}")
    return CirclesConfig(tuple(specs), spec.default_circle)


def _check_references(raw: dict[str, Any], at: Loc, problems: Problems) -> None:
    """Every handle the circle mentions names one of its members; handles and ids are unique."""
    members = [m for m in raw.get("members") or [] if isinstance(m, dict)] if _is_list(raw, "members") else []
    handles: set[str] = set()
    for field_name in ("handle", "teams_user_id", "aad_object_id"):
        seen: set[str] = set()
        for index, member in enumerate(members):
            value = member.get(field_name)
            if not isinstance(value, str):
                continue
            if value.lower() in seen:
                problems.add((*at, "members", index, field_name), f"{value!r} is used by another member")
            seen.add(value.lower())
        if field_name == "handle":
            handles = seen

    def check(loc: Loc, value: Any, also: tuple[str, ...] = ()) -> None:
        if isinstance(value, str) and value not in handles and value not in also:
            known = ", ".join(sorted(handles)) or "none"
            extra = f" or one of {', '.join(also)}" if also else ""
            problems.add((*at, *loc), f"{value!r} is not a member of this circle{extra} (members: {known})")

    check(("team_leader",), raw.get("team_leader"))
    check(("focus_sre",), raw.get("focus_sre"))
    for index, step in _items(raw, "escalation"):
        check(("escalation", index, "notify"), step.get("notify"), ESCALATION_TARGETS)
    names: set[str] = set()
    for index, service in _items(raw, "services"):
        check(("services", index, "owner"), service.get("owner"))
        name = service.get("name")
        if isinstance(name, str):
            if name.lower() in names:
                problems.add((*at, "services", index, "name"), f"another service is already called {name!r}")
            names.add(name.lower())
    rota = raw.get("rota")
    if isinstance(rota, dict):
        for index, rotation in _items(rota, "rotations"):
            for position, handle in enumerate(rotation.get("members") or []):
                check(("rota", "rotations", index, "members", position), handle)
        for kind in ("shifts", "overrides"):
            for index, entry in _items(rota, kind):
                check(("rota", kind, index, "member"), entry.get("member"))


def _check_across_circles(raws: list[dict[str, Any]], problems: Problems) -> None:
    """Circle names are unique and a Teams channel belongs to at most one circle."""
    names: set[str] = set()
    channels: dict[str, str] = {}
    for index, raw in enumerate(raws):
        name = raw.get("name")
        if isinstance(name, str):
            if name in names:
                problems.add(("circles", index, "name"), f"another circle is already called {name!r}")
            names.add(name)
        channel = raw.get("channel_id")
        if isinstance(channel, str):
            if channel in channels:
                problems.add(
                    ("circles", index, "channel_id"),
                    f"channel {channel!r} already belongs to circle {channels[channel]!r}; a channel serves one circle",
                )
            channels.setdefault(channel, str(name))


def _applied(spec: CircleSpec, defaults: DefaultsSpec, at: Loc, problems: Problems) -> CircleSpec | None:
    try:
        return applied_spec(spec, defaults)
    except SpecIncomplete as incomplete:
        for name, message in incomplete.gaps:
            problems.add((*at, name), message)
        return None


def _is_list(raw: Mapping[str, Any], key: str) -> bool:
    return isinstance(raw.get(key), list)


def _items(raw: Mapping[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = raw.get(key)
    if isinstance(value, list):
        yield from ((i, item) for i, item in enumerate(value) if isinstance(item, dict))
