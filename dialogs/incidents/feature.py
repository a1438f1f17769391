"""Installs the incident feature: the `/incident` command, its card buttons, and thread recording;
the incident timers; and Jira, when JIRA_URL is set."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from botbuilder.core import TurnContext

from adapters.incidents.timers import incident_timer_handlers
from adapters.jira.delivery import register_jira_handlers
from adapters.jira.tracker import jira_tracker_from_settings
from bot.commands import SHARED_SCOPES, Command
from bot.feature import FeatureHost, ServiceKey
from bot.incidents.notifier import TeamsIncidentNotifier
from dialogs.incidents.actions import IncidentActions
from dialogs.incidents.commands import EXAMPLES, IncidentCommands
from dialogs.incidents.dead_rows import dead_row_reporter
from dialogs.incidents.desk import IncidentDesk, actor
from domain.incidents import service
from domain.incidents.issue_tracker import IssueTracker
from domain.incidents.model import parse_incident_key

# What the incident feature offers the features that require it.
INCIDENT_DESK: ServiceKey[IncidentDesk] = ServiceKey("incidents.desk")
# The Jira client, or None without JIRA_URL; postmortems file their corrective actions with it.
ISSUE_TRACKER: ServiceKey[IssueTracker | None] = ServiceKey("incidents.issue_tracker")


class IncidentsFeature:
    name = "incidents"
    requires: tuple[str, ...] = ()

    def install(self, host: FeatureHost) -> None:
        tracker = jira_tracker_from_settings(host.settings)
        notifier = TeamsIncidentNotifier(host.teams, jira_enabled=tracker is not None)
        desk = IncidentDesk(host.uow, host.clock, notifier, jira_enabled=tracker is not None)
        if tracker is not None:
            register_jira_handlers(
                host.outbox,
                tracker,
                on_issue_created=_link_jira_issue(desk),
                clock=host.clock,
                consistency_window=timedelta(seconds=host.settings.consistency_window),
            )
            host.on_close(tracker.close)
        host.on_dead_row(dead_row_reporter(desk))
        for kind, handler in incident_timer_handlers(host.clock, notifier, jira_enabled=desk.jira_enabled).items():
            host.timers.register(kind, handler)
        install_incidents(host, desk)
        host.provide(INCIDENT_DESK, desk)
        host.provide(ISSUE_TRACKER, tracker)


def install_incidents(host: FeatureHost, desk: IncidentDesk) -> IncidentCommands:
    """Register `/incident`, the incident card verbs, and the incident-thread recorder."""
    commands = IncidentCommands(desk)
    host.commands.register(
        Command(
            "incident",
            "incident [P1-P4 <title>] | ack | status | note | assign | severity | impact | update | resolve | "
            "reopen | close | show | list",
            "Declare an incident (form, or at once with a severity and title) and work it",
            SHARED_SCOPES,
            commands.handle,
            EXAMPLES,
        )
    )
    IncidentActions(desk, commands).register(host.card_actions)

    async def record_thread_message(turn_context: TurnContext, text: str) -> None:
        # Ordinary messages in an incident's thread are part of its story (the timeline).
        if not text.strip():
            return
        here = await desk.incident_here(turn_context)
        if here is None or not here[0].is_open:
            return
        incident, circle = here
        await desk.run(service.add_note, incident.number, actor(turn_context, circle), text, kind="thread")

    host.add_channel_listener(record_thread_message)
    return commands


def _link_jira_issue(desk: IncidentDesk) -> Callable[[dict[str, Any], str], Awaitable[None]]:
    async def on_issue_created(payload: dict[str, Any], key: str) -> None:
        number = parse_incident_key(str(payload["incident"]))
        if number is not None:
            await desk.run(service.link_issue, number, key)

    return on_issue_created
