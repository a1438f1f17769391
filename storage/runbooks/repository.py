"""The runbooks repositories: cached runbook copies and drills, over one session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.runbooks.drill import Answer, Drill, Question, Verdict
from domain.runbooks.ports import StoredFile
from storage.runbooks.tables import DrillRow, RunbookCopyRow


class SqlRunbookCopies:
    """Implements domain.runbooks.ports.RunbookCopies on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, project: str, ref: str, path: str) -> StoredFile | None:
        """The last copy of `path`, or None when it was never read."""
        row = await self._row(project, ref, path)
        if row is None:
            return None
        return _cached(row)

    async def put(self, project: str, ref: str, path: str, copy: StoredFile) -> None:
        """Store (or replace) the copy of `path`."""
        row = await self._row(project, ref, path) or RunbookCopyRow(
            project=project, ref=ref, path=path, content="", fetched_at=copy.fetched_at
        )
        row.content, row.present, row.etag = copy.content, copy.present, copy.etag
        row.last_commit_at, row.fetched_at = copy.last_commit_at, copy.fetched_at
        self._session.add(row)
        await self._session.flush()

    async def under(self, project: str, ref: str, directory: str) -> dict[str, StoredFile]:
        """Every stored file directly under `directory`, by path."""
        query = select(RunbookCopyRow).where(
            RunbookCopyRow.project == project,
            RunbookCopyRow.ref == ref,
            col(RunbookCopyRow.path).startswith(directory.rstrip("/") + "/"),
        )
        return {row.path: _cached(row) for row in (await self._session.exec(query)).all()}

    async def _row(self, project: str, ref: str, path: str) -> RunbookCopyRow | None:
        query = select(RunbookCopyRow).where(
            RunbookCopyRow.project == project, RunbookCopyRow.ref == ref, RunbookCopyRow.path == path
        )
        return (await self._session.exec(query)).first()


class SqlDrills:
    """Implements domain.runbooks.ports.DrillRepository on one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, drill: Drill) -> Drill:
        row = DrillRow(circle=drill.circle, member=drill.member, started_by=drill.started_by,
                       started_at=drill.started_at, status=drill.status.value)  # fmt: skip
        _copy(drill, row)
        self._session.add(row)
        await self._session.flush()
        drill.id = row.id
        return drill

    async def get(self, drill_id: int) -> Drill | None:
        row = await self._session.get(DrillRow, drill_id)
        return _load(row) if row else None

    async def save(self, drill: Drill, pass_mark: float) -> None:
        row = await self._session.get(DrillRow, drill.id)
        if row is None:
            raise LookupError(f"drill {drill.id} does not exist")
        _copy(drill, row)
        row.score = drill.score()
        row.passed = drill.passed(pass_mark)
        self._session.add(row)
        await self._session.flush()

    async def of_circle(self, circle: str, *, member: str | None = None, limit: int = 50) -> list[Drill]:
        """The circle's drills (or one member's), newest first."""
        query = select(DrillRow).where(DrillRow.circle == circle)
        if member:
            query = query.where(DrillRow.member == member)
        rows = (await self._session.exec(query.order_by(col(DrillRow.started_at).desc()).limit(limit))).all()
        return [_load(row) for row in rows]

    async def last_passed(self, circle: str) -> dict[str, datetime]:
        """Per member, when they last passed a drill."""
        query = select(DrillRow.member, DrillRow.completed_at).where(
            DrillRow.circle == circle, col(DrillRow.passed).is_(True)
        )
        found: dict[str, datetime] = {}
        for member, completed in (await self._session.exec(query)).all():
            if completed is not None and (member not in found or completed > found[member]):
                found[member] = completed
        return found


def _cached(row: RunbookCopyRow) -> StoredFile:
    return StoredFile(row.content, row.present, row.etag, row.last_commit_at, row.fetched_at)


def _copy(drill: Drill, row: DrillRow) -> None:
    row.questions = [q.to_dict() for q in drill.questions]
    row.answers = {
        str(index): {"given": a.given, "verdict": a.verdict.value, "at": a.at.isoformat(),
                     "graded_by": a.graded_by, "note": a.note}
        for index, a in drill.answers.items()
    }  # fmt: skip
    row.status = drill.status.value
    row.completed_at = drill.completed_at
    row.gaps_filed_at = drill.gaps_filed_at
    row.revision = drill.revision


def _load(row: DrillRow) -> Drill:
    answers: dict[int, Answer] = {}
    for index, data in (row.answers or {}).items():
        answers[int(index)] = _answer(data)
    return Drill(
        id=row.id,
        circle=row.circle,
        member=row.member,
        started_by=row.started_by,
        started_at=row.started_at,
        questions=[Question.from_dict(q) for q in row.questions],
        answers=answers,
        completed_at=row.completed_at,
        gaps_filed_at=row.gaps_filed_at,
        revision=row.revision,
    )


def _answer(data: dict[str, Any]) -> Answer:
    return Answer(
        given=data["given"],
        verdict=Verdict(data["verdict"]),
        at=datetime.fromisoformat(data["at"]),
        graded_by=data.get("graded_by"),
        note=data.get("note") or "",
    )
