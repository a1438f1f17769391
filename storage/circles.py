"""Circles as stored: each circle's applied spec (storage/circle_spec.py) as JSON, looked up by name,
channel and alert labels, and rebuilt by the same conversion the circles file uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.circle import Circle
from domain.rota import Override
from storage.circle_config import CirclesConfig, applied_spec, circle_from_spec
from storage.circle_spec import CircleSpec, DefaultsSpec
from storage.rota_overrides import overrides_by_circle
from storage.types import UtcDateTime

DEFAULT_CIRCLE = "default_circle"


class CircleRow(SQLModel, table=True):
    __tablename__ = "circle"

    name: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=255)
    # NULL once deactivated, so a new circle may take the channel over (NULLs never collide).
    channel_id: str | None = Field(default=None, max_length=255, unique=True, index=True)
    # The order in the file: the first circle whose alert route matches takes the alert.
    position: int = 0
    # The applied CircleSpec as JSON (written like circles.yaml), read back by circle_config.circle_from_spec.
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    spec_hash: str = Field(max_length=64)
    active: bool = Field(default=True, index=True)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class CircleSettingRow(SQLModel, table=True):
    """File-wide settings of the circles file, such as `default_circle`."""

    __tablename__ = "circle_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str | None = Field(default=None, max_length=255)


@dataclass
class _Plan:
    lines: list[str]
    upserts: list[tuple[int, Circle, dict[str, Any]]]
    deactivate: list[CircleRow]
    default_changed: bool


class SqlCircles:
    """The circles repository on a session; writes become visible when the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, name: str) -> Circle | None:
        """The circle called `name`, even if deactivated (old incidents still refer to it)."""
        row = await self._session.get(CircleRow, name)
        return (await self._loaded([row]))[0] if row else None

    async def by_channel(self, channel_id: str) -> Circle | None:
        """The active circle working in this Teams channel."""
        query = select(CircleRow).where(col(CircleRow.channel_id) == channel_id, col(CircleRow.active))
        row = (await self._session.exec(query)).first()
        return (await self._loaded([row]))[0] if row else None

    async def active(self) -> list[Circle]:
        """Every active circle, in the order of the circles file."""
        query = select(CircleRow).where(col(CircleRow.active)).order_by(col(CircleRow.position))
        return await self._loaded(list((await self._session.exec(query)).all()))

    async def default_circle(self) -> Circle | None:
        """The circle that takes alerts no route matches, if the file names one and it is active."""
        name = await self._setting(DEFAULT_CIRCLE)
        row = await self._session.get(CircleRow, name) if name else None
        return (await self._loaded([row]))[0] if row and row.active else None

    async def for_alert(self, labels: Mapping[str, str]) -> Circle | None:
        """The first active circle with a matching alert route, else the default circle."""
        for circle in await self.active():
            if circle.routes_alert(labels):
                return circle
        return await self.default_circle()

    async def _loaded(self, rows: list[CircleRow]) -> list[Circle]:
        """Circles from their rows, with the overrides made in chat merged into their rotas."""
        stored = await overrides_by_circle(self._session, [row.name for row in rows])
        return [
            with_overrides(circle_from_spec(CircleSpec.model_validate(row.spec)), stored.get(row.name, ()))
            for row in rows
        ]

    async def apply(self, config: CirclesConfig, now: datetime, *, dry_run: bool = False) -> list[str]:
        """Make the stored circles match `config`; returns the changes, or ["no changes"].

        Circles missing from the file are deactivated, never deleted. With `dry_run` nothing is
        written. The caller commits.
        """
        plan = await self._plan(config)
        if not plan.lines:
            return ["no changes"]
        if not dry_run:
            await self._write(plan, config, now)
        return plan.lines

    async def _plan(self, config: CirclesConfig) -> _Plan:
        rows = {row.name: row for row in (await self._session.exec(select(CircleRow))).all()}
        lines: list[str] = []
        upserts: list[tuple[int, Circle, dict[str, Any]]] = []
        for position, (circle, applied) in enumerate(zip(config.circles, config.specs, strict=True)):
            spec = _canonical(applied.model_dump(mode="json"))
            row = rows.get(circle.name)
            if row is None:
                lines.append(f"+ circle {circle.name}")
                upserts.append((position, circle, spec))
                continue
            changes = [f"~ {circle.name}: {change}" for change in describe_changes(_as_now(row.spec), spec)]
            if row.position != position:
                changes.append(f"~ {circle.name}: position in file {row.position + 1} -> {position + 1}")
            if not row.active:
                changes.insert(0, f"+ circle {circle.name} (reactivated)")
            if changes:
                lines.extend(changes)
                upserts.append((position, circle, spec))
        wanted = {circle.name for circle in config.circles}
        deactivate = [row for name, row in sorted(rows.items()) if row.active and name not in wanted]
        lines.extend(f"- circle {row.name} (deactivated)" for row in deactivate)
        old_default = await self._setting(DEFAULT_CIRCLE)
        default_changed = old_default != config.default_circle
        if default_changed:
            lines.append(f"~ default_circle: {old_default or 'none'} -> {config.default_circle or 'none'}")
        return _Plan(lines, upserts, deactivate, default_changed)

    async def _write(self, plan: _Plan, config: CirclesConfig, now: datetime) -> None:
        # Free every channel that changes hands first: two circles swapping channels would
        # otherwise trip the unique index halfway through the flush.
        changed = [await self._session.get(CircleRow, circle.name) for _, circle, _ in plan.upserts]
        for row in [*plan.deactivate, *(row for row in changed if row is not None)]:
            row.channel_id = None
            self._session.add(row)
        await self._session.flush()
        for row in plan.deactivate:
            row.active = False
            row.updated_at = now
        for (position, circle, spec), existing in zip(plan.upserts, changed, strict=True):
            row = existing or CircleRow(
                name=circle.name, team_id=circle.team_id, spec=spec, spec_hash="", updated_at=now
            )
            row.team_id = circle.team_id
            row.channel_id = circle.channel_id
            row.position = position
            row.spec = spec
            row.spec_hash = spec_hash(spec)
            row.active = True
            row.updated_at = now
            self._session.add(row)
        if plan.default_changed:
            await self._set_setting(DEFAULT_CIRCLE, config.default_circle)
        await self._session.flush()

    async def _setting(self, key: str) -> str | None:
        row = await self._session.get(CircleSettingRow, key)
        return row.value if row else None

    async def _set_setting(self, key: str, value: str | None) -> None:
        row = await self._session.get(CircleSettingRow, key) or CircleSettingRow(key=key)
        row.value = value
        self._session.add(row)


def with_overrides(circle: Circle, overrides: Sequence[Override]) -> Circle:
    """`circle` with `overrides` after the file's own, so the newest override wins."""
    if not overrides:
        return circle
    return replace(circle, rota=replace(circle.rota, overrides=(*circle.rota.overrides, *overrides)))


def spec_hash(spec: Mapping[str, Any]) -> str:
    """A stable digest of a circle spec, to tell at a glance whether it changed."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def describe_changes(old: Any, new: Any, path: str = "") -> list[str]:
    """Readable differences between two circle specs: "sla.P1.acknowledge 5m -> 10m"."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines: list[str] = []
        for key in [*old, *(k for k in new if k not in old)]:
            child = f"{path}.{key}" if path else str(key)
            if key not in new:
                lines.append(f"{child} removed")
            elif key not in old:
                lines.append(f"{child} added")
            else:
                lines.extend(describe_changes(old[key], new[key], child))
        return lines
    if _is_keyed(old) and _is_keyed(new):
        # Members are compared by handle, so adding one does not "change" everyone after it.
        return describe_changes(_by_handle(old), _by_handle(new), path)
    if isinstance(old, list) and isinstance(new, list) and _has_dicts(old, new):
        lines = []
        for index in range(max(len(old), len(new))):
            child = f"{path}[{index}]"
            if index >= len(new):
                lines.append(f"{child} removed")
            elif index >= len(old):
                lines.append(f"{child} added")
            else:
                lines.extend(describe_changes(old[index], new[index], child))
        return lines
    return [] if old == new else [f"{path} {_show(old)} -> {_show(new)}"]


def _as_now(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored spec as the current CircleSpec writes it: a setting added since it was stored shows its
    default, not as a change, and values are spelled the way a fresh apply spells them."""
    return _canonical(applied_spec(CircleSpec.model_validate(stored), DefaultsSpec()).model_dump(mode="json"))


def _canonical(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as it comes back from a JSON column, so comparisons are like for like."""
    result: dict[str, Any] = json.loads(json.dumps(spec))
    return result


def _is_keyed(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    return all(isinstance(item, dict) and "handle" in item for item in value)


def _by_handle(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["handle"]: item for item in items}


def _has_dicts(*lists: list[Any]) -> bool:
    return any(isinstance(item, dict) for items in lists for item in items)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)
