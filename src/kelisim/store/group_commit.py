"""Group commit: the appends that arrive while one batch is being made durable form the next batch.

A consent is acknowledged only after its transaction is on disk, and on this hardware the fsync is
most of the cost of an append. One fsync per request capped the log at a few hundred appends a
second and made every request wait for all those before it. Here each request thread queues its
append and waits; whichever thread finds no batch in progress becomes the leader, takes everything
queued (its own append included) and commits it as one transaction — one lock, one fsync —
then wakes the others, and the first still waiting leads the next batch. No background thread: a
worker forked by gunicorn needs no start-up, and a batch never waits for a timer.

Only the threads of one process share a queue; batches of different processes (gunicorn workers,
other hosts on one PostgreSQL) are serialised by the database lock the commit takes. The leader
takes its batch from the queue only once it holds that lock (`commit` calls `take`): whatever
arrived while it waited for another process's batch goes with it. Taken at once, the batch was
the one append that found the queue empty, and everything that queued behind it waited for a
whole further commit (bench/load.py, SQLite, 2 workers: batches of 3-4 with every commit
serialised on the lock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")

MAX_BATCH = 256


@dataclass(eq=False)  # compared by identity: two appends of equal items are still two
class Pending(Generic[Item]):
    """One queued append: its input, and once its batch is committed, its outcome."""

    item: Item
    result: Any = None
    error: BaseException | None = None
    done: bool = field(default=False, repr=False)
    # Held from creation; released once, to wake this append's thread when its batch is
    # committed or when it is to lead the next batch.
    wake: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.wake.acquire()

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommit(Generic[Item]):
    def __init__(
        self,
        commit: Callable[[Callable[[], list[Pending[Item]]]], None],
        max_batch: int = MAX_BATCH,
    ) -> None:
        """`commit(take)` takes the database's lock, calls `take()` once for the batch, makes it
        durable and sets each Pending's result or error; if it raises, every append of the batch
        fails with that error (nothing of it was committed)."""
        self._commit = commit
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[Pending[Item]] = []
        self._busy = False

    def submit(self, item: Item) -> Any:
        """Append `item` with the next batch; returns its result once that batch is durable.

        A finished batch wakes exactly the threads it answered, and the one thread that leads
        next: waking every waiter to check its own flag (a condition's notify_all) cost each batch
        a round of thread switches, interpreter-lock hand-overs included, for threads that only
        went back to sleep (bench/load.py)."""
        pending = Pending(item)
        with self._lock:
            self._queue.append(pending)
            lead = not self._busy
            self._busy = True
        if not lead:
            pending.wake.acquire()
            if pending.done:
                return pending.outcome()
        # The leader's own append always goes in the batch it commits, even if `take` is never
        # called (the commit failed before it had the lock).
        batch = [pending]
        taken = False

        def take() -> list[Pending[Item]]:
            nonlocal taken
            with self._lock:
                if not taken:
                    taken = True
                    # In arrival order, so the log's leaves follow the order requests came in,
                    # whichever waiting thread happened to wake first and lead.
                    head = self._queue[: self._max_batch]
                    if pending not in head:
                        head = [pending, *self._queue[: self._max_batch - 1]]
                    chosen = {id(queued) for queued in head}
                    self._queue[:] = [q for q in self._queue if id(q) not in chosen]
                    batch[:] = head
            return list(batch)

        try:
            self._commit(take)
        except BaseException as error:
            for queued in batch:
                if queued.error is None:
                    queued.error = error
                queued.result = None
        finally:
            with self._lock:
                if not taken:
                    taken = True
                    self._queue.remove(pending)
                for queued in batch:
                    queued.done = True
                # The first still queued leads the next batch; with none, the next to arrive does.
                following = self._queue[0] if self._queue else None
                self._busy = following is not None
            for queued in batch:
                if queued is not pending:
                    queued.wake.release()
            if following is not None:
                following.wake.release()
        return pending.outcome()
