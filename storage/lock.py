"""One process at a time on an SQLite file: an OS lock on a file beside the database.

SQLite itself lets two processes share a file, so two bots on it would both poll Telegram
and both answer. flock() belongs to the open file, and the kernel lets go of it however the
process ends, kill -9 included: a restart after a crash is never refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url


class DatabaseInUse(Exception):
    """Another process holds the lock on this SQLite file."""

    def __init__(self, database: Path, pid: int | None) -> None:
        self.database, self.pid = database, pid
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"{database} is in use by {holder}")


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names, as an absolute path; None for PostgreSQL or memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    # Resolved, so two spellings (or a symlink) of one file share one lock.
    return Path(parsed.database).resolve()


class DatabaseLock:
    """Held from lock_database() until release() or the end of the process."""

    def __init__(self, database: Path, fd: int) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file is what lets go of the lock
            self._fd = None

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def lock_database(url: str) -> DatabaseLock | None:
    """Take the SQLite file for this process, or raise DatabaseInUse at once (no waiting).

    None when the URL names no file: PostgreSQL takes care of several processes itself.
    The lock file stays when released; its lock, not its existence, is what counts.
    """
    database = sqlite_file(url)
    if database is None:
        return None
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise DatabaseInUse(database, pid) from None
    except BaseException:
        os.close(fd)
        raise
    # The pid is only for the refusal message: the holder may not have written it yet.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return DatabaseLock(database, fd)


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip())
    return None
