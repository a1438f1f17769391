"""The escalation path as it stands right now: each step with the person it reaches (live from the rota)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.circle import Circle, Member, Severity
from domain.oncall.model import who_is_on_call
from domain.rota import Layer
from domain.runbooks.template import escalation_target_name


@dataclass(frozen=True)
class LiveStep:
    step: str  # "the primary on-call", "the Team Leader", "Marco Bianchi"
    person: Member | None
    after: timedelta  # from declaration, for a P1


def live_escalation(circle: Circle, now: datetime) -> list[LiveStep]:
    """The primary first, then every configured step, each with who it reaches now and when (P1)."""
    current = {answer.layer: answer.current.member for answer in who_is_on_call(circle.rota, now) if answer.current}
    steps = [LiveStep("the primary on-call", _member(circle, current.get(Layer.PRIMARY)), timedelta(0))]
    for offset, step in circle.escalation_offsets(Severity.P1):
        if step.notify == "primary":
            continue  # the primary is paged at once; a step naming it again adds nobody
        handle = {
            "secondary": current.get(Layer.SECONDARY),
            "team_leader": circle.team_leader,
            "focus_sre": circle.focus_sre,
        }.get(step.notify, step.notify)
        steps.append(LiveStep(escalation_target_name(circle, step.notify), _member(circle, handle), offset))
    return steps


def _member(circle: Circle, handle: str | None) -> Member | None:
    return circle.member(handle) if handle else None
