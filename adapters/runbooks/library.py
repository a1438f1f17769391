"""The runbook library: GitLab read with ETag into stored copies, and the use cases' view of them.

GitLab is asked outside any database transaction (`fetch`, `prefetch`), each answer stored in a
short one; the use cases then read the stored copies on their own unit of work (`source(uow)`),
so a slow GitLab never holds a transaction open. When GitLab does not answer, the stored copy is
used and the card says how old it is ("works when GitLab is briefly down").
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from sqlalchemy.exc import IntegrityError

from adapters.gitlab.runbooks import GitLabRunbooks
from adapters.outbox_relay import PermanentFailure, RetryLater
from domain.circle import Circle
from domain.clock import Clock
from domain.incidents.sla import humanize
from domain.ports import UnitOfWork, UnitsOfWork
from domain.runbooks.drill import Question
from domain.runbooks.ports import RunbookCopies, RunbookCopy, RunbookUnavailable, StoredFile
from domain.runbooks.questions import BANK_DIR, bank_questions
from domain.services import Service, runbook_web_url

log = logging.getLogger(__name__)

BANK_SUFFIXES = (".yaml", ".yml")


class RunbookLibrary:
    def __init__(self, uow: UnitsOfWork, clock: Clock, gitlab: GitLabRunbooks | None) -> None:
        self._uow = uow
        self._clock = clock
        self._gitlab = gitlab

    def web_url(self, circle: Circle, path: str, section: str | None = None) -> str | None:
        if self._gitlab is None:
            return None
        return runbook_web_url(self._gitlab.web_url, circle.docs_repo, circle.runbooks.branch, path, section)

    async def fetch(self, circle: Circle, service: Service) -> RunbookCopy:
        """The runbook now: GitLab (conditional on our ETag), else the stored copy with its age."""
        cached, note = await self._fetch_file(circle, service.runbook)
        if cached is None:
            raise RunbookUnavailable(note or "GitLab is not configured (GITLAB_URL), so I have no copy of the runbook")
        return self._copy(circle, service, cached, note)

    async def prefetch(self, circle: Circle) -> list[str]:
        """Fetch every runbook and the question bank, so the use cases read fresh stored copies.

        Returns what GitLab could not answer this time (it may answer later: down, or rate limited).
        """
        unanswered: list[str] = []
        for service in circle.services:
            unanswered += await self._refresh(circle, service.runbook)
        if self._gitlab is None:
            return unanswered
        try:
            paths = await self._gitlab.list_files(
                project=circle.docs_repo, ref=circle.runbooks.branch, directory=BANK_DIR, suffixes=BANK_SUFFIXES
            )
        except RetryLater as error:
            return [*unanswered, str(error)]
        except PermanentFailure as error:
            log.warning("cannot list the question bank of %s: %s", circle.name, error)
            return unanswered
        for path in paths:
            unanswered += await self._refresh(circle, path)
        return unanswered

    async def _refresh(self, circle: Circle, path: str) -> list[str]:
        try:
            await self._fetch_file(circle, path, raise_retry=True)
        except RetryLater as error:
            return [str(error)]
        return []

    def source(self, uow: UnitOfWork) -> StoredRunbooks:
        """The use cases' RunbookSource over the stored copies, on `uow`."""
        return StoredRunbooks(self, uow.runbook_copies)

    async def _fetch_file(
        self, circle: Circle, path: str, *, raise_retry: bool = False
    ) -> tuple[StoredFile | None, str | None]:
        project, ref = circle.docs_repo, circle.runbooks.branch
        async with self._uow.reader() as uow:
            cached = await uow.runbook_copies.get(project, ref, path)
        if self._gitlab is None:
            return cached, None
        now = self._clock.now()
        try:
            read = await self._gitlab.read_file(
                project=project, ref=ref, path=path, etag=cached.etag if cached and cached.present else None
            )
        except (RetryLater, PermanentFailure) as error:
            log.warning("GitLab read of %s failed: %s", path, error, extra={"gitlab_project": project})
            if raise_retry and isinstance(error, RetryLater):
                raise
            if cached is None:
                return None, f"GitLab did not answer and I have no stored copy of {path} ({error})"
            return cached, f"GitLab did not answer; this is my copy from {humanize(now - cached.fetched_at)} ago"
        if read.not_modified and cached is not None:
            fresh = StoredFile(cached.content, True, cached.etag, read.last_commit_at, now)
        elif read.content is None:
            fresh = StoredFile("", False, None, None, now)
        else:
            fresh = StoredFile(read.content, True, read.etag, read.last_commit_at, now)
        try:
            async with self._uow() as uow:
                await uow.runbook_copies.put(project, ref, path, fresh)
                await uow.commit()
        except IntegrityError:
            # Another turn or replica stored its first copy of this file at the same moment: either will do.
            log.debug("copy of %s stored concurrently", path)
        return fresh, None

    def _copy(self, circle: Circle, service: Service, cached: StoredFile, note: str | None) -> RunbookCopy:
        return RunbookCopy(
            path=service.runbook,
            markdown=cached.content if cached.present else None,
            last_commit_at=cached.last_commit_at,
            web_url=self.web_url(circle, service.runbook),
            age_note=note,
        )


class StoredRunbooks:
    """Implements domain.runbooks.ports.RunbookSource on the stored copies (no GitLab call)."""

    def __init__(self, library: RunbookLibrary, copies: RunbookCopies) -> None:
        self._library = library
        self._copies = copies

    async def runbook(self, circle: Circle, service: Service) -> RunbookCopy:
        cached = await self._copies.get(circle.docs_repo, circle.runbooks.branch, service.runbook)
        if cached is None:
            raise RunbookUnavailable(f"I have never been able to read {service.runbook} from GitLab")
        return self._library._copy(circle, service, cached, _age_note(cached.fetched_at, self._library._clock.now()))

    async def question_bank(self, circle: Circle) -> tuple[list[Question], list[str]]:
        files = await self._copies.under(circle.docs_repo, circle.runbooks.branch, BANK_DIR)
        questions: list[Question] = []
        errors: list[str] = []
        for path, cached in sorted(files.items()):
            if not cached.present or not path.endswith(BANK_SUFFIXES):
                continue
            try:
                entries = YAML(typ="safe").load(cached.content)
            except YAMLError as error:
                errors.append(f"{path}: not valid YAML ({str(error).splitlines()[0]})")
                continue
            found, mistakes = bank_questions(path, entries)
            questions += found
            errors += mistakes
        return questions, errors


def _age_note(fetched_at: datetime, now: datetime) -> str | None:
    # Prefetched moments ago: current. Older means the last GitLab read failed.
    if now - fetched_at <= timedelta(minutes=5):
        return None
    return f"GitLab did not answer; this is my copy from {humanize(now - fetched_at)} ago"
