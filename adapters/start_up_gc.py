"""The cyclic garbage collector during start-up: paused while it builds, frozen once it has.

Start-up allocates hundreds of thousands of objects (modules, classes, models, clients) that live as
long as the process. The collector's passes over them while they are being built free nothing and
cost ~0.5 s of CPU, over a quarter of `import app` (issue #17). Once built they are frozen: left
out of every later pass, which otherwise walked all of them and stopped the event loop for ~150 ms
at a time during a stand-up morning (~15 ms frozen).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside the block, and what it built frozen after it (for blocks that build
    what lives as long as the process, like imports); the collector is then as it was, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def pause_until_frozen() -> None:
    """Pause collection until `start_up_frozen`, the last start-up step of the app, has run."""
    gc.disable()


async def start_up_frozen(_app: Any) -> AsyncIterator[None]:
    """An aiohttp cleanup context, appended last: freezes what every start-up step built, then collects
    (again, after `pause_until_frozen`) only what is made from now on."""
    gc.freeze()
    gc.enable()
    yield
    gc.unfreeze()
