"""The garbage collector during start-up: paused while circlebot builds itself, never left off."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.start_up_gc import collection_paused, pause_until_frozen, start_up_frozen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was_enabled else gc.disable)()


def test_no_collection_inside_the_block_and_the_collector_back_on_after_it() -> None:
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_back_on_when_the_block_fails() -> None:
    gc.enable()
    with pytest.raises(ImportError), collection_paused():
        raise ImportError("a module failed to import")
    assert gc.isenabled()


def test_a_collector_someone_had_turned_off_stays_off() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


async def test_the_last_start_up_step_freezes_what_was_built_and_collects_again_until_stop() -> None:
    pause_until_frozen()
    steps = start_up_frozen(None)

    await anext(steps)
    assert gc.isenabled() and gc.get_freeze_count() > 0

    with pytest.raises(StopAsyncIteration):
        await anext(steps)
    assert gc.get_freeze_count() == 0


def test_importing_the_app_leaves_the_collector_on() -> None:
    # A fresh interpreter: this test process imported app long ago.
    check = "import gc, app; assert gc.isenabled(), 'import app left the garbage collector off'"
    subprocess.run([sys.executable, "-c", check], cwd=ROOT, check=True, capture_output=True, timeout=60)
