"""The messenger queues one outbox row per message, ordered per conversation, and refuses bad input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bot.conversation_target import ConversationTarget, InvalidConversationTarget
from bot.messenger import TEAMS_SEND, TEAMS_START_THREAD, TEAMS_UPDATE, InvalidActivity, Messenger

CHANNEL = {
    "serviceUrl": "https://smba.trafficmanager.net/emea/",
    "channelId": "msteams",
    "conversation": {"id": "19:sre@thread.tacv2", "tenantId": "contoso-tenant", "isGroup": True},
    "bot": {"id": "28:circlebot"},
}


@dataclass
class FakeOutbox:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str,
        ordering_key: str | None = None,
        not_before: datetime | None = None,
    ) -> None:
        self.rows.append({"kind": kind, "payload": payload, "key": idempotency_key, "ordering": ordering_key})


@dataclass
class FakeUnitOfWork:
    outbox: FakeOutbox = field(default_factory=FakeOutbox)


def test_a_stored_conversation_reference_round_trips_through_the_target() -> None:
    target = ConversationTarget.from_dict(CHANNEL)

    assert target.service_url == "https://smba.trafficmanager.net/emea"
    assert target.tenant_id == "contoso-tenant"
    assert ConversationTarget.from_dict(target.to_dict()) == target


def test_a_thread_conversation_id_still_names_its_channel() -> None:
    target = ConversationTarget.from_dict(
        {**CHANNEL, "conversation": {"id": "19:sre@thread.tacv2;messageid=1700000000001"}}
    )

    assert target.teams_channel_id == "19:sre@thread.tacv2"


@pytest.mark.parametrize(
    ("reference", "complaint"),
    [
        ({"conversation": {"id": "19:x"}}, "no serviceUrl"),
        ({"serviceUrl": "https://smba.example", "conversation": {}}, "conversation.id is empty"),
        ({"serviceUrl": "smba.example", "conversation": {"id": "19:x"}}, r"must be an http\(s\) URL"),
    ],
)
def test_an_incomplete_reference_is_refused_with_what_is_missing(reference: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidConversationTarget, match=complaint):
        ConversationTarget.from_dict(reference)


def test_send_queues_one_row_ordered_by_conversation_and_replies_ordered_by_thread() -> None:
    uow = FakeUnitOfWork()
    messenger = Messenger()

    messenger.start_thread(uow, channel_target=CHANNEL, activity="INC-1 declared", key="teams:INC-1")
    messenger.send(uow, conversation=CHANNEL, activity="daily standup", key="teams:standup")
    messenger.send(uow, conversation=CHANNEL, activity="mitigated", key="teams:INC-1:2", in_thread="teams:INC-1")
    messenger.update(uow, target=CHANNEL, key_of_original="teams:INC-1", activity="INC-1 ✔", in_thread="teams:INC-1")

    kinds = [row["kind"] for row in uow.outbox.rows]
    orderings = [row["ordering"] for row in uow.outbox.rows]
    assert kinds == [TEAMS_START_THREAD, TEAMS_SEND, TEAMS_SEND, TEAMS_UPDATE]
    assert orderings == [
        "teams:thread:teams:INC-1",
        "teams:conversation:19:sre@thread.tacv2",
        "teams:thread:teams:INC-1",
        "teams:thread:teams:INC-1",
    ]
    assert uow.outbox.rows[1]["payload"]["activity"] == {"type": "message", "text": "daily standup"}


def test_each_update_is_its_own_row_unless_given_a_key() -> None:
    uow = FakeUnitOfWork()
    messenger = Messenger()
    for _ in range(2):
        messenger.update(uow, target=CHANNEL, key_of_original="teams:INC-1", activity="refreshed")
    messenger.update(uow, target=CHANNEL, key_of_original="teams:INC-1", activity="acked", key="teams:INC-1:acked")

    keys = [row["key"] for row in uow.outbox.rows]
    assert len(set(keys)) == 3 and keys[2] == "teams:INC-1:acked"


@pytest.mark.parametrize(
    ("activity", "complaint"),
    [
        ({"text": ""}, "needs text or attachments"),
        ({"text": "x" * 30_000}, "Teams accepts about"),
    ],
)
def test_a_message_teams_would_reject_is_refused_when_queued(activity: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidActivity, match=complaint):
        Messenger().send(FakeUnitOfWork(), conversation=CHANNEL, activity=activity, key="teams:bad")
