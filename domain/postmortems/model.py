"""The postmortem: a blameless analysis of an incident, reviewed by the circle, ending in corrective actions.

States: draft → in review → actions agreed → closed. It closes by itself once every agreed
action is filed in the circle's tracker and, when the draft lives in GitLab, its merge request
is merged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

MAX_ACTION_LENGTH = 500
SLUG_LENGTH = 40
MERGED, CLOSED_UNMERGED, OPENED = "merged", "closed", "opened"


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    ACTIONS_AGREED = "actions_agreed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """How people say it: "in review", "actions agreed"."""
        return self.value.replace("_", " ")


REVIEWING = frozenset({PostmortemStatus.DRAFT, PostmortemStatus.IN_REVIEW})


class ActionTracker(StrEnum):
    """Where a corrective action is filed; CHAT when the circle's tracker is not configured."""

    JIRA = "jira"
    GITLAB = "gitlab"
    CHAT = "chat"


class PostmortemError(ValueError):
    """A rule of the postmortem process was broken; the message says what to do instead."""


@dataclass(frozen=True)
class PostmortemEvent:
    """Something that happened to a postmortem; the service turns these into outbox rows."""

    name: str
    detail: str = ""
    action: int | None = None


@dataclass
class CorrectiveAction:
    """One thing the team agreed to change, with an owner and a due date."""

    number: int
    text: str
    owner: str
    due: date
    added_by: str
    added_at: datetime
    tracker: ActionTracker | None = None
    issue_ref: str | None = None
    issue_url: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None

    @property
    def key(self) -> str:
        return f"A{self.number}"

    @property
    def filed(self) -> bool:
        """In the circle's tracker (or deliberately tracked in chat only)."""
        return self.issue_ref is not None or self.tracker is ActionTracker.CHAT

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass
class Postmortem:
    """The aggregate, one per incident. Every change checks its rule and records an event."""

    incident_number: int
    circle: str
    title: str
    owner: str
    started_by: str
    started_at: datetime
    due: date
    slug: str
    document_date: date
    status: PostmortemStatus = PostmortemStatus.DRAFT
    triggers: tuple[str, ...] = ()
    root_cause: str | None = None
    summary: str | None = None
    merge_request_iid: int | None = None
    merge_request_url: str | None = None
    merge_request_state: str | None = None
    merge_request_checks: int = 0
    merge_request_checked_at: datetime | None = None
    review_requested_at: datetime | None = None
    agreed_at: datetime | None = None
    agreed_by: str | None = None
    closed_at: datetime | None = None
    revision: int = 0
    actions: list[CorrectiveAction] = field(default_factory=list)
    events: list[PostmortemEvent] = field(default_factory=list, repr=False)

    @classmethod
    def start(
        cls,
        *,
        incident_number: int,
        circle: str,
        title: str,
        owner: str,
        started_by: str,
        at: datetime,
        due: date,
        document_date: date,
        triggers: tuple[str, ...] = (),
        root_cause: str | None = None,
        summary: str | None = None,
    ) -> Postmortem:
        """A new draft for INC-<incident_number>, owned by `owner` (a member handle)."""
        postmortem = cls(
            incident_number=incident_number,
            circle=circle,
            title=title,
            owner=owner,
            started_by=started_by,
            started_at=at,
            due=due,
            slug=slugify(title),
            document_date=document_date,
            triggers=triggers,
            root_cause=root_cause,
            summary=summary,
        )
        postmortem._record("started", f"started by {started_by}")
        return postmortem

    @property
    def incident_key(self) -> str:
        return f"INC-{self.incident_number}"

    @property
    def branch(self) -> str:
        """The docs-repository branch the draft is written on."""
        return f"postmortem/{self.incident_key}-{self.slug}"

    @property
    def path(self) -> str:
        """The markdown file of the postmortem in the docs repository."""
        return f"postmortems/{self.document_date.isoformat()}-{self.incident_key}-{self.slug}.md"

    @property
    def is_closed(self) -> bool:
        return self.status is PostmortemStatus.CLOSED

    def action(self, number: int) -> CorrectiveAction:
        """Corrective action A<number>, or a PostmortemError listing the ones there are."""
        found = next((a for a in self.actions if a.number == number), None)
        if found is None:
            known = ", ".join(a.key for a in self.actions) or "none yet"
            raise PostmortemError(f"{self.incident_key} has no action A{number} (actions: {known})")
        return found

    def review_overdue(self, today: date) -> bool:
        """The team has not agreed the actions by the due date."""
        return self.status in REVIEWING and today > self.due

    def request_review(self, by: str) -> None:
        """The owner says the draft is ready for the team to read."""
        if self.status is not PostmortemStatus.DRAFT:
            raise PostmortemError(f"the postmortem of {self.incident_key} is {self.status.label}, not a draft")
        self.status = PostmortemStatus.IN_REVIEW
        self._record("review_requested", f"review requested by {by}")

    def add_action(self, *, text: str, owner: str, due: date, by: str, at: datetime, today: date) -> CorrectiveAction:
        """A corrective action; once the actions are agreed, a late one is filed at once."""
        if self.is_closed:
            raise PostmortemError(f"the postmortem of {self.incident_key} is closed; open a new activity instead")
        text = " ".join(text.split())
        if not text:
            raise PostmortemError(
                f"say what will change: `/postmortem action {self.incident_key} add an alert on queue depth @sara 2w`"
            )
        if len(text) > MAX_ACTION_LENGTH:
            raise PostmortemError(f"the action has {len(text)} characters; keep it under {MAX_ACTION_LENGTH}")
        if due < today:
            raise PostmortemError(f"the due date {due.isoformat()} is in the past; pick today or later")
        action = CorrectiveAction(
            number=max((a.number for a in self.actions), default=0) + 1,
            text=text,
            owner=owner,
            due=due,
            added_by=by,
            added_at=at,
        )
        self.actions.append(action)
        self._record("action_added", f"{action.key} added by {by}", action.number)
        return action

    def agree(self, by: str, at: datetime) -> None:
        """The team has reviewed the postmortem and agrees on its corrective actions."""
        if self.status not in REVIEWING:
            raise PostmortemError(f"the actions of {self.incident_key} are already agreed ({self.status.label})")
        if not self.actions:
            raise PostmortemError(
                f"agree on at least one corrective action first: `/postmortem action {self.incident_key} <what> "
                "@owner <due>`"
            )
        self.status = PostmortemStatus.ACTIONS_AGREED
        self.agreed_at, self.agreed_by = at, by
        self._record("agreed", f"actions agreed by {by}")

    def mark_filing(self, number: int, tracker: ActionTracker) -> None:
        """Remember where action A<number> is being filed (CHAT files it at once)."""
        action = self.action(number)
        action.tracker = tracker
        self.revision += 1

    def record_action_filed(self, number: int, ref: str, url: str | None) -> bool:
        """The tracker has the issue for A<number>; False when that was already known."""
        action = self.action(number)
        if action.issue_ref == ref:
            return False
        action.issue_ref, action.issue_url = ref, url
        self._record("action_filed", f"{action.key} filed as {ref}", number)
        return True

    def record_merge_request(self, iid: int, url: str) -> bool:
        """The draft's merge request exists; False when that was already known."""
        if self.merge_request_iid == iid and self.merge_request_url == url:
            return False
        self.merge_request_iid, self.merge_request_url = iid, url
        self.merge_request_state = self.merge_request_state or OPENED
        self._record("merge_request", f"merge request !{iid}")
        return True

    def record_merge_request_state(self, state: str) -> bool:
        """GitLab's answer to "is the draft merged?"; True when the state changed."""
        if state == self.merge_request_state:
            return False
        self.merge_request_state = state
        self._record("merge_request_state", state)
        return True

    def complete_action(self, number: int, by: str, at: datetime) -> CorrectiveAction:
        """The owner says the action is done, which stops its reminders."""
        action = self.action(number)
        if action.done:
            raise PostmortemError(f"{self.incident_key} {action.key} was already done")
        action.done_at, action.done_by = at, by
        self._record("action_done", f"{action.key} done by {by}", number)
        return action

    def ready_to_close(self, *, needs_merge: bool) -> bool:
        """Every agreed action is filed and, when the draft is in GitLab, its MR is merged."""
        if self.status is not PostmortemStatus.ACTIONS_AGREED:
            return False
        if not all(action.filed for action in self.actions):
            return False
        return not needs_merge or self.merge_request_state == MERGED

    def close_if_ready(self, at: datetime, *, needs_merge: bool) -> bool:
        """Close when ready_to_close; True when it closed now."""
        if not self.ready_to_close(needs_merge=needs_merge):
            return False
        self.status = PostmortemStatus.CLOSED
        self.closed_at = at
        self._record("closed", "closed")
        return True

    def waits_for_merge(self) -> bool:
        """Agreed, and only GitLab's merge stands between it and closing."""
        return self.status is PostmortemStatus.ACTIONS_AGREED and self.merge_request_state != MERGED

    def pop_events(self) -> list[PostmortemEvent]:
        events, self.events = self.events, []
        return events

    def _record(self, name: str, detail: str, action: int | None = None) -> None:
        self.revision += 1
        self.events.append(PostmortemEvent(name, detail, action))


def slugify(title: str) -> str:
    """A branch- and file-safe slug of a title: "Checkout API returns 500" -> "checkout-api-returns-500"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > SLUG_LENGTH:
        cut = slug[:SLUG_LENGTH]
        # Cut at a word boundary unless the limit already falls on one.
        slug = cut if slug[SLUG_LENGTH] == "-" else (cut.rsplit("-", 1)[0] or cut)
    return slug or "incident"


def parse_action_key(text: str) -> int | None:
    """The number in "A2" (any case), or None when `text` is not an action id."""
    word = text.strip().upper()
    digits = word[1:]
    # ASCII digits only ("A²" is no action), and few enough to be a real one.
    if word.startswith("A") and digits.isascii() and digits.isdecimal() and len(digits) <= 4:
        return int(digits)
    return None
