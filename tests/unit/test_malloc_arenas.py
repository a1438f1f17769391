"""The malloc arena cap: applied on glibc Linux, left alone when the operator set it or elsewhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters import malloc_arenas


def test_an_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")

    assert malloc_arenas.limit_malloc_arenas() is False


def test_without_glibc_nothing_is_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)

    def no_glibc(_name: str) -> None:
        raise OSError("libc.so.6: cannot open shared object file")

    monkeypatch.setattr(malloc_arenas.ctypes, "CDLL", no_glibc)

    assert malloc_arenas.limit_malloc_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_on_glibc_the_cap_is_taken() -> None:
    # A fresh interpreter, so the cap is not set twice in the test process.
    probe = "from adapters.malloc_arenas import limit_malloc_arenas; print(limit_malloc_arenas())"
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={"PATH": "/usr/bin"}, check=True, cwd=root
    )

    assert result.stdout.strip() == "True"
