"""Validate Adaptive Cards against the pinned 1.5 schema (Teams' limit for bot cards), offline.

The schema only uses local ``#/definitions`` references, so nothing is fetched. Its ``format``
keywords (uri, uri-reference) are not checked: jsonschema needs optional packages for them, and a
test result must not depend on what happens to be installed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator
from jsonschema.exceptions import ValidationError, best_match

CARD_SCHEMA_PATH = Path(__file__).parent / "schemas" / "adaptive-card-1.5.json"
# The schema leaves both open at the top level, but Teams needs them to render a bot card.
_SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")


@cache
def card_validator() -> Draft6Validator:
    """The Draft-06 validator for the Adaptive Card 1.5 schema, built once."""
    return Draft6Validator(json.loads(CARD_SCHEMA_PATH.read_text(encoding="utf-8")))


def _is_other_element_type(error: ValidationError) -> bool:
    """True when this anyOf branch failed only because it describes another ``type`` of element."""
    if error.validator == "enum" and list(error.relative_path) == ["type"]:
        return True
    return error.validator == "required" and "type" in error.validator_value


def _describe(error: ValidationError) -> list[str]:
    """Lines ``<json path>: <message>`` for the leaf problems behind ``error``.

    Elements and actions are ``anyOf`` one schema per ``type``; a bare anyOf error only says "not
    valid under any of the given schemas", so descend into the branch matching the element's type.
    """
    if not error.context:
        return [f"{error.json_path}: {error.message}"]
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    matching = [subs for subs in branches.values() if not any(map(_is_other_element_type, subs))]
    if not matching:
        kind = error.instance.get("type") if isinstance(error.instance, dict) else None
        return [f"{error.json_path}: unknown or missing 'type' {kind!r}"]
    if len(matching) > 1:  # alternatives not told apart by "type", e.g. "a colour name, or null"
        closer = [subs for subs in matching if any(sub.validator != "type" for sub in subs)]
        if len(closer) != 1:
            return _describe(best_match(error.context))
        matching = closer
    return [line for sub in matching[0] for line in _describe(sub)]


def card_errors(card: dict[str, Any]) -> list[str]:
    """Every problem with ``card``, each as ``<json path>: <message>``; empty when it is valid."""
    errors = [line for error in card_validator().iter_errors(card) for line in _describe(error)]
    if "type" not in card:
        errors.append("$.type: a top-level card needs 'type': 'AdaptiveCard'")
    if card.get("version") not in _SUPPORTED_VERSIONS:
        errors.append(f"$.version: must be one of {', '.join(_SUPPORTED_VERSIONS)}, got {card.get('version')!r}")
    return errors


def assert_valid_card(card: dict[str, Any]) -> None:
    """Raise AssertionError listing each schema violation with its JSON path."""
    errors = card_errors(card)
    if errors:
        raise AssertionError("invalid Adaptive Card:\n  " + "\n  ".join(errors))
