"""GitLab reads for runbooks: a file with its ETag and last commit, and the question bank's files.

Reads are conditional: the ETag of the copy we hold goes out as `If-None-Match`, and GitLab's
`304 Not Modified` (no body) means the copy is current, which spares the transfer at every
`/runbook`. The last commit's date comes from `repository/commits?path=` (the staleness check).
Writes (the new-runbook merge request, drill-gap issues) reuse the docs adapter's idempotent calls.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import gitlab
from gitlab.exceptions import GitlabError, GitlabHttpError

from adapters.gitlab.docs import GitLabDocs
from adapters.settings import Settings

# Seconds a GitLab call may take; writes that time out are retried by the outbox and look before creating.
INTERACTIVE_TIMEOUT = 8.0
# The question bank is a handful of YAML files; one page of the tree holds them.
TREE_PAGE = 100


@dataclass(frozen=True)
class FileRead:
    """GitLab's answer for one file: `not_modified` when our ETag still matched; None content when absent."""

    content: str | None
    etag: str | None
    last_commit_at: datetime | None
    not_modified: bool = False


class GitLabRunbooks(GitLabDocs):
    """The docs adapter (connection, thread, failure translation) plus conditional file reads."""

    def __repr__(self) -> str:
        return f"GitLabRunbooks(url={self._url!r})"

    @property
    def web_url(self) -> str:
        return self._url

    async def read_file(self, *, project: str, ref: str, path: str, etag: str | None) -> FileRead:
        """The file at `ref`, unless `etag` still matches; absent files answer content None."""

        def read(client: gitlab.Gitlab) -> FileRead:
            api_path = f"/projects/{quote(project, safe='')}/repository/files/{quote(path, safe='')}"
            headers = {"If-None-Match": etag} if etag else None
            try:
                response = client.http_request("get", api_path, query_data={"ref": ref}, extra_headers=headers)
            except GitlabHttpError as error:
                if error.response_code == 304:
                    return FileRead(None, etag, _last_commit(client, project, ref, path), not_modified=True)
                if error.response_code == 404:
                    return FileRead(None, None, None)
                raise
            body: dict[str, Any] = response.json()
            content = base64.b64decode(body["content"]).decode("utf-8", errors="replace")
            return FileRead(content, response.headers.get("ETag"), _last_commit(client, project, ref, path))

        return await self._call(f"read {path} in {project}", read)

    async def list_files(self, *, project: str, ref: str, directory: str, suffixes: tuple[str, ...]) -> list[str]:
        """Paths of the files directly under `directory` ending in one of `suffixes`; [] when it does not exist."""

        def listing(client: gitlab.Gitlab) -> list[str]:
            repo = client.projects.get(project, lazy=True)
            try:
                items = repo.repository_tree(path=directory, ref=ref, per_page=TREE_PAGE, get_all=False)
            except GitlabError as error:
                if error.response_code == 404:
                    return []
                raise
            return sorted(
                str(item["path"])
                for item in items
                if item.get("type") == "blob" and str(item["path"]).endswith(suffixes)
            )

        return await self._call(f"list {directory} in {project}", listing)


def _last_commit(client: gitlab.Gitlab, project: str, ref: str, path: str) -> datetime | None:
    repo = client.projects.get(project, lazy=True)
    # `path` as a keyword would be taken by python-gitlab as the URL to list: pass it as a query parameter.
    commits = repo.commits.list(ref_name=ref, query_parameters={"path": path}, per_page=1, get_all=False)
    if not commits:
        return None
    return datetime.fromisoformat(str(commits[0].committed_date).replace("Z", "+00:00"))


def gitlab_runbooks_from_settings(settings: Settings) -> GitLabRunbooks | None:
    """The adapter for GITLAB_URL/GITLAB_TOKEN, or None when GitLab is not configured."""
    if not settings.gitlab_enabled:
        return None
    # A person waits on `/runbook` at 3 a.m.: better the stored copy (with its age) than a long hang.
    return GitLabRunbooks(settings.gitlab_url, token=settings.gitlab_token, timeout=INTERACTIVE_TIMEOUT)
