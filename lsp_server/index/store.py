"""The on-disk index: one SQLite database per workspace root.

Definitions and imports live in indexed tables and are queried, not loaded, so a warm start
only reads the small `files` table. Concurrency: WAL journal (readers never block the
writer), a busy timeout and short `BEGIN IMMEDIATE` transactions, so two servers on one
root can share the file. One connection per thread; a corrupt or older-schema file is
deleted and recreated.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .model import MEMBER_PART_KINDS, MEMBERS, NESTED, TOP
from .walk import SkipReason
from .worker import Parsed, Skipped, Unchanged

log = logging.getLogger(__name__)

SCHEMA_VERSION = 7
_SEP = "\x1f"
_PAIR = "\x1e"

#: Each definition's part (`model.part_of`) as stored in `defs.part`.
PART_CODES = {TOP: 0, MEMBERS: 1, NESTED: 2}
_MEMBER_KINDS_SQL = ", ".join(f"'{kind}'" for kind in sorted(MEMBER_PART_KINDS))

#: A definition row's values, its part computed from its container (?8) and kind (?3): a
#: stored column, as generated columns need SQLite 3.31 (RHEL 8's Python links 3.26).
_DEF_VALUES = (
    ",".join(f"?{i}" for i in range(1, 13))
    + f", CASE WHEN ?8 IS NULL THEN {PART_CODES[TOP]} WHEN ?3 IN ({_MEMBER_KINDS_SQL})"
    + f" THEN {PART_CODES[MEMBERS]} ELSE {PART_CODES[NESTED]} END"
)

#: Indexes end with the part lookups filter on: a bare `get` seeks its few top-level rows
#: (not the thousands of methods of that name), a module's top level skips its methods.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, language TEXT NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, secrets_clean TEXT NOT NULL DEFAULT '',
    read_stat TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS defs (
    path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    line INTEGER, col INTEGER, end_line INTEGER, end_col INTEGER,
    container TEXT, signature TEXT, doc TEXT, name_line INTEGER, name_col INTEGER,
    part INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS defs_name ON defs(name, part);
CREATE INDEX IF NOT EXISTS defs_path ON defs(path, part);
CREATE INDEX IF NOT EXISTS defs_container ON defs(container) WHERE container IS NOT NULL;
CREATE TABLE IF NOT EXISTS imports (
    path TEXT NOT NULL, module TEXT NOT NULL, names TEXT NOT NULL, aliases TEXT NOT NULL,
    line INTEGER NOT NULL, resolved TEXT
);
CREATE INDEX IF NOT EXISTS imports_path ON imports(path);
CREATE INDEX IF NOT EXISTS imports_resolved ON imports(resolved) WHERE resolved IS NOT NULL;
CREATE INDEX IF NOT EXISTS imports_aliased ON imports(path, line) WHERE aliases != '';
CREATE TABLE IF NOT EXISTS import_aliases (alias TEXT NOT NULL, path TEXT NOT NULL, line INTEGER);
CREATE INDEX IF NOT EXISTS import_aliases_alias ON import_aliases(alias);
CREATE INDEX IF NOT EXISTS import_aliases_path ON import_aliases(path);
"""

_BULK_INDEXES = (
    "defs_name",
    "defs_path",
    "defs_container",
    "imports_path",
    "imports_resolved",
    "imports_aliased",
    "import_aliases_alias",
    "import_aliases_path",
)

DEF_COLUMNS = "name, kind, path, line, col, end_line, end_col, container, signature, doc, " \
    "name_line, name_col"  # fmt: skip


def database_path(cache_dir: Path, root: Path) -> Path:
    """One database per workspace root, named after a hash of the real root path."""
    real = os.path.realpath(root)
    digest = hashlib.sha256(real.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(real).name)[:40]
    return cache_dir / f"index-{stem or 'root'}-{digest}.sqlite3"


def pack_names(names: Sequence[str]) -> str:
    return _SEP.join(names)


def unpack_names(text: str) -> tuple[str, ...]:
    return tuple(text.split(_SEP)) if text else ()


def pack_aliases(aliases: Sequence[tuple[str, str]]) -> str:
    return _SEP.join(f"{name}{_PAIR}{alias}" for name, alias in aliases)


def unpack_aliases(text: str) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    pairs = []
    for item in text.split(_SEP):
        name, _, alias = item.partition(_PAIR)
        pairs.append((name, alias))
    return tuple(pairs)


class ParsedFile(NamedTuple):
    """What `Store.write` stores for a parsed file: the worker's result, and where each of
    its imports resolves (a repository path, or None for an external module)."""

    parsed: Parsed
    resolved: Sequence[str | None]


#: The columns of `files` a `FileState` is made of, in its order.
FILE_STATE_COLUMNS = "size, mtime_ns, sha256, secrets_clean, read_stat"


class FileState(NamedTuple):
    """The cached stat and content hash of an indexed file, and its secret verdict."""

    size: int
    mtime_ns: int
    sha256: str
    secrets_clean: str = ""
    read_stat: str = ""


class SkipState(NamedTuple):
    """The cached stat of a file left out for its content, and why."""

    size: int
    mtime_ns: int
    reason: SkipReason


class CacheError(Exception):
    """The database could not be opened even after being recreated."""


class Store:
    def __init__(self, path: Path, create: bool = True) -> None:
        """`create=False` (an indexing worker process): use the database as the indexer
        process set it up, never creating, checking or deleting it."""
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._generation = 0
        if create:
            self._open()

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout = 30000")
        # A cache: no fsync. A file torn by a power cut is detected as corrupt and rebuilt.
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -16000")
        # Reads map the file instead of copying pages through read(): a cold context
        # assembly fetches ~1,000 definition rows in ~50 queries (replayed: -12% CPU).
        conn.execute("PRAGMA mmap_size = 268435456")
        return conn

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must not be shared across threads)."""
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or getattr(local, "generation", -1) != self._generation:
            conn = self._connect()
            local.conn = conn
            local.generation = self._generation
            with self._lock:
                self._connections.append(conn)
        return conn

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            log.warning("index cache %s unusable (%s); rebuilding it", self.path, exc)
            self._recreate()

    def _init_schema(self) -> None:
        conn = self.conn()
        version = None
        with contextlib.suppress(sqlite3.OperationalError):
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            version = int(row[0]) if row else None
        if version is not None and version != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version}, expected {SCHEMA_VERSION}")
        if version is None:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            log.debug("index cache journal mode: %s", mode)
            with self.transaction() as cur:
                tables = {r[0] for r in cur.execute("SELECT name FROM sqlite_master")}
                if tables - {"meta"} and "files" not in tables:
                    raise sqlite3.DatabaseError("unknown tables in the cache")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        cur.execute(statement)
                cur.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
        conn.execute("SELECT count(*) FROM files").fetchone()

    def _recreate(self) -> None:
        self._close_connections()
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")
        try:
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"cannot create index cache {self.path}: {exc}") from exc

    def recover(self) -> None:
        """Called after a DatabaseError during use: start from an empty cache."""
        self._recreate()

    def _close_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
            self._generation += 1
        for conn in connections:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self._close_connections()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """This thread's reads inside see one state of the cache (a read transaction: what
        a writer elsewhere stores meanwhile is seen after it)."""
        conn: sqlite3.Connection | None = None
        try:
            conn = self.conn()
            if conn.in_transaction:
                conn = None  # inside one already
            else:
                conn.execute("BEGIN")
        except sqlite3.Error:  # the reads inside meet the error and recover as they do
            log.debug("index cache: no snapshot", exc_info=True)
            conn = None
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):  # closed meanwhile by a `recover`
                if conn is not None and conn.in_transaction:
                    conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        conn = self.conn()
        if conn.in_transaction:  # a snapshot of this thread's reads: it ends here
            conn.execute("COMMIT")
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")

    # -- writing ----------------------------------------------------------------------------

    def write(
        self,
        parsed: Sequence[ParsedFile],
        unchanged: Sequence[Unchanged] = (),
        skipped: Sequence[Skipped] = (),
    ) -> None:
        """Store parsed files (replacing what was stored for them), moved stats and skips."""
        with self.transaction() as cur:
            paths = [(p.parsed.path,) for p in parsed] + [(s.path,) for s in skipped]
            # Rows of defs/imports exist only for paths in `files` (they are written in the
            # same transaction), so only those need deleting; during a cold build this keeps
            # the deletes away from the (then unindexed) big tables.
            existing = self._existing(cur, [p for (p,) in paths])
            if existing:
                cur.executemany("DELETE FROM defs WHERE path = ?", existing)
                cur.executemany("DELETE FROM imports WHERE path = ?", existing)
                cur.executemany("DELETE FROM import_aliases WHERE path = ?", existing)
                cur.executemany("DELETE FROM files WHERE path = ?", existing)
            if skipped:
                cur.executemany("DELETE FROM skipped WHERE path = ?", paths)
            if parsed:
                files = [p.parsed for p in parsed]
                cur.executemany(
                    "INSERT INTO files(path, language, sha256, size, mtime_ns, secrets_clean,"
                    " read_stat) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            f.path,
                            f.language,
                            f.sha256,
                            f.size,
                            f.mtime_ns,
                            f.secrets_clean,
                            f.read_stat,
                        )
                        for f in files
                    ],
                )
                cur.executemany(
                    "INSERT INTO defs(path, name, kind, line, col, end_line, end_col, container,"
                    f" signature, doc, name_line, name_col, part) VALUES ({_DEF_VALUES})",
                    itertools.chain.from_iterable(f.def_rows for f in files),
                )
                cur.executemany(
                    "INSERT INTO imports(path, module, names, aliases, line, resolved) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (f.path, i.module, pack_names(i.names), pack_aliases(i.aliases), i.line, r)
                        for f, resolved in parsed
                        for i, r in zip(f.imports, resolved, strict=True)
                    ],
                )
                cur.executemany(
                    "INSERT INTO import_aliases(alias, path, line) VALUES (?, ?, ?)",
                    {
                        (alias, f.path, i.line)
                        for f in files
                        for i in f.imports
                        for _, alias in i.aliases
                    },
                )
            if unchanged:
                cur.executemany(
                    "UPDATE files SET size = ?, mtime_ns = ?, read_stat = ? WHERE path = ?",
                    [(u.size, u.mtime_ns, u.read_stat, u.path) for u in unchanged],
                )
            if skipped:
                cur.executemany(
                    "INSERT INTO skipped(path, size, mtime_ns, reason) VALUES (?, ?, ?, ?)",
                    skipped,
                )

    @staticmethod
    def _existing(cur: sqlite3.Cursor, paths: list[str]) -> list[tuple[str]]:
        found: list[tuple[str]] = []
        for i in range(0, len(paths), 900):
            part = paths[i : i + 900]
            marks = ",".join("?" * len(part))
            found.extend(cur.execute(f"SELECT path FROM files WHERE path IN ({marks})", part))
        return found

    def drop_bulk_indexes(self) -> None:
        """Before a bulk load: inserting into unindexed tables and indexing once is 2x faster."""
        with self.transaction() as cur:
            for name in _BULK_INDEXES:
                cur.execute(f"DROP INDEX IF EXISTS {name}")

    def create_indexes(self) -> None:
        """Index what a bulk load inserted. The sort spills to a temporary file: sorting in
        memory (temp_store = MEMORY, right for queries) holds every key of the table at once,
        ~75 MB per million definitions, which made RSS grow with the repository."""
        conn = self.conn()
        conn.execute("PRAGMA temp_store = FILE")
        try:
            with self.transaction() as cur:
                for statement in _SCHEMA.split(";"):
                    if "CREATE INDEX" in statement:
                        cur.execute(statement)
        finally:
            conn.execute("PRAGMA temp_store = MEMORY")

    def delete(self, paths: Iterable[str]) -> None:
        rows = [(p,) for p in paths]
        if not rows:
            return
        with self.transaction() as cur:
            for table in ("defs", "imports", "import_aliases", "files", "skipped"):
                cur.executemany(f"DELETE FROM {table} WHERE path = ?", rows)
            cur.executemany("UPDATE imports SET resolved = NULL WHERE resolved = ?", rows)

    def set_resolved(self, updates: Sequence[tuple[str | None, int]]) -> None:
        """(resolved, rowid) pairs."""
        if updates:
            with self.transaction() as cur:
                cur.executemany("UPDATE imports SET resolved = ? WHERE rowid = ?", updates)

    # -- reading ----------------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        rows = self.conn().execute(f"SELECT path, {FILE_STATE_COLUMNS} FROM files")
        return {path: FileState(*state) for path, *state in rows}

    def skipped_states(self) -> dict[str, SkipState]:
        rows = self.conn().execute("SELECT path, size, mtime_ns, reason FROM skipped")
        return {path: SkipState(size, mtime, reason) for path, size, mtime, reason in rows}

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Rows of any SELECT: their shape is the caller's SQL's."""
        return self.conn().execute(sql, params).fetchall()
