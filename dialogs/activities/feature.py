"""Installs the activities feature: `/activity`, its card buttons, the GitLab outbox handlers, the
webhook, the feedback and morning-check timers (planned by the shared planner) and the reconcile job."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date

from aiohttp import web
from apscheduler.triggers.interval import IntervalTrigger

from adapters.gitlab.activities import gitlab_activities_from_settings
from adapters.gitlab.delivery import register_activity_handlers
from adapters.gitlab.webhook import WebhookHandlers, install_gitlab_webhook
from adapters.runtime import Runtime
from adapters.timer_tick import TimerHandler
from bot.activities.notifier import TeamsActivityNotifier
from bot.commands import ALL_SCOPES, Command
from bot.messenger import Messenger
from bot.wiring import BotComponents
from dialogs.activities.actions import ActivityActions
from dialogs.activities.commands import USAGE, ActivityCommands
from dialogs.activities.desk import ActivityDesk
from domain.activities import service
from domain.activities.model import ActivityError
from domain.activities.schedule import DAILY_CHECK_TIMER, FEEDBACK_REQUEST_TIMER, SCHEDULES
from storage.timers import DueTimer
from storage.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

# Where later features (stand-ups) find the activity desk: its ports and what it tells them.
ACTIVITIES = web.AppKey("activities", ActivityDesk)


def install_activities_feature(
    app: web.Application, runtime: Runtime, bot: BotComponents, messenger: Messenger
) -> ActivityDesk:
    """The whole activities feature; GitLab is used when GITLAB_URL is set (activities need it)."""
    gitlab = gitlab_activities_from_settings(runtime.settings)
    notifier = TeamsActivityNotifier(messenger, runtime.clock)
    desk = ActivityDesk(runtime.uow, runtime.clock, notifier, gitlab_enabled=gitlab is not None)
    commands = ActivityCommands(desk)
    bot.commands.register(
        Command(
            "activity",
            "activity [new | import <issue> | start #12 | park | feedback <text> | ready | list [@member]]",
            "Your GitLab activities: one at a time, daily feedback, review by the Team Leader",
            ALL_SCOPES,
            commands.handle,
        )
    )
    ActivityActions(desk).register(bot.card_actions)
    register_activity_handlers(runtime.relay, gitlab, desk)
    for kind, handler in activity_timer_handlers(desk).items():
        runtime.timers.register(kind, handler)
    for schedule in SCHEDULES:
        runtime.planner.register(schedule)
    install_gitlab_webhook(
        app,
        runtime.settings.gitlab_webhook_token,
        WebhookHandlers(issue=desk.on_issue_event, note=desk.on_note_event, merge_request=desk.on_merge_request_event),
    )
    if gitlab is not None:
        runtime.scheduler.add_leader_job(
            "activities-reconcile",
            desk.reconcile_all,
            IntervalTrigger(minutes=runtime.settings.gitlab_reconcile_minutes),
        )

        async def close_gitlab(_app: web.Application) -> AsyncIterator[None]:
            yield
            gitlab.close()

        app.cleanup_ctx.append(close_gitlab)
    app[ACTIVITIES] = desk
    log.debug("activities installed: %s", USAGE)
    return desk


def activity_timer_handlers(desk: ActivityDesk) -> dict[str, TimerHandler]:
    """The feedback request and the morning check, each run in the timer's own transaction."""

    async def feedback_request(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        payload = timer.payload
        try:
            await service.request_feedback(
                desk.context(uow), payload["circle"], payload["member"], date.fromisoformat(payload["day"])
            )
        except ActivityError as error:
            # The circle went away: retrying cannot help, so this run just ends.
            log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})

    async def daily_check(timer: DueTimer, uow: SqlUnitOfWork) -> None:
        payload = timer.payload
        try:
            done = await service.daily_check(desk.context(uow), payload["circle"], date.fromisoformat(payload["day"]))
        except ActivityError as error:
            log.warning("timer %s dropped: %s", timer.key, error, extra={"timer": timer.key})
            return
        if done:
            log.info("activity check of %s: %s", payload["circle"], ", ".join(done))

    return {FEEDBACK_REQUEST_TIMER: feedback_request, DAILY_CHECK_TIMER: daily_check}
