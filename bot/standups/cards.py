"""Adaptive Cards of the stand-up: the private prompt, the sent answer, the summary, the statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.cards import Card, adaptive_card, execute_action, fact_set, text_block
from domain.circle import StandupQuestions
from domain.incidents.sla import humanize
from domain.local_time import format_date
from domain.oncall.handover import IncidentLine
from domain.standups.model import MAX_ANSWER_LENGTH, Entry
from domain.standups.ports import OpenBlocker, PromptDraft, WipActivity
from domain.standups.service import MemberStats, Stats
from domain.standups.summary import BlockerLine, PersonLine, Summary

ANSWER_VERB = "standup.answer"
EDIT_VERB = "standup.edit"
YESTERDAY, TODAY, BLOCKERS = "yesterday", "today", "blockers"
SOLVED_PREFIX = "solved_"
# One answer on the summary stays short: the card must stay readable (and under Teams' size limit).
MAX_SHOWN_ANSWER = 280


def day_label(day: date) -> str:
    """ "Tue 1 Dec", as every card writes a day (the one clock)."""
    return format_date(day, day)


def prompt_card(draft: PromptDraft) -> Card:
    """The private prompt: the three questions as inputs, prefilled, open blockers to tick as solved."""
    verb = "Edit your stand-up" if draft.editing else "Stand-up"
    body: list[dict[str, Any]] = [
        text_block(f"{verb} · {draft.circle} · {day_label(draft.day)}", size="Medium", weight="Bolder"),
        text_block(f"Answers count for this stand-up until {draft.answers_until}.", subtle=True),
    ]
    body += [text_block(note, color="attention") for note in draft.notes]
    if draft.incidents:
        body.append(
            text_block("Incidents since your last stand-up:\n\n" + "\n\n".join(f"• {i}" for i in draft.incidents))
        )
    if draft.activity is not None:
        body.append(text_block(_activity(draft.activity)))
    body += [
        _input(YESTERDAY, draft.questions.yesterday, draft.yesterday),
        _input(TODAY, draft.questions.today, draft.today),
        _input(BLOCKERS, draft.questions.blockers, draft.blockers, placeholder="none — one blocker per line"),
    ]
    body += [_solved_toggle(blocker) for blocker in draft.open_blockers]
    send = "Save changes" if draft.editing else "Send"
    return adaptive_card(
        body, [execute_action(send, ANSWER_VERB, {"circle": draft.circle, "day": draft.day.isoformat()})]
    )


def answered_card(circle: str, entry: Entry, questions: StandupQuestions, sent_at: str) -> Card:
    """What replaces the prompt once answered: the answer as sent, and an Edit button."""
    facts = [(questions.yesterday, entry.yesterday or "—"), (questions.today, entry.today or "—")]
    facts.append((questions.blockers, entry.blockers or "none"))
    what = "updated" if entry.edited_at else "sent"
    return adaptive_card(
        [
            text_block(f"Stand-up · {circle} · {day_label(entry.day)}", size="Medium", weight="Bolder"),
            text_block(f"Thanks, {what} at {sent_at}; the summary in the channel shows it.", subtle=True),
            fact_set(facts),
        ],
        [execute_action("Edit", EDIT_VERB, {"circle": circle, "day": entry.day.isoformat()})],
    )


def skipped_card(circle: str, entry: Entry) -> Card:
    reason = f" ({entry.reason})" if entry.reason else ""
    return adaptive_card(
        [
            text_block(f"Stand-up · {circle} · {day_label(entry.day)}", size="Medium", weight="Bolder"),
            text_block(f"Skipped{reason}. `/standup` answers after all."),
        ]
    )


def summary_card(summary: Summary, *, answers_until: str) -> Card:
    """The channel's card: incidents and on-call first, then blockers, then each person, compact."""
    state = "final" if summary.final else f"live until {answers_until}"
    body: list[dict[str, Any]] = [
        text_block(f"Stand-up · {summary.circle} · {day_label(summary.day)}", size="Medium", weight="Bolder"),
        text_block(f"{summary.progress} · {state}", subtle=True),
    ]
    if summary.incidents:
        body.append(text_block("Open incidents", weight="Bolder", color="attention"))
        body.append(text_block("\n\n".join(_incident(line) for line in summary.incidents)))
    if summary.on_call:
        body.append(text_block("On call today: " + ", ".join(summary.on_call)))
    if summary.blockers:
        body.append(text_block("Blockers and tensions", weight="Bolder", color="warning"))
        body.append(text_block("\n\n".join(_blocker(b) for b in summary.blockers)))
    if summary.overdue_activities:
        body.append(text_block("Overdue activities: " + "; ".join(summary.overdue_activities), color="warning"))
    answered = [p for p in summary.people if p.state == "answered"]
    if answered:
        body.append(fact_set([(p.name + _note(p), _answer(p)) for p in answered]))
    others = [p for p in summary.people if p.state != "answered" and p.state not in ("not answered", "not asked yet")]
    if others:
        body.append(fact_set([(p.name, p.state + (f" — {p.note}" if p.note else "")) for p in others]))
    if summary.not_answered:
        label = "Did not answer" if summary.final else "Not answered yet"
        body.append(text_block(f"{label}: {', '.join(summary.not_answered)}", subtle=True))
    waiting = [p.name for p in summary.people if p.state == "not asked yet"] if not summary.final else []
    if waiting:
        body.append(text_block(f"Asked later in their time zone: {', '.join(waiting)}", subtle=True))
    if summary.unreachable:
        body.append(
            text_block(
                f"I cannot reach {', '.join(summary.unreachable)} privately: "
                "say hi to the bot once in a personal chat.",
                color="attention",
            )
        )
    if not summary.final:
        body.append(text_block("`/standup` in a personal chat with me answers or edits your stand-up.", subtle=True))
    return adaptive_card(body)


def stats_card(stats: Stats) -> Card:
    """`/standup stats`: for the Team Leader's eyes, in the personal chat."""
    facts = [(m.name, _participation(m)) for m in stats.members]
    return adaptive_card(
        [
            text_block(f"Stand-up statistics · {stats.circle}", size="Medium", weight="Bolder"),
            text_block(f"{stats.first.isoformat()} → {stats.last.isoformat()}", subtle=True),
            fact_set(facts),
            text_block(f"Blockers raised: {stats.blockers_raised} · solved: {stats.blockers_solved}"),
        ]
    )


def _participation(member: MemberStats) -> str:
    median = f" · median answer after {humanize(member.median_answer)}" if member.median_answer is not None else ""
    return f"{member.answered} of {member.asked} answered{median}"


def _input(name: str, label: str, value: str, placeholder: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "isMultiline": True,
        "maxLength": MAX_ANSWER_LENGTH,
        "value": value,
    }
    if placeholder:
        element["placeholder"] = placeholder
    return element


def _solved_toggle(blocker: OpenBlocker) -> dict[str, Any]:
    return {
        "type": "Input.Toggle",
        "id": f"{SOLVED_PREFIX}{blocker.id}",
        "title": f"Solved: {blocker.text} (day {blocker.age})",
        "value": "false",
        "valueOn": "true",
        "valueOff": "false",
        "wrap": True,
    }


def _activity(activity: WipActivity) -> str:
    feedback = f" — last feedback: {activity.last_feedback}" if activity.last_feedback else ""
    title = f"[{activity.title}]({activity.url})" if activity.url else activity.title
    return f"Your WIP activity: {title}{feedback}"


def _incident(line: IncidentLine) -> str:
    commander = f" · commander {line.commander}" if line.commander else ""
    return f"**{line.key}** {line.severity} {line.title} · {line.status}{commander} · {line.sla}"


def _blocker(line: BlockerLine) -> str:
    return f"• {line.member}: {line.text} (day {line.age})"


def _note(person: PersonLine) -> str:
    return f" ({person.note})" if person.note else ""


def _answer(person: PersonLine) -> str:
    parts = [f"Yesterday: {_short(person.yesterday)}" if person.yesterday else ""]
    parts.append(f"Today: {_short(person.today)}" if person.today else "")
    return " · ".join(filter(None, parts)) or "—"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_SHOWN_ANSWER else flat[: MAX_SHOWN_ANSWER - 1] + "…"
