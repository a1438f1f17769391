from __future__ import annotations

import io
import json
import logging

from adapters.log_setup import configure_logging, request_id

SECRET = "s3cr3t-app-password-value"


def capture(fmt: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", fmt, [SECRET, "glpat-abcdefgh"], stream=stream)
    return logging.getLogger("circlebot.test"), stream


def test_json_lines_carry_the_request_id_and_extra_fields() -> None:
    logger, stream = capture("json")
    token = request_id.set("req-42")
    try:
        logger.info("turn handled", extra={"activity_type": "message"})
    finally:
        request_id.reset(token)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["msg"] == "turn handled"
    assert entry["request_id"] == "req-42"
    assert entry["activity_type"] == "message"


def test_no_secret_or_token_reaches_the_log() -> None:
    for fmt in ("json", "text"):
        logger, stream = capture(fmt)
        logger.warning("calling jira with password %s", SECRET)
        logger.warning("gitlab said no to glpat-abcdefgh")
        logger.warning("header was Authorization: Bearer eyJhbGciOi.payload.sig")
        logger.warning("request", extra={"body": {"token": "abc123xyz"}})
        try:
            raise RuntimeError(f"login failed for {SECRET}")
        except RuntimeError:
            logger.exception("boom")
        text = stream.getvalue()
        assert SECRET not in text
        assert "glpat-abcdefgh" not in text
        assert "eyJhbGciOi" not in text
        assert "abc123xyz" not in text
        assert "[redacted]" in text


def test_auto_format_is_json_when_not_a_terminal() -> None:
    logger, stream = capture("auto")
    logger.info("hello")
    assert json.loads(stream.getvalue().splitlines()[-1])["msg"] == "hello"
