"""YAML with line numbers: plain data plus the line of every node, and errors as FILE:LINE: path: why."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

Loc = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The text is not YAML; the message is "FILE:LINE: problem"."""


def read_located_yaml(text: str, source: str) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML into plain dicts/lists/scalars and a map from each node's path to its 1-based line."""
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(f"{source}:{line}: {error.problem or error.context}") from None
    lines: dict[Loc, int] = {(): 1}
    return _plain(document, (), lines), lines


class Problems:
    """Collects errors as "FILE:LINE: path: message", finding the line of the nearest known node."""

    def __init__(self, source: str, lines: Mapping[Loc, int]) -> None:
        self.source = source
        self.lines = lines
        self._found: list[tuple[int, str]] = []

    @property
    def errors(self) -> list[str]:
        """In file order, so they read top to bottom next to the file."""
        return [text for _line, text in sorted(self._found, key=lambda found: found[0])]

    def add(self, loc: Loc, message: str) -> None:
        line = next(self.lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in self.lines)
        self._found.append((line, f"{self.source}:{line}: {_dotted(loc)}: {message}"))

    def add_pydantic(self, error: ValidationError, prefix: Loc, model: type[BaseModel]) -> None:
        for detail in error.errors(include_url=False):
            loc = prefix + tuple(detail["loc"])
            self.add(loc, _message(detail, model, tuple(detail["loc"])))


def _plain(node: Any, loc: Loc, lines: dict[Loc, int]) -> Any:
    if isinstance(node, CommentedMap):
        result: dict[str, Any] = {}
        for key, value in node.items():
            child = (*loc, str(key))
            lines[child] = node.lc.key(key)[0] + 1
            result[str(key)] = _plain(value, child, lines)
        return result
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            lines[(*loc, index)] = node.lc.item(index)[0] + 1
            items.append(_plain(value, (*loc, index), lines))
        return items
    for plain_type in (bool, int, float, str):
        if isinstance(node, plain_type):
            return plain_type(node)
    if isinstance(node, datetime):  # ruamel's TimeStamp keeps private state we do not want
        return datetime.combine(node.date(), node.timetz())
    return node


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(file)"


def _message(detail: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(allowed)}"
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    message = detail["msg"].removeprefix("Value error, ")
    if kind in ("value_error", "assertion_error"):
        return message
    return f"{message} (got {detail.get('input')!r})"


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names a YAML mapping at `loc` (relative to `model`) may have."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) or not _is_model(current):
            current = _element(current)
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = field.annotation
    current = _unwrap(current)
    if not _is_model(current):
        current = _unwrap(_element(current))
    return list(current.model_fields) if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated to the type a value must have."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0] if len(options) == 1 else annotation
            if len(options) != 1:
                return annotation
        else:
            return annotation


def _element(annotation: Any) -> Any:
    args = typing.get_args(_unwrap(annotation))
    return args[-1] if args else None
