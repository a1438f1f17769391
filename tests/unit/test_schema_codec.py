"""The cached msrest (de)serialiser gives what botbuilder's own Model methods give."""

from __future__ import annotations

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from bot.schema_codec import activity_from_json, reference_to_json
from tests.support import activities


@pytest.mark.parametrize(
    "body",
    [
        activities.channel_message("help", "http://127.0.0.1:1/"),
        activities.personal_message("/incident P1 db down", "http://127.0.0.1:1/"),
        activities.installed_in_team("http://127.0.0.1:1/"),
    ],
)
def test_an_activity_reads_and_its_reference_writes_as_msrest_does(body: dict[str, object]) -> None:
    ours, theirs = activity_from_json(body), Activity().deserialize(body)

    assert ours.serialize() == theirs.serialize()
    assert reference_to_json(TurnContext.get_conversation_reference(ours)) == (
        TurnContext.get_conversation_reference(theirs).serialize()
    )


def test_a_malformed_activity_is_refused_as_msrest_refuses_it() -> None:
    with pytest.raises(DeserializationError):
        activity_from_json({"type": "message", "timestamp": "not a time"})
