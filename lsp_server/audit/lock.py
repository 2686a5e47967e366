"""A cross-process exclusive lock on an open file (flock on POSIX, msvcrt on Windows).

Two editor windows and the CLI append to the same audit file; the chain stays whole only if
reading the last hash and appending the next record happen under one lock.
"""

from __future__ import annotations

import os
import sys
import time

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def lock(fd: int) -> None:
        """Block until this process holds the lock on byte 0 of `fd`."""
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                time.sleep(0.01)  # LK_LOCK gave up after its own 10 s of retries

    def try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def lock(fd: int) -> None:
        """Block until this open file description holds the exclusive lock."""
        fcntl.flock(fd, fcntl.LOCK_EX)

    def try_lock(fd: int) -> bool:
        """Take the lock if nobody holds it; False otherwise."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
