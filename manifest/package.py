"""Build the Teams app package: manifest.json with the real ids, plus the two icons, zipped flat.

Usage: ``MicrosoftAppId=<guid> [TEAMS_APP_ID=<guid>] python -m manifest.package --out dist/app.zip``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parent
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")  # as in the 1.25 schema
# A fixed timestamp makes the zip byte-identical for identical inputs.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def _require_guid(name: str, value: str) -> None:
    if not _GUID.match(value):
        raise ValueError(f"{name} must be a GUID like 00000000-0000-0000-0000-000000000000, got {value!r}")


PLACEHOLDER_HOST = "circlebot.example.com"


def build_package(manifest_dir: Path, out: Path, app_id: str, bot_id: str, public_url: str = "") -> Path:
    """Zip manifest.json (with ``id``=app_id, or bot_id if empty, and ``bots[0].botId``=bot_id) and icons.

    `public_url` (https://host) is where the dashboard tab is served: it replaces the
    placeholder host in the tabs, validDomains and the SSO resource `api://<host>/<bot id>`.
    """
    bot_id, app_id = bot_id.strip(), app_id.strip()
    if not bot_id:
        raise ValueError("the bot id is empty: set MicrosoftAppId to the bot's Microsoft App ID (a GUID)")
    _require_guid("bot id (MicrosoftAppId)", bot_id)
    app_id = app_id or bot_id
    _require_guid("app id (TEAMS_APP_ID)", app_id)

    text = (manifest_dir / "manifest.json").read_text(encoding="utf-8")
    if public_url:
        if not public_url.startswith("https://"):
            raise ValueError(f"Teams tabs need https: CIRCLEBOT_PUBLIC_URL is {public_url!r}")
        text = text.replace(PLACEHOLDER_HOST, public_url.removeprefix("https://").rstrip("/"))
    manifest = json.loads(text)
    manifest["id"] = app_id
    manifest["bots"][0]["botId"] = bot_id
    if "webApplicationInfo" in manifest:
        # Resource-specific consent (ChannelMessage.Read.Group) is granted to the bot's Entra app.
        manifest["webApplicationInfo"]["id"] = bot_id
        # Teams SSO for the dashboard tab asks Entra ID for a token to this resource.
        host = manifest["validDomains"][0]
        manifest["webApplicationInfo"]["resource"] = f"api://{host}/{bot_id}"

    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()}
        entries |= {icon: (manifest_dir / icon).read_bytes() for icon in ICONS}
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI: read MicrosoftAppId and optional TEAMS_APP_ID from the environment, print the zip path."""
    parser = argparse.ArgumentParser(prog="python -m manifest.package", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("dist/circlebot-teams-app.zip"))
    parser.add_argument("--manifest-dir", type=Path, default=MANIFEST_DIR)
    args = parser.parse_args(argv)
    try:
        path = build_package(
            args.manifest_dir,
            args.out,
            app_id=os.environ.get("TEAMS_APP_ID", ""),
            # The Bot Framework setting name, shared with the bot: not our naming to change.
            bot_id=os.environ.get("MicrosoftAppId", ""),  # noqa: SIM112
            public_url=os.environ.get("CIRCLEBOT_PUBLIC_URL", ""),
        )
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not os.environ.get("CIRCLEBOT_PUBLIC_URL"):
        print(f"warning: the dashboard tab points at {PLACEHOLDER_HOST}: set CIRCLEBOT_PUBLIC_URL=https://<bot host>",
              file=sys.stderr)  # fmt: skip
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
