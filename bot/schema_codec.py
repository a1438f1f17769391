"""Bot Framework activities to and from JSON, with msrest's (de)serialiser built once.

msrest's `Model.deserialize()` and `.serialize()` build a new (De)Serializer on every call, and each
scans the whole `botbuilder.schema` module for its model classes first: on a `help` turn that scan
cost more than the conversion itself. The output is msrest's own, byte for byte.
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ConversationReference
from msrest.serialization import Deserializer, Serializer

_MODELS = Activity._infer_class_models()  # every model of botbuilder.schema, by class name
_SERIALIZER = Serializer(_MODELS)  # type: ignore[no-untyped-call]
_DESERIALIZER = Deserializer(_MODELS)  # type: ignore[no-untyped-call]


def activity_from_json(body: dict[str, Any]) -> Activity:
    """`Activity().deserialize(body)`; raises msrest's DeserializationError on malformed input."""
    activity: Activity = _DESERIALIZER("Activity", body)
    return activity


def reference_to_json(reference: ConversationReference) -> dict[str, Any]:
    """`reference.serialize()`."""
    serialised: dict[str, Any] = _SERIALIZER._serialize(reference)  # type: ignore[no-untyped-call]
    return serialised
