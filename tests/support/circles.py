"""Circles for tests, made the way production makes them: circle specs from circles.yaml text, or a
known spec with some settings changed (written as in circles.yaml), applied like the file loader does.

There is no Circle -> spec direction on purpose: the spec is the one source of a circle. A test that
wants a circle "like demo, but ..." says the difference in circles.yaml terms with `changed`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.circles_file import parse_circles
from domain.circle import Circle
from storage.circle_config import CirclesConfig, applied_spec, circle_from_spec
from storage.circle_spec import CircleSpec, DefaultsSpec


def specs_of(text: str) -> tuple[CircleSpec, ...]:
    """The applied specs of every circle in circles.yaml text (defaults filled in, as stored)."""
    return tuple(parse_circles(text, "test-circles.yaml").specs)


def changed(spec: CircleSpec, **changes: Any) -> CircleSpec:
    """`spec` with settings changed as circles.yaml writes them; mappings merge into what is there.

    changed(demo, name="payments", alerts={"auto_resolve": True}) keeps demo's other alert settings.
    """
    data = _merged(spec.model_dump(mode="json"), changes)
    return applied_spec(CircleSpec.model_validate(data), DefaultsSpec())


def config(*specs: CircleSpec, default_circle: str | None = None) -> CirclesConfig:
    """What `uow.circles.apply` takes: these circles, in this order."""
    return CirclesConfig(specs, default_circle)


def as_stored(spec: CircleSpec) -> Circle:
    """The Circle the circles table gives back for `spec`: through its JSON column and the one conversion."""
    stored = json.loads(json.dumps(spec.model_dump(mode="json")))
    return circle_from_spec(CircleSpec.model_validate(stored))


def _merged(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result
