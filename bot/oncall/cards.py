"""Adaptive Cards for the rota: who is on call, the schedule, overrides, and the shift handover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import Circle
from domain.incidents.sla import humanize
from domain.local_time import format_moment
from domain.oncall.handover import Handover, HandoverBrief, HandoverStatus, IncidentLine
from domain.oncall.model import LayerNow
from domain.recurring import late_note
from domain.rota import Layer, Override, Shift, ShiftSource

ACCEPT_VERB = "handover.accept"
NOTES_VERB = "handover.notes"
NOTES_INPUT = "notes"
# A fortnight of weekly turns fits easily; a daily rotation over 60 days is cut here.
MAX_SCHEDULE_ROWS = 40


def name_of(circle: Circle, handle: str | None) -> str:
    """A member's display name, or the handle when unknown."""
    member = circle.member(handle) if handle else None
    return member.display_name if member else (handle or "nobody")


def oncall_card(
    circle: Circle, layers: Sequence[LayerNow], now: datetime, *, readiness: Mapping[str, str] | None = None
) -> Card:
    """`/oncall`: who answers now for each layer and until when, and who comes next.

    `readiness` (the Team Leader's view): members not on-call ready, with why; {} means all are.
    """
    zone = circle.rota.zone
    facts: list[tuple[str, str]] = []
    for answer in layers:
        label = answer.layer.value.capitalize()
        if answer.current is not None:
            until = answer.current.end
            facts.append(
                (label, f"{_with_phone(circle, answer.current.member)} until {format_moment(until, zone, now)} "
                        f"(in {humanize(until - now)}){_override_mark(answer.current)}")
            )  # fmt: skip
        else:
            facts.append((label, "nobody — rota gap"))
        if answer.next is not None:
            facts.append(
                (f"Next {answer.layer.value}",
                 f"{name_of(circle, answer.next.member)} from {format_moment(answer.next.start, zone, now)}")
            )  # fmt: skip
    body: list[dict[str, Any]] = [text_block(f"On call · {circle.name}", size="Medium", weight="Bolder")]
    if facts:
        body.append(fact_set(facts))
    else:
        body.append(text_block("Nobody is on call in the coming weeks: the rota is empty.", weight="Bolder"))
    primary = next((a for a in layers if a.layer is Layer.PRIMARY), None)
    if primary is None or primary.current is None:
        leader = name_of(circle, circle.team_leader)
        body.append(text_block(f"Until someone is on call, incidents go to the Team Leader, {leader}.", subtle=True))
    if readiness is not None:
        body.append(text_block(_readiness_text(circle, readiness), color="warning" if readiness else None))
    body.append(
        text_block(f"Times in {circle.rota.time_zone}. `/oncall schedule` shows the next 14 days.", subtle=True)
    )
    return adaptive_card(body)


def _readiness_text(circle: Circle, unready: Mapping[str, str]) -> str:
    if not unready:
        return "On-call ready: everyone passed a drill recently."
    return "Not on-call ready: " + "; ".join(f"{name_of(circle, h)} ({why})" for h, why in unready.items())


def schedule_card(
    circle: Circle,
    turns: dict[Layer, list[Shift]],
    gaps: Sequence[tuple[datetime, datetime]],
    *,
    start: datetime,
    days: int,
    now: datetime,
) -> Card:
    """`/oncall schedule [days]`: every turn per layer, overrides marked, gaps called out."""
    zone = circle.rota.zone
    body: list[dict[str, Any]] = [
        text_block(f"On-call schedule · {circle.name}", size="Medium", weight="Bolder"),
        text_block(f"Next {days} days, times in {circle.rota.time_zone}", subtle=True),
    ]
    rows = 0
    for layer, layer_turns in turns.items():
        if not layer_turns:
            continue
        body.append(text_block(layer.value.capitalize(), weight="Bolder"))
        facts = []
        for turn in layer_turns[: max(0, MAX_SCHEDULE_ROWS - rows)]:
            span = f"{format_moment(max(turn.start, start), zone, now)} → {format_moment(turn.end, zone, now)}"
            facts.append((span, name_of(circle, turn.member) + _override_mark(turn)))
        rows += len(facts)
        body.append(fact_set(facts))
    if rows >= MAX_SCHEDULE_ROWS:
        body.append(text_block("… more turns follow; ask for fewer days to see them all.", subtle=True))
    if gaps:
        lines = [f"• {format_moment(a, zone, now)} → {format_moment(b, zone, now)}" for a, b in gaps]
        body.append(text_block("Nobody is primary on call:\n\n" + "\n\n".join(lines), color="attention"))
    if len(body) == 2:
        body.append(text_block("Nobody is on call in this period: the rota is empty.", weight="Bolder"))
    return adaptive_card(body)


def overrides_card(circle: Circle, overrides: Sequence[tuple[int, Override]], now: datetime) -> Card:
    """`/oncall overrides`: the upcoming chat overrides with their ids, for `/oncall cancel <id>`."""
    zone = circle.rota.zone
    body: list[dict[str, Any]] = [text_block(f"Rota overrides · {circle.name}", size="Medium", weight="Bolder")]
    if not overrides:
        body.append(text_block("No upcoming overrides."))
    facts = [
        (
            f"#{override_id}",
            f"{name_of(circle, o.member)} ({o.layer}) {format_moment(o.start, zone, now)} → "
            f"{format_moment(o.end, zone, now)}" + (f" — {o.reason}" if o.reason else ""),
        )
        for override_id, o in overrides
    ]
    if facts:
        body.append(fact_set(facts))
        body.append(text_block("`/oncall cancel <#>` withdraws one.", subtle=True))
    return adaptive_card(body)


# --- handover -------------------------------------------------------------------------------------


def handover_card(circle: Circle, handover: Handover, brief: HandoverBrief, now: datetime) -> Card:
    """The incoming engineer's card: incidents, pending updates, the notes, and Accept."""
    zone = circle.rota.zone
    body: list[dict[str, Any]] = [
        text_block(f"Handover · {circle.name} · {handover.layer}", size="Medium", weight="Bolder"),
        *_late(circle, handover),
        fact_set(
            [
                ("From", name_of(circle, handover.outgoing) if handover.outgoing else "nobody (after a rota gap)"),
                ("To", name_of(circle, handover.incoming)),
                (
                    "Shift",
                    f"{format_moment(handover.shift_start, zone, now)} → "
                    f"{format_moment(handover.shift_end, zone, now)}",
                ),
            ]
        ),
        *_incident_section("Open incidents", brief.open_incidents, "none — quiet shift ahead"),
        *_incident_section("During the past shift", brief.during_shift, "no incidents"),
    ]
    if brief.pending_updates:
        lines = [f"• {line.key}: stakeholder update {line.stakeholder_update}" for line in brief.pending_updates]
        body.append(text_block("Stakeholder updates pending", weight="Bolder"))
        body.append(text_block("\n\n".join(lines), color="warning"))
    if brief.pending_actions:
        lines = [
            f"• {line.key} {line.text} — {line.owner}, due {line.due:%d %b}" + (" (overdue)" if line.overdue else "")
            for line in brief.pending_actions
        ]
        body.append(text_block("Postmortem actions pending", weight="Bolder"))
        overdue = any(line.overdue for line in brief.pending_actions)
        body.append(text_block("\n\n".join(lines), color="warning" if overdue else None))
    body.append(text_block(f"Notes from {name_of(circle, handover.outgoing)}", weight="Bolder"))
    if handover.notes:
        body.append(text_block(handover.notes))
    else:
        body.append(text_block("No notes yet; they will appear here.", subtle=True))
    if handover.status is HandoverStatus.ACCEPTED and handover.accepted_at:
        accepted = format_moment(handover.accepted_at, zone, now)
        body.append(text_block(f"✓ Accepted by {name_of(circle, handover.accepted_by)} at {accepted}", color="good"))
        return adaptive_card(body)
    return adaptive_card(body, [execute_action("Accept handover", ACCEPT_VERB, {"handover": handover.id})])


def notes_prompt_card(circle: Circle, handover: Handover, now: datetime) -> Card:
    """The outgoing engineer's prompt: what should the next on-call know?"""
    zone = circle.rota.zone
    incoming = name_of(circle, handover.incoming)
    body = [
        text_block(f"Handover notes · {circle.name} · {handover.layer}", size="Medium", weight="Bolder"),
        *_late(circle, handover),
        text_block(
            f"{incoming} takes over at {format_moment(handover.shift_start, zone, now)}. What should they know? "
            "Ongoing work, flaky alerts, things to watch. They already get the list of incidents."
        ),
        {
            "type": "Input.Text",
            "id": NOTES_INPUT,
            "isMultiline": True,
            "placeholder": "e.g. disk on db-2 at 85 %, cleanup job runs at 02:00",
            "maxLength": 4000,
            "value": handover.notes,
        },
    ]
    return adaptive_card(body, [execute_action("Send notes", NOTES_VERB, {"handover": handover.id})])


def notes_sent_card(circle: Circle, handover: Handover) -> Card:
    """What the prompt becomes once the notes are sent."""
    return adaptive_card(
        [
            text_block(f"Handover notes · {circle.name} · {handover.layer}", size="Medium", weight="Bolder"),
            text_block(handover.notes),
            text_block(
                f"✓ Sent to {name_of(circle, handover.incoming)}. `/handover notes <text>` replaces them.", color="good"
            ),
        ]
    )


def _late(circle: Circle, handover: Handover) -> list[dict[str, Any]]:
    """A line saying the handover started late (the bot was down at the shift change), if it did."""
    note = late_note("handover", handover.shift_start, handover.created_at, circle.rota.zone)
    return [text_block(f"Late: {note}.", color="warning")] if note else []


def _incident_section(title: str, lines: Sequence[IncidentLine], empty: str) -> list[dict[str, Any]]:
    header = text_block(f"{title} ({len(lines)})" if lines else title, weight="Bolder")
    if not lines:
        return [header, text_block(empty, subtle=True)]
    rows = [
        f"• **{line.key}** {line.severity} · {line.status} — {line.title}\n\n"
        f"  {line.sla}" + (f" · commander {line.commander}" if line.commander else "")
        for line in lines[:15]
    ]
    if len(lines) > 15:
        rows.append(f"… and {len(lines) - 15} more: `/incident list`")
    return [header, text_block("\n\n".join(rows))]


def _with_phone(circle: Circle, handle: str) -> str:
    member = circle.member(handle)
    if member is None:
        return handle
    return f"{member.display_name} ({member.phone})" if member.phone else member.display_name


def _override_mark(shift: Shift) -> str:
    return " (override)" if shift.source is ShiftSource.OVERRIDE else ""
