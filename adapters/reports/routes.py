"""The dashboard tab's HTTP routes under /tabs/: never open.

Who may see what:
- a signed link from a report card: that circle and period, until the link expires;
- inside Teams: the member the tab's SSO token names (validated server-side), their circles;
- anonymous local mode (no MicrosoftAppId, the playground): requests from this machine only,
  and the page says so.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.reports.export import incidents_csv
from adapters.reports.links import LinkError, LinkSigner
from adapters.reports.page import fragment, page
from adapters.reports.teams_sso import SsoError, TeamsSsoValidator
from adapters.settings import Settings
from domain.circle import Circle
from domain.clock import Clock
from domain.reports.period import PeriodError, parse_period, weeks_back
from domain.reports.service import report_and_history
from domain.reports.trends import trends
from storage.circles import SqlCircles
from storage.database import Database
from storage.reports import queries
from storage.reports.reads import SqlReportReads

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TEAMS_JS = Path(__file__).resolve().parents[2] / "tools/teams-js/node_modules/@microsoft/teams-js/dist/umd"
WEEKS = 12
# Teams hosts tabs in these origins; everything the page loads comes from us.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'self' https://teams.microsoft.com https://*.teams.microsoft.com https://teams.live.com "
        "https://*.office.com https://*.cloud.microsoft"
    ),
    # Signed links carry their grant in the query: never hand it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
LOCAL_BANNER = (
    "Local mode: MicrosoftAppId is empty, so this dashboard opens without sign-in, for this machine only "
    "(the playground). With an app id it needs Teams sign-in or a signed link."
)


@dataclass(frozen=True)
class _Seen:
    """What one request may see and how the page should say it."""

    circle: Circle
    period: str
    note: str
    csv_href: str
    csv_needs_token: bool = False


class ReportRoutes:
    def __init__(
        self, settings: Settings, clock: Clock, database: Database, links: LinkSigner, sso: TeamsSsoValidator
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._database = database
        self._links = links
        self._sso = sso

    def routes(self) -> list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]]:
        """(method, path, handler) of every route under /tabs/."""
        return [
            ("GET", "/tabs/dashboard", self.dashboard),
            ("GET", "/tabs/dashboard/view", self.view),
            ("GET", "/tabs/export.csv", self.export),
            ("GET", "/tabs/configure", self.configure),
            ("GET", "/tabs/static/{name}", self.static),
        ]

    async def dashboard(self, request: web.Request) -> web.Response:
        """A signed link or local mode: the whole page; in Teams: the page that signs in first."""
        theme = request.query.get("theme", "default")
        if "sig" in request.query:
            try:
                grant = self._links.verify(dict(request.query), self._clock.now())
            except LinkError as error:
                return _html(page(title="circlebot", body=_message(str(error)), theme=theme), status=403)
            circle = await self._circle(grant.circle)
            if circle is None:
                return _html(page(title="circlebot", body=_message("this circle no longer exists"), theme=theme), 404)
            until = grant.expires.astimezone(ZoneInfo(circle.time_zone))
            seen = _Seen(circle, grant.period, f"shared link, valid until {until:%a %d %b %H:%M}",
                         "/tabs/export.csv?" + urlencode(dict(request.query)))  # fmt: skip
            return await self._page(seen, theme)
        if self._settings.anonymous:
            if not _is_local(request):
                return _html(page(title="circlebot", body=_message(LOCAL_BANNER), theme=theme), status=403)
            circles = await self._circles()
            circle = next(
                (c for c in circles if c.name == request.query.get("circle")), circles[0] if circles else None
            )
            if circle is None:
                return _html(page(title="circlebot", body=_message("no circle is configured yet"), theme=theme), 404)
            period = request.query.get("period", "week")
            csv_href = "/tabs/export.csv?" + urlencode({"circle": circle.name, "period": period})
            return await self._page(_Seen(circle, period, "local mode", csv_href), theme, banner=LOCAL_BANNER)
        body = _message("Signing you in with Teams…")
        scripts = ["/tabs/static/teams-js.js", "/tabs/static/dashboard.js"]
        return _html(page(title="circlebot dashboard", body=body, theme=theme, scripts=scripts))

    async def view(self, request: web.Request) -> web.Response:
        """The dashboard for the member a Teams SSO token names (fetched by dashboard.js)."""
        try:
            seen = await self._signed_in(request)
            return _html(await self._fragment(seen))
        except _Refused as refused:
            return _html(_message(refused.text), status=refused.status)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The period's incidents as CSV, for a signed link, a Teams token or local mode."""
        try:
            if "sig" in request.query:
                grant = self._links.verify(dict(request.query), self._clock.now())
                circle, period = await self._circle(grant.circle), grant.period
            elif request.headers.get("Authorization"):
                seen = await self._signed_in(request)
                circle, period = seen.circle, seen.period
            elif self._settings.anonymous and _is_local(request):
                circle, period = (
                    await self._circle(request.query.get("circle", "")),
                    request.query.get("period", "week"),
                )
            else:
                raise _Refused(401, "sign in with Teams or use the link from a /report card")
            if circle is None:
                raise _Refused(404, "no such circle")
            comparison = parse_period(period, now=self._clock.now(), time_zone=circle.time_zone)
        except (LinkError, PeriodError) as error:
            return web.Response(status=403, text=str(error), headers=SECURITY_HEADERS)
        except _Refused as refused:
            return web.Response(status=refused.status, text=refused.text, headers=SECURITY_HEADERS)
        current = comparison.current
        async with self._database.read_session() as session:
            facts = await queries.incident_facts(session, [circle.name], current.start, current.end)
        body = incidents_csv(facts, circle, current, self._clock.now())
        filename = f"circlebot-{circle.name}-{period.replace(':', '-')}.csv"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        return web.Response(text=body, content_type="text/csv", charset="utf-8", headers=headers)

    async def configure(self, request: web.Request) -> web.Response:
        """The channel tab's configuration page."""
        body = "<h1>circlebot dashboard</h1><p>This tab shows the report of this channel's circle: MTTA, MTTR, " \
               "SLA breaches, on-call load and postmortem actions. Select Save to add it.</p>"  # fmt: skip
        scripts = ["/tabs/static/teams-js.js", "/tabs/static/configure.js"]
        return _html(page(title="circlebot dashboard", body=body, theme=request.query.get("theme", "default"),
                          scripts=scripts))  # fmt: skip

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "teams-js.js":
            path = TEAMS_JS / "MicrosoftTeams.min.js"
            if not path.is_file():
                log.error("TeamsJS is not installed: run `make teams-js` (npm ci --prefix tools/teams-js)")
                raise web.HTTPNotFound(text="TeamsJS is not installed on this server: run `make teams-js`")
        elif name in ("dashboard.css", "dashboard.js", "configure.js"):
            path = STATIC / name
        else:
            raise web.HTTPNotFound()
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
        return web.Response(body=path.read_bytes(), content_type=kind, headers=headers)

    # --- helpers ---------------------------------------------------------------------------------

    async def _signed_in(self, request: web.Request) -> _Seen:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _Refused(401, "sign in with Teams to see the dashboard")
        try:
            user = await self._sso.validate(auth.removeprefix("Bearer ").strip())
        except SsoError as error:
            log.warning("dashboard sign-in refused: %s", error)
            raise _Refused(401, "Teams sign-in failed; reload the tab") from None
        mine = [c for c in await self._circles() if c.member_by_aad_id(user.object_id) is not None]
        if not mine:
            raise _Refused(403, "you are not a member of any circle, so there is no dashboard for you")
        wanted, channel = request.query.get("circle"), request.query.get("channel")
        circle = next((c for c in mine if c.name == wanted or (channel and c.channel_id == channel)), mine[0])
        period = request.query.get("period", "week")
        others = ", ".join(c.name for c in mine if c is not circle)
        note = f"signed in as {user.name or 'a member'}" + (f" · your other circles: {others}" if others else "")
        csv_href = "/tabs/export.csv?" + urlencode({"circle": circle.name, "period": period})
        return _Seen(circle, period, note, csv_href, csv_needs_token=True)

    async def _page(self, seen: _Seen, theme: str, banner: str = "") -> web.Response:
        try:
            body = await self._fragment(seen)
        except PeriodError as error:
            return _html(page(title="circlebot", body=_message(str(error)), theme=theme), status=400)
        title = f"circlebot · {seen.circle.name}"
        return _html(page(title=title, body=body, theme=theme, scripts=[], banner=banner))

    async def _fragment(self, seen: _Seen) -> str:
        circle, now = seen.circle, self._clock.now()
        comparison = parse_period(seen.period, now=now, time_zone=circle.time_zone)
        last = min(comparison.current.end, now) - timedelta(seconds=1)
        async with self._database.read_session() as session:
            weeks = weeks_back(last, circle.time_zone, WEEKS)
            report, history = await report_and_history(SqlReportReads(session), circle, comparison, weeks, now)
        html = fragment(report, trends(history, circle, now), csv_href=seen.csv_href, note=seen.note)
        if seen.csv_needs_token:
            filename = f"circlebot-{circle.name}.csv"
            html = html.replace('class="csv" ', f'class="csv" data-bearer="1" data-filename="{escape(filename)}" ')
        return html

    async def _circles(self) -> list[Circle]:
        async with self._database.read_session() as session:
            return await SqlCircles(session).active()

    async def _circle(self, name: str) -> Circle | None:
        return next((c for c in await self._circles() if c.name == name), None)


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)


def _message(text: str) -> str:
    return f'<p class="message">{escape(text[:1].upper() + text[1:])}</p>'


def _is_local(request: web.Request) -> bool:
    """A request from this machine (the playground's browser), not through a proxy."""
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False
