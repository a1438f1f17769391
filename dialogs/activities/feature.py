"""Registers the activities feature: `/activity`, its card buttons, the GitLab outbox handlers, the
webhook, the feedback and morning-check timers (planned by the shared planner) and the reconcile job."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from adapters.activities.timers import activity_timer_handlers
from adapters.gitlab.activities import gitlab_activities_from_settings
from adapters.gitlab.activity_delivery import register_activity_handlers
from adapters.gitlab.webhook import GITLAB_WEBHOOK_PATH, WebhookHandlers, gitlab_webhook
from bot.activities.notifier import TeamsActivityNotifier
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost, ServiceKey
from dialogs.activities.actions import ActivityActions
from dialogs.activities.commands import ActivityCommands
from dialogs.activities.desk import ActivityDesk
from domain.activities.schedule import SCHEDULES

log = logging.getLogger(__name__)

# Stand-ups (which require "activities") plug in here: `desk.standups = …` prefills the feedback card,
# and they read `desk.wip_summary(...)`, `desk.overdue(...)`, `desk.feedback_from_standup(...)`.
ACTIVITY_DESK = ServiceKey[ActivityDesk]("activities.desk")


class ActivitiesFeature:
    """GitLab activities: one at a time, daily feedback, review by the Team Leader (needs GITLAB_URL)."""

    name = "activities"
    requires: tuple[str, ...] = ()

    def install(self, host: FeatureHost) -> None:
        gitlab = gitlab_activities_from_settings(host.settings)
        notifier = TeamsActivityNotifier(host.teams)
        desk = ActivityDesk(host.uow, host.clock, notifier, gitlab_enabled=gitlab is not None)
        commands = ActivityCommands(desk)
        host.commands.register(
            Command(
                "activity",
                "activity [new | import <issue> | start #12 | park | feedback <text> | ready | list [@member]]",
                "Your GitLab activities: one at a time, daily feedback, review by the Team Leader",
                ALL_SCOPES,
                commands.handle,
                (
                    "/activity",
                    "/activity new",
                    "/activity import #12",
                    "/activity start #12",
                    "/activity park",
                    "/activity feedback migrated the staging database",
                    "/activity ready",
                    "/activity list @Luca",
                    "/activity approve #12",
                    "/activity changes #12 add the rollback steps",
                ),
            )
        )
        ActivityActions(desk).register(host.card_actions)
        register_activity_handlers(
            host.outbox,
            gitlab,
            desk,
            clock=host.clock,
            consistency_window=timedelta(seconds=host.settings.consistency_window),
        )
        for kind, handler in activity_timer_handlers(desk.context).items():
            host.timers.register(kind, handler)
        for schedule in SCHEDULES:
            host.planner.register(schedule)
        handlers = WebhookHandlers(
            issue=desk.on_issue_event, note=desk.on_note_event, merge_request=desk.on_merge_request_event
        )
        host.add_route("POST", GITLAB_WEBHOOK_PATH, gitlab_webhook(host.settings.gitlab_webhook_token, handlers))
        if gitlab is not None:
            minutes = host.settings.gitlab_reconcile_minutes
            host.add_job("activities-reconcile", desk.reconcile_all, IntervalTrigger(minutes=minutes))
            host.on_close(gitlab.close)
        host.provide(ACTIVITY_DESK, desk)
