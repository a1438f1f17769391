"""The one shape of an outbox payload: a frozen dataclass that writes itself as JSON and reads itself back.

Every external write a use case queues (a Jira issue, a GitLab draft, a Teams message, an alert
batch to ingest) is an `OutboxRequest`: its `kind` names the handler, its fields are the payload,
`idempotency_key` makes it happen once and `ordering_key` (optional) puts it in line behind the
writes to the same thing. `to_payload` and `from_payload` are derived from the fields, so a new
request is a dataclass and nothing else; a malformed row fails `from_payload` with a ValueError
naming the field, and the relay parks it.
"""

from __future__ import annotations

import types
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from domain.ports import OutboxWriter


@dataclass(frozen=True)
class OutboxRequest:
    """Base of every outbox payload; subclasses are frozen dataclasses with a `kind` and keys."""

    kind: ClassVar[str] = ""

    @property
    def idempotency_key(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must say what makes it unique")

    @property
    def ordering_key(self) -> str | None:
        """Requests with the same ordering key are delivered one at a time, oldest first."""
        return None

    def to_payload(self) -> dict[str, Any]:
        """The fields as JSON values: tuples become lists, enums their values."""
        return {f.name: _to_json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """Read a payload back; a missing field takes its default, a wrong one raises ValueError naming it."""
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in payload:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise ValueError(f"{cls.kind} payload lacks the field {f.name!r}")
                continue
            values[f.name] = _read(payload[f.name], hints[f.name], f"{cls.kind} payload field {f.name!r}")
        return cls(**values)


def queue(outbox: OutboxWriter, request: OutboxRequest) -> None:
    """Queue `request` in the caller's transaction, keyed so it happens once and in order."""
    outbox.add(
        request.kind, request.to_payload(), idempotency_key=request.idempotency_key, ordering_key=request.ordering_key
    )


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a request class, worked out once."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    return value


def _read(value: Any, hint: Any, what: str) -> Any:
    """`value` as type `hint` (str, int, bool, float, enums, X | None, tuple[X, ...], dict[str, Any])."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _read(value, option, what)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError(errors[0] if errors else f"{what} must not be null")
    if origin is tuple:
        item_hint = get_args(hint)[0]
        if not isinstance(value, list | tuple):
            raise ValueError(f"{what} must be a list")
        return tuple(_read(item, item_hint, what) for item in value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{what} must be an object")
        return dict(value)
    if hint is Any:
        return value
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise ValueError(f"{what} must be one of {', '.join(str(m.value) for m in hint)}") from None
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise ValueError(f"{what} must be an integer")
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ValueError(f"{what} must be {getattr(hint, '__name__', hint)}, got {type(value).__name__}")
