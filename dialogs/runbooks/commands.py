"""`/runbook …` and `/drill …` typed in chat: parse, run one use case, answer briefly or with a card."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.cards import card_message
from bot.commands import CommandArgs
from bot.runbooks.cards import gaps_card, readiness_lines, runbook_card
from dialogs.oncall.desk import find_member, mentions_as_handles
from dialogs.replies import say, sentence
from dialogs.runbooks.desk import RunbookDesk
from domain.oncall.moments import OnCallError
from domain.runbooks import service
from domain.runbooks.drill import DrillError, parse_topics_and_count
from domain.runbooks.service import RunbookError

RUNBOOK_USAGE = (
    "`/runbook <service> [alert]` the runbook card (in an incident's thread, `/runbook` is its service and alert) · "
    "`/runbook new <service>` a merge request from the template · "
    "`/runbook check` is every runbook complete and current? · `/runbook` lists the services"
)
DRILL_USAGE = (
    "`/drill start @member [process|architecture|troubleshooting|monitoring …] [n]` (Team Leader) · "
    "`/drill review` the gaps, filed as corrective actions · `/drill` recent drills and readiness"
)


class RunbookCommands:
    def __init__(self, desk: RunbookDesk) -> None:
        self._desk = desk

    async def runbook(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `runbook` command."""
        try:
            await self._runbook(turn_context, args.words)
        except RunbookError as error:
            await say(turn_context, sentence(str(error)))

    async def drill(self, turn_context: TurnContext, args: CommandArgs) -> None:
        """Entry point registered as the `drill` command."""
        try:
            await self._drill(turn_context, args.text)
        except (RunbookError, DrillError, OnCallError) as error:
            await say(turn_context, sentence(str(error)))

    async def _runbook(self, turn_context: TurnContext, words: list[str]) -> None:
        circle, member = await self._desk.member_here(turn_context)
        first = words[0].lower() if words else ""
        at_hand = await self._desk.at_hand(turn_context)
        if not words and at_hand is not None and circle.service(at_hand[0]) is not None:
            await turn_context.send_activity(card_message(runbook_card(await self._desk.view(circle, *at_hand))))
        elif not words:
            names = ", ".join(f"{s.name} ({s.runbook})" for s in circle.services)
            text = f"Services of {circle.name}: {names}." if names else (
                f"{circle.name} has no services yet: add `services:` to circles.yaml.")  # fmt: skip
            await say(turn_context, f"{text} {RUNBOOK_USAGE}")
        elif first == "new":
            if len(words) < 2:
                raise RunbookError(f"which service? `/runbook new <service>`. {RUNBOOK_USAGE}")
            request = await self._desk.new_runbook(circle, words[1], member)
            owner = circle.member(service.find_service(circle, words[1]).owner)
            await say(
                turn_context,
                f"Opening a merge request in {request.project} with {request.path} drafted from the template, "
                f"assigned to {owner.display_name if owner else 'the owner'}; "
                "I'll post its link here when GitLab has it.",
            )
        elif first == "check":
            if self._desk.gitlab_enabled:
                await say(turn_context, f"Checking the runbooks of {circle.name} in GitLab…")
            key = f"manual:{circle.name}:{turn_context.activity.id}"
            reports, unanswered = await self._desk.check_now(circle, key=key)
            bad = sum(not r.ok for r in reports)
            note = " GitLab did not answer for some files, so I checked my last copies of them." if unanswered else ""
            await say(
                turn_context,
                f"Done: {bad} of {len(reports)} runbooks need attention; the Team Leader has the summary"
                + (" and each owner was told privately." if bad else ".")
                + note,
            )
        else:
            alert = words[1] if len(words) > 1 else None
            if alert is None and at_hand is not None and at_hand[0].lower() == first:
                alert = at_hand[1]  # in the incident's thread: the alert that opened it
            await turn_context.send_activity(card_message(runbook_card(await self._desk.view(circle, words[0], alert))))

    async def _drill(self, turn_context: TurnContext, text: str) -> None:
        circle, caller = await self._desk.member_here(turn_context)
        words = mentions_as_handles(turn_context, circle, text).split()
        first = words[0].lower() if words else ""
        if first == "start":
            if len(words) < 2:
                raise RunbookError(f"who? {DRILL_USAGE}")
            member = find_member(circle, words[1])
            topics, count = parse_topics_and_count(words[2:], circle.runbooks.questions)
            await self._desk.library.prefetch(circle)
            drill, errors = await self._desk.run(
                service.start_drill, circle, caller, member, topics=topics, count=count
            )
            note = f" The question bank has mistakes: {'; '.join(errors[:3])}." if errors else ""
            await say(
                turn_context,
                f"Drill #{drill.id} sent to {member.display_name}: {len(drill.questions)} questions, one per card. "
                f"You'll grade open answers and get the results per topic.{note}",
            )
        elif first == "review":
            if caller.handle != circle.team_leader:
                raise RunbookError("the drill review is the Team Leader's; ask them to run `/drill review`")
            drills = await self._desk.read(service.open_gaps, circle)
            await turn_context.send_activity(card_message(gaps_card(circle, drills)))
        elif not words:
            lines = []
            for drill in await self._desk.recent_drills(circle):
                who = circle.member(drill.member)
                lines.append(f"#{drill.id} {who.display_name if who else drill.member}: {drill.status.value}, "
                             f"{round(drill.score() * 100)}%")  # fmt: skip
            text_lines = "; ".join(lines) if lines else "no drills yet"
            ready = ""
            if caller.handle == circle.team_leader:
                ready = " " + readiness_lines(circle, await self._desk.read(service.readiness, circle))
            await say(turn_context, f"Drills of {circle.name}: {text_lines}.{ready} {DRILL_USAGE}")
        else:
            raise RunbookError(f"I don't know `/drill {words[0]}`. {DRILL_USAGE}")
