"""circles: store each circle's applied spec (CircleSpec JSON) instead of the hand-written codec's dict

Revision ID: config1
Revises: activities1
Create Date: 2026-12-01 16:20:00

The codec (domain/circle_codec.py, deleted here) wrote nearly the spec's shape; the differences are
the rota (its own time_zone; a rotation's handover as handover_day/handover_time) and fields the
codec always filled. Both directions are written out below, frozen: a migration must not change
when the live schema does. Fields the codec never stored take the spec's defaults when read.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "config1"
down_revision: str | Sequence[str] | None = "activities1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CIRCLE = sa.table(
    "circle", sa.column("name", sa.String), sa.column("spec", sa.JSON), sa.column("spec_hash", sa.String)
)

# The codec's defaults at the time of this migration, for the downgrade.
_MONDAY_TO_FRIDAY = ["mon", "tue", "wed", "thu", "fri"]
_POSTMORTEM = {"recurrence_count": 3, "recurrence_window": "30d", "due_working_days": 5, "actions_tracker": "jira"}
_ALERT_SEVERITIES = {
    "critical": "P1",
    "page": "P1",
    "error": "P2",
    "high": "P2",
    "major": "P2",
    "warning": "P3",
    "minor": "P3",
    "info": "P4",
    "low": "P4",
}


def upgrade() -> None:
    _rewrite(spec_from_codec)


def downgrade() -> None:
    _rewrite(codec_from_spec)


def _rewrite(convert: Any) -> None:
    connection = op.get_bind()
    for name, stored in connection.execute(sa.select(_CIRCLE.c.name, _CIRCLE.c.spec)).all():
        data = stored if isinstance(stored, dict) else json.loads(stored)
        new = convert(data)
        digest = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()
        connection.execute(_CIRCLE.update().where(_CIRCLE.c.name == name).values(spec=new, spec_hash=digest))


def spec_from_codec(old: dict[str, Any]) -> dict[str, Any]:
    """A row the codec wrote, as the CircleSpec JSON of the same circle."""
    spec = dict(old)
    rota = dict(old["rota"])
    rota.pop("time_zone", None)  # always the circle's own
    rota["rotations"] = [
        {
            "layer": r["layer"],
            "members": r["members"],
            "every": r["every"],
            "handover": {"day": r["handover_day"], "time": r["handover_time"]},
            "start": r["start"],
        }
        for r in old["rota"]["rotations"]
    ]
    spec["rota"] = rota
    spec["docs_repo"] = old.get("docs_repo") or f"{old['customer']}.{old['project']}.DevOps"
    return spec


def codec_from_spec(new: dict[str, Any]) -> dict[str, Any]:
    """A stored CircleSpec JSON as the codec reads it (for rolling back to the release before config1)."""
    old = dict(new)
    zone = ZoneInfo(new["time_zone"])
    rota = new.get("rota") or {}
    old["members"] = [
        {**m, "role": m.get("role") or ("team_leader" if m["handle"] == new["team_leader"] else "sre")}
        for m in new["members"]
    ]
    old["rota"] = {
        "time_zone": new["time_zone"],
        "rotations": [
            {
                "layer": r["layer"],
                "members": r["members"],
                "every": r["every"],
                "handover_day": r["handover"]["day"],
                "handover_time": r["handover"]["time"],
                "start": r["start"],
            }
            for r in rota.get("rotations", [])
        ],
        "shifts": [_aware_entry(s, zone) for s in rota.get("shifts", [])],
        "overrides": [_aware_entry(o, zone) for o in rota.get("overrides", [])],
    }
    old["escalation"] = new.get("escalation") or []
    old["docs_repo"] = new.get("docs_repo") or f"{new['customer']}.{new['project']}.DevOps"
    old["postmortem"] = new.get("postmortem") or _POSTMORTEM
    old["working_days"] = new.get("working_days") or _MONDAY_TO_FRIDAY
    for section in ("handover", "activities", "alerts"):
        if old.get(section) is None:
            old.pop(section, None)  # the codec reads a missing section as its defaults
    if "alerts" in old and old["alerts"]["severities"] is None:
        old["alerts"] = {**old["alerts"], "severities": _ALERT_SEVERITIES}
    return old


def _aware_entry(entry: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    def aware(text: str) -> str:
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()

    return {**entry, "start": aware(entry["start"]), "end": aware(entry["end"])}
