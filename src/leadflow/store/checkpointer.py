"""Checkpoints of a WAL database on a thread of their own, beside the writer.

In WAL mode a commit appends pages to the write-ahead log; a checkpoint
copies them back into the database file and syncs it. SQLite runs the
checkpoint inside whichever COMMIT pushes the log past its limit, so the
writer stops for it, and the last connection to close runs the rest. A
PASSIVE checkpoint from a second connection takes no lock the writer needs,
and SQLite releases the GIL while it runs, so on a second core that work
is done while the writer goes on.

The store calls `batch_committed()` after each batch; every EVERY batches
the thread checkpoints what the log holds. More often would copy the pages
that every batch touches (the contacts) back again and again; less often
leaves more for the close. On the events benchmark (batches of 500) this
took the close from about 9 to about 5 µs per event. Nothing depends on the
thread having run: the writer's own autocheckpoint stays set as the bound,
and the writer's close checkpoints what remains.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading

EVERY = 8  # batches


class Checkpointer:
    def __init__(self, path: str):
        self.path = os.path.abspath(path)  # the thread starts later, perhaps in another working directory
        self._batches = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None  # started by the first checkpoint

    def batch_committed(self) -> None:
        self._batches += 1
        if self._batches % EVERY:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="leadflow-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread; call before the writer closes, so that its close checkpoints the rest."""
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                # Busy or failing: the writer's autocheckpoint still bounds the log.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()
