"""Adaptive Card builders (schema 1.5, Teams' limit for bot cards) and the Teams size guard.

The tests validate against the pinned 1.5 schema every card the bot sends to the fake Bot
Connector, and one example per builder (tests/card_examples/), so a new card is checked the day
it is written.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from domain.circle import Member

SCHEMA_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

# Teams rejects a message over ~100 KB, measured on the whole activity; the rest is the envelope.
TEAMS_MESSAGE_BUDGET_BYTES = 80 * 1024
_MIN_KEPT_CHARACTERS = 200

Card = dict[str, Any]


class CommandHelp(Protocol):
    """What the help card needs of a command."""

    @property
    def name(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def examples(self) -> tuple[str, ...]: ...


# --- building blocks ------------------------------------------------------------------------


def adaptive_card(body: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]] = ()) -> Card:
    """A 1.5 card with `body` elements and optional `actions`."""
    card: Card = {"type": "AdaptiveCard", "version": SCHEMA_VERSION, "body": list(body)}
    if actions:
        card["actions"] = list(actions)
    return card


def text_block(
    text: str,
    *,
    size: str | None = None,
    weight: str | None = None,
    subtle: bool = False,
    wrap: bool = True,
    color: str | None = None,
) -> dict[str, Any]:
    """A TextBlock; `size`/`weight`/`color` take Adaptive Card values (e.g. "Large", "Bolder", "attention")."""
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": wrap}
    if color and color != "default":
        block["color"] = color
    if size:
        block["size"] = size
    if weight:
        block["weight"] = weight
    if subtle:
        block["isSubtle"] = True
    return block


def fact_set(facts: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A FactSet of (title, value) pairs."""
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]}


def execute_action(
    title: str, verb: str, data: dict[str, Any] | None = None, *, style: str | None = None
) -> dict[str, Any]:
    """An Action.Execute button (Universal Actions): Teams invokes `adaptiveCard/action` with `verb`.

    `style="positive"` marks the card's main action (Teams draws it in the accent colour).
    """
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb}
    if data:
        action["data"] = data
    if style:
        action["style"] = style
    return action


def submit_action(title: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Action.Submit button for forms: the inputs arrive as the `value` of a message."""
    action: dict[str, Any] = {"type": "Action.Submit", "title": title}
    if data:
        action["data"] = data
    return action


def card_message(card: Card) -> Activity:
    """A message activity carrying `card`, truncated to fit Teams."""
    return MessageFactory.attachment(CardFactory.adaptive_card(truncate_for_teams(card)))


def mention_entity(member: Member) -> dict[str, Any] | None:
    """The entity that makes `<at>Name</at>` notify the member; None when we know no id for them."""
    account = member.teams_user_id or member.aad_object_id
    if not account:
        return None
    tag = f"<at>{member.display_name}</at>"
    return {"type": "mention", "text": tag, "mentioned": {"id": account, "name": member.display_name}}


def card_activity(card: Card, text: str | None = None, mentions: Sequence[Member] = ()) -> dict[str, Any]:
    """A message carrying one Adaptive Card (cut to Teams' size), optionally with text @mentioning people."""
    activity: dict[str, Any] = {
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": truncate_for_teams(card)}]
    }
    if text:
        activity["text"] = text
    entities = [entity for entity in map(mention_entity, mentions) if entity is not None]
    if entities:
        activity["entities"] = entities
    return activity


# --- cards ----------------------------------------------------------------------------------


def text_card(text: str, title: str | None = None) -> Card:
    """A plain card with an optional bold title."""
    body = [text_block(title, size="Medium", weight="Bolder")] if title else []
    return adaptive_card([*body, text_block(text)])


def help_card(commands: Sequence[CommandHelp], *, how_to_address: str) -> Card:
    """What can be typed here: each command's usage and summary, then one example per sub-command."""
    facts = [(readable(f"/{command.usage}"), command.summary) for command in commands]
    body = [
        text_block("circlebot commands", size="Medium", weight="Bolder"),
        text_block(how_to_address, subtle=True),
        fact_set(facts),
    ]
    examples = [example for command in commands for example in command.examples]
    if examples:
        body += [
            text_block("Examples", weight="Bolder"),
            text_block("\n".join(f"- {readable(example)}" for example in examples), size="Small"),
        ]
    return adaptive_card(body)


# `<title>` is read as an HTML tag by Teams and vanishes (or shows as &lt;title&gt;): placeholders are
# drawn between single angle quotation marks (U+2039, U+203A) instead, which no renderer takes for
# markup. Mentions (<at>Name</at>) are real markup and stay as they are.
_OPEN, _CLOSE = "\u2039", "\u203a"
_PLACEHOLDER = re.compile(r"<(?!/?at>)([A-Za-z#][^<>\n]{0,60})>")


def readable(text: str) -> str:
    """`text` with every `<placeholder>` in angle quotation marks, so it survives Teams' rendering."""
    return _PLACEHOLDER.sub(lambda match: f"{_OPEN}{match.group(1)}{_CLOSE}", text)


def welcome_card(*, in_team: bool) -> Card:
    """The one-time greeting after installation, with a button that shows the commands."""
    where = "this team" if in_team else "our chat"
    return adaptive_card(
        [
            text_block("Hi, I'm circlebot", size="Medium", weight="Bolder"),
            text_block(
                f"I help run the SRE circle in {where}: incidents, on-call and handovers, and "
                "postmortems. Type **help** to see what I can do here."
            ),
        ],
        [execute_action("Show commands", "help")],
    )


# --- size guard -----------------------------------------------------------------------------


def truncate_for_teams(card_or_text: Card | str, budget_bytes: int = TEAMS_MESSAGE_BUDGET_BYTES) -> Any:
    """`card_or_text` itself when it fits in a Teams message, else a copy shortened to fit (longest
    TextBlocks first, with a note)."""
    if isinstance(card_or_text, str):
        return _truncate_text(card_or_text, budget_bytes)
    if _size(card_or_text) <= budget_bytes:
        return card_or_text  # nearly every card: no copy
    card = copy.deepcopy(card_or_text)
    while (excess := _size(card) - budget_bytes) > 0:
        blocks = sorted(_text_blocks(card), key=lambda block: len(block["text"]), reverse=True)
        if not blocks or len(blocks[0]["text"]) <= _MIN_KEPT_CHARACTERS + 100:
            break  # nothing long left to cut; the sender will get Teams' own error
        block = blocks[0]
        block["text"] = _cut(block["text"], max(_MIN_KEPT_CHARACTERS, len(block["text"]) - excess - 100))
    return card


def _truncate_text(text: str, budget_bytes: int) -> str:
    while len(text.encode()) > budget_bytes and len(text) > _MIN_KEPT_CHARACTERS + 100:
        excess = len(text.encode()) - budget_bytes
        text = _cut(text, max(_MIN_KEPT_CHARACTERS, len(text) - excess - 100))
    return text


def _cut(text: str, keep: int) -> str:
    original = _original_length(text)
    kept = _strip_note(text)[:keep]
    return f"{kept}… (truncated, {original - len(kept)} characters omitted)"


_NOTE_PREFIX = "… (truncated, "


def _strip_note(text: str) -> str:
    return text.rsplit(_NOTE_PREFIX, 1)[0] if text.endswith(" characters omitted)") else text


def _original_length(text: str) -> int:
    if not text.endswith(" characters omitted)") or _NOTE_PREFIX not in text:
        return len(text)
    kept, note = text.rsplit(_NOTE_PREFIX, 1)
    return len(kept) + int(note.split(" ", 1)[0])


def _size(card: Card) -> int:
    return len(json.dumps(card, ensure_ascii=False).encode())


def _text_blocks(element: Any) -> Iterator[dict[str, Any]]:
    if isinstance(element, dict):
        if element.get("type") == "TextBlock" and isinstance(element.get("text"), str):
            yield element
        for value in element.values():
            yield from _text_blocks(value)
    elif isinstance(element, list):
        for item in element:
            yield from _text_blocks(item)
