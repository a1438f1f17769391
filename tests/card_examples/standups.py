"""Examples of the stand-up cards (bot/standups/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from bot.cards import Card
from bot.standups.cards import answered_card, prompt_card, skipped_card, stats_card, summary_card
from domain.circle import StandupQuestions
from domain.oncall.handover import IncidentLine
from domain.standups.model import Entry, EntryStatus
from domain.standups.ports import OpenBlocker, PromptDraft, WipActivity
from domain.standups.service import MemberStats, Stats
from domain.standups.summary import BlockerLine, PersonLine, Summary


def _draft_example() -> PromptDraft:
    return PromptDraft(
        circle="demo",
        day=date(2026, 12, 1),
        questions=StandupQuestions(),
        yesterday="Rotated the TLS certificates\nINC-7 checkout 500s: commanded, acknowledged",
        today="Continue Migrate the ingress",
        blockers="Waiting for DB access",
        open_blockers=(OpenBlocker(3, "Waiting for DB access", 2),),
        incidents=("INC-7 checkout 500s: commanded, acknowledged",),
        activity=WipActivity("Migrate the ingress", "https://gitlab.example.com/acme/a/-/issues/4", "half done"),
        answers_until="12:30 CET",
        notes=("You were paged at night: no reminder today, answer when you can.",),
    )


def _summary_example(final: bool) -> Summary:
    return Summary(
        circle="demo",
        day=date(2026, 12, 1),
        final=final,
        answered=1,
        expected=3,
        incidents=(IncidentLine("INC-7", "P1", "checkout 500s", "investigating", "ack met · resolve in 2h", "Luca"),),
        on_call=("primary: Luca Ferrari",),
        blockers=(BlockerLine("Marco Bianchi", "Waiting for DB access", 3, "2026-12-01:marco"),),
        people=(
            PersonLine("marco", "Marco Bianchi", "answered", "certs", "ingress", "paged at night"),
            PersonLine("luca", "Luca Ferrari", "on INC-7"),
            PersonLine("sara", "Sara Romano", "not answered"),
        ),
        not_answered=("Sara Romano",),
        unreachable=("Elena Ricci",),
        overdue_activities=("#12 Migrate the ingress (Marco Bianchi, due Fri 27 Nov)",),
    )


def _entry_example() -> Entry:
    entry = Entry("demo", date(2026, 12, 1), "marco", EntryStatus.ANSWERED, yesterday="certs", today="ingress")
    entry.edited_at = None
    return entry


EXAMPLES: list[tuple[str, Callable[[], Card]]] = [
    ("standup prompt", lambda: prompt_card(_draft_example())),
    ("standup answered", lambda: answered_card("demo", _entry_example(), StandupQuestions(), "09:41 CET")),
    ("standup skipped", lambda: skipped_card("demo", _entry_example())),
    ("standup summary (live)", lambda: _summary_card_example(False)),
    ("standup summary (final)", lambda: _summary_card_example(True)),
    (
        "standup stats",
        lambda: stats_card(
            Stats(
                "demo",
                date(2026, 11, 2),
                date(2026, 12, 1),
                (MemberStats("Marco", 20, 18, timedelta(minutes=12)),),
                4,
                3,
            )
        ),
    ),
]


def _summary_card_example(final: bool) -> Card:
    return summary_card(_summary_example(final), answers_until="12:30 CET")
