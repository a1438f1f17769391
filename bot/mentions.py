"""Who an activity @mentions, read from its entities whatever shape botbuilder left them in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity


@dataclass(frozen=True)
class MentionedAccount:
    id: str
    name: str = ""
    aad_object_id: str | None = None
    tag: str = ""  # the "<at>Name</at>" text of the mention in the message


def mentioned_accounts(activity: Activity) -> list[MentionedAccount]:
    """The accounts @mentioned in `activity`, in order."""
    accounts = []
    for entity in activity.entities or []:
        if str(getattr(entity, "type", "")).lower() != "mention":
            continue
        mentioned = _mentioned(entity)
        account_id = mentioned.get("id")
        tag = getattr(entity, "text", None) or (getattr(entity, "additional_properties", None) or {}).get("text")
        if isinstance(account_id, str) and account_id:
            accounts.append(
                MentionedAccount(
                    id=account_id,
                    name=str(mentioned.get("name") or ""),
                    aad_object_id=mentioned.get("aadObjectId") or mentioned.get("aad_object_id"),
                    tag=tag if isinstance(tag, str) else "",
                )
            )
    return accounts


def mentions(activity: Activity, account_id: str | None) -> bool:
    """True when `account_id` (e.g. the bot's) is among the @mentioned."""
    return bool(account_id) and any(account.id == account_id for account in mentioned_accounts(activity))


def _mentioned(entity: Any) -> dict[str, Any]:
    # A generic Entity keeps unknown fields in additional_properties; a Mention has an attribute.
    value = getattr(entity, "mentioned", None)
    if value is None:
        value = (getattr(entity, "additional_properties", None) or {}).get("mentioned")
    if isinstance(value, dict):
        return value
    if value is not None:
        return {"id": getattr(value, "id", None), "name": getattr(value, "name", None),
                "aadObjectId": getattr(value, "aad_object_id", None)}  # fmt: skip
    return {}
