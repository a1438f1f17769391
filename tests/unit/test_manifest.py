"""The Teams app manifest, its icons and the package built from them."""

from __future__ import annotations

import json
import struct
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from manifest.package import build_package

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = ROOT / "manifest"
SCHEMA_PATH = ROOT / "tests" / "schemas" / "teams-manifest-1.25.json"
APP_ID = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b"
BOT_ID = "9e8d7c6b-5a49-4837-a261-504f3e2d1c0b"
# Teams' documented limits for bot commands, stricter than the schema (12 commands, 128/4000 chars).
MAX_COMMANDS, MAX_TITLE, MAX_DESCRIPTION = 10, 32, 128


@cache
def manifest_validator() -> Draft4Validator:
    # Only local "#/definitions" refs, so nothing is fetched. No check_schema(): one pattern in the
    # Office add-in part uses \p{L}, which Python's re cannot compile; our manifest never reaches it.
    return Draft4Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in manifest_validator().iter_errors(manifest)]


def load_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG always has first."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    length, chunk_type, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, chunk_type) == (13, b"IHDR")
    return width, height


def test_manifest_validates_against_the_1_25_schema() -> None:
    assert schema_errors(load_manifest()) == []


def test_manifest_declares_version_1_25() -> None:
    # Draft-04 has no "const", so the schema alone accepts any manifestVersion.
    manifest = load_manifest()
    assert manifest["manifestVersion"] == "1.25"
    assert manifest["$schema"].endswith("/teams/v1.25/MicrosoftTeams.schema.json")


def test_the_bot_is_installable_in_team_personal_and_group_chat() -> None:
    (bot,) = load_manifest()["bots"]
    assert set(bot["scopes"]) == {"team", "personal", "groupChat"}
    assert bot["supportsFiles"] is False


def test_every_scope_has_a_command_list_with_help() -> None:
    (bot,) = load_manifest()["bots"]
    commands_by_scope = {
        scope: [command["title"] for command in command_list["commands"]]
        for command_list in bot["commandLists"]
        for scope in command_list["scopes"]
    }
    assert set(commands_by_scope) == {"team", "personal", "groupChat"}
    for scope, titles in commands_by_scope.items():
        assert "help" in titles, scope
        assert len(titles) == len(set(titles)), f"duplicate command in {scope}"
    assert "incident" in commands_by_scope["team"]
    assert "feedback" in commands_by_scope["personal"]


def test_commands_fit_teams_limits() -> None:
    (bot,) = load_manifest()["bots"]
    for command_list in bot["commandLists"]:
        assert len(command_list["commands"]) <= MAX_COMMANDS, command_list["scopes"]
        for command in command_list["commands"]:
            assert len(command["title"]) <= MAX_TITLE, command
            assert 0 < len(command["description"]) <= MAX_DESCRIPTION, command


@pytest.mark.parametrize(("icon", "size"), [("color", (192, 192)), ("outline", (32, 32))])
def test_icon_has_the_size_teams_requires(icon: str, size: tuple[int, int]) -> None:
    manifest = load_manifest()
    assert png_size((MANIFEST_DIR / manifest["icons"][icon]).read_bytes()) == size


def test_outline_icon_is_white_on_transparent() -> None:
    image_module = pytest.importorskip("PIL.Image")
    with image_module.open(MANIFEST_DIR / "outline.png") as image:
        red, green, blue, alpha = image.convert("RGBA").split()
    # Every pixel is pure white; only alpha draws the shape, and the background is fully transparent.
    assert red.getextrema() == green.getextrema() == blue.getextrema() == (255, 255)
    assert alpha.getextrema() == (0, 255)
    width, height = alpha.size
    corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
    assert [alpha.getpixel(corner) for corner in corners] == [0, 0, 0, 0]


def test_package_holds_the_manifest_with_real_ids_and_the_icons(tmp_path: Path) -> None:
    out = build_package(MANIFEST_DIR, tmp_path / "dist" / "app.zip", app_id=APP_ID, bot_id=BOT_ID)

    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
        assert archive.read("color.png") == (MANIFEST_DIR / "color.png").read_bytes()
    assert packaged["id"] == APP_ID
    assert packaged["bots"][0]["botId"] == BOT_ID
    assert packaged["webApplicationInfo"]["id"] == BOT_ID  # resource-specific consent goes to the bot
    assert schema_errors(packaged) == []


def test_package_uses_the_bot_id_as_app_id_when_none_is_given(tmp_path: Path) -> None:
    out = build_package(MANIFEST_DIR, tmp_path / "app.zip", app_id="", bot_id=BOT_ID)

    with zipfile.ZipFile(out) as archive:
        packaged = json.loads(archive.read("manifest.json"))
    assert packaged["id"] == packaged["bots"][0]["botId"] == BOT_ID


@pytest.mark.parametrize(
    ("app_id", "bot_id", "complaint"),
    [
        (APP_ID, "my-bot", "must be a GUID"),
        ("not-a-guid", BOT_ID, "must be a GUID"),
        (APP_ID, "", "set MicrosoftAppId"),
    ],
)
def test_package_refuses_ids_that_are_not_guids(tmp_path: Path, app_id: str, bot_id: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        build_package(MANIFEST_DIR, tmp_path / "app.zip", app_id=app_id, bot_id=bot_id)
    assert not (tmp_path / "app.zip").exists()


def test_package_cli_reads_the_app_id_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from manifest.package import main

    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    out = tmp_path / "circlebot-teams-app.zip"

    assert main(["--out", str(out)]) == 0

    assert capsys.readouterr().out.strip() == str(out)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == BOT_ID


def test_the_bot_may_hear_ordinary_channel_messages_to_record_incident_threads() -> None:
    manifest = json.loads((MANIFEST_DIR / "manifest.json").read_text())
    permissions = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in permissions


def test_the_dashboard_is_a_personal_tab_and_a_channel_tab_served_by_the_bot() -> None:
    manifest = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    [personal] = manifest["staticTabs"]
    assert personal["contentUrl"] == "https://circlebot.example.com/tabs/dashboard?theme={theme}"
    assert personal["scopes"] == ["personal"]
    [channel] = manifest["configurableTabs"]
    assert channel["configurationUrl"].endswith("/tabs/configure?theme={theme}")
    assert set(channel["scopes"]) == {"team", "groupChat"}


def test_package_points_the_tabs_and_teams_sso_at_the_bots_public_host(tmp_path: Path) -> None:
    out = build_package(MANIFEST_DIR, tmp_path / "app.zip", app_id=APP_ID, bot_id=BOT_ID,
                        public_url="https://bot.acme.example/")  # fmt: skip

    with zipfile.ZipFile(out) as archive:
        packaged = json.loads(archive.read("manifest.json"))
    assert packaged["staticTabs"][0]["contentUrl"] == "https://bot.acme.example/tabs/dashboard?theme={theme}"
    assert packaged["validDomains"] == ["bot.acme.example"]
    assert packaged["webApplicationInfo"]["resource"] == f"api://bot.acme.example/{BOT_ID}"
    assert schema_errors(packaged) == []
    with pytest.raises(ValueError, match="Teams tabs need https"):
        build_package(MANIFEST_DIR, tmp_path / "x.zip", app_id=APP_ID, bot_id=BOT_ID, public_url="http://bot")
