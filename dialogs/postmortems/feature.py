"""Installs the postmortem feature: `/postmortem`, its card buttons, the review-thread listener, and
the GitLab/tracker outbox handlers and timers."""

from __future__ import annotations

from datetime import timedelta

from botbuilder.core import TurnContext

from adapters.gitlab.docs import gitlab_docs_from_settings
from adapters.postmortems.delivery import register_postmortem_handlers
from adapters.postmortems.timers import postmortem_timer_handlers
from bot.commands import ALL_SCOPES, Command
from bot.feature import FeatureHost
from bot.postmortems.notifier import TeamsPostmortemNotifier
from dialogs.incidents.feature import INCIDENT_DESK, ISSUE_TRACKER
from dialogs.postmortems.actions import PostmortemActions
from dialogs.postmortems.commands import PostmortemCommands
from dialogs.postmortems.desk import PostmortemDesk
from domain.postmortems import service


def install_postmortems(host: FeatureHost, desk: PostmortemDesk) -> PostmortemCommands:
    """Register `/postmortem`, the postmortem card verbs (and the report's "Start postmortem"), and the
    review-thread listener that nudges towards blameless wording."""
    commands = PostmortemCommands(desk)
    host.commands.register(
        Command(
            "postmortem",
            "postmortem start | action | review | agree | done | comment | show | list | search",
            "Write the postmortem of a resolved incident, agree corrective actions, search past ones",
            ALL_SCOPES,
            commands.handle,
            (
                "/postmortem start INC-7 @Luca",
                "/postmortem action INC-7 alert on queue depth @Luca fri",
                "/postmortem review INC-7",
                "/postmortem agree INC-7",
                "/postmortem done INC-7 A1",
                "/postmortem comment INC-7 the timeline misses the failover",
                "/postmortem show INC-7",
                "/postmortem list",
                "/postmortem search certificate",
            ),
        )
    )
    PostmortemActions(desk).register(host.card_actions)

    async def scan_review_comment(turn_context: TurnContext, text: str) -> None:
        # Comments in a review thread get the blameless check; the nudge goes through the outbox.
        if not text.strip() or ";messageid=" not in (turn_context.activity.conversation.id or ""):
            return
        postmortem = await desk.in_review_thread(turn_context.activity.conversation.id)
        if postmortem is not None and not postmortem.is_closed:
            await desk.run(service.review_comment, postmortem.incident_number, text)

    host.add_channel_listener(scan_review_comment)
    return commands


class PostmortemsFeature:
    """The whole postmortem feature: chat, card buttons, GitLab/tracker outbox handlers and timers.

    GitLab is used when GITLAB_URL is set; without it the postmortem lives in its Teams thread.
    """

    name = "postmortems"
    # A postmortem is an incident's: it reads incidents through their desk and files actions in Jira.
    requires: tuple[str, ...] = ("incidents",)

    def install(self, host: FeatureHost) -> None:
        gitlab = gitlab_docs_from_settings(host.settings)
        enabled = gitlab is not None
        notifier = TeamsPostmortemNotifier(host.teams, gitlab_enabled=enabled)
        incidents = host.service(INCIDENT_DESK)
        desk = PostmortemDesk(host.uow, host.clock, notifier, incidents, gitlab_enabled=enabled)
        install_postmortems(host, desk)
        register_postmortem_handlers(
            host.outbox,
            gitlab=gitlab,
            jira=host.service(ISSUE_TRACKER),
            results=desk,
            clock=host.clock,
            consistency_window=timedelta(seconds=host.settings.consistency_window),
        )
        for kind, handler in postmortem_timer_handlers(desk.context).items():
            host.timers.register(kind, handler)
        if gitlab is not None:
            host.on_close(gitlab.close)
