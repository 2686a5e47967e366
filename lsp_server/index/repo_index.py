"""The repository index: build (cold or from cache), incremental updates, queries.

Disk state lives in the SQLite `Store`; documents open in the editor live in an in-memory
overlay (their latest text, tree and symbols) that shadows the disk version of the file.
`build` runs in a worker thread (and fans parsing out to processes); every query is safe
to call from another thread meanwhile: SQLite gives each thread its own connection and
WAL lets readers see the last committed batch while the builder writes the next one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import posixpath
import sqlite3
import tempfile
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, KeysView, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import platformdirs
import tree_sitter as ts

from . import incremental, walk, worker
from .defs_memory import MAX_ROWS, DefsInMemory
from .extract import DefRow, ImportRow, referenced_identifiers
from .ignore import IgnoreRules
from .languages import LanguageSpec, ParseTimeout, language_by_id, language_for_path
from .model import (
    MEMBERS,
    PARTS,
    TOP,
    Definition,
    FileRecord,
    Import,
    IndexStats,
    definition_from_row,
    part_of,
)
from .overlay_names import OverlayNames
from .patterns import PatternGroups
from .protocol import BatchedIndexReader, IndexReader
from .resolve import Resolver
from .search import rank
from .store import (
    DEF_COLUMNS,
    FILE_STATE_COLUMNS,
    PART_CODES,
    CacheError,
    FileState,
    ParsedFile,
    Store,
    database_path,
    unpack_aliases,
    unpack_names,
)
from .walk import SkipReason
from .worker import Outcome, Parsed, Result, Skipped, Task, Unchanged

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: Below this much work, a process pool costs more than it saves.
_POOL_MIN_BYTES = 3 * 1024 * 1024
_POOL_MIN_FILES = 64
_WRITE_BATCH = 256
_RESOLVE_PAGE = 5000
_SQL_MAX_PARAMS = 900

_T = TypeVar("_T")
#: How many changes `changed_since` can look back over.
_CHANGES_KEPT = 256

_CONTAINER_KINDS = ("namespace", "class", "interface", "struct", "enum", "trait", "module")


class SecretsVerdict(NamedTuple):
    """What the index knows of a file's secrets: `clean` is the `rules_digest` of the rules
    that found nothing in the content hashing to `sha256` when it was indexed ("" if one
    found something); `read_stat` is the file's `walk.read_signature` as that content was
    read ("" if unknown). A verdict on the content, never on the path: whoever uses it must
    hold that very content (same hash, or the file unchanged since: same stat) and rules."""

    sha256: str
    clean: str
    read_stat: str


TOP_CODE = PART_CODES[TOP]  # the stored part of top-level definitions


@dataclass(frozen=True)
class IndexOptions:
    max_file_kb: int = 512
    #: one pattern list per configuration layer (see index/patterns.py), or one flat list
    exclude: PatternGroups | tuple[str, ...] = ()
    privacy_exclude: PatternGroups | tuple[str, ...] = ()
    cache_dir: Path | None = None
    #: worker processes for cold indexing; 0 = one per core
    workers: int = 0
    #: niceness added to worker processes (the server sets 10: indexing never slows typing)
    worker_nice: int = 0
    #: a gitleaks file whose rules are added to the built-in ones (`privacy.secret_rules`):
    #: files are scanned with these at index time (see `secrets_verdict`)
    secret_rules: str = ""
    #: keep the stored definitions in memory too, for a long-lived process's lookups (see
    #: `defs_memory`; a one-shot command would spend more reading them than it saves)
    definitions_in_memory: bool = False


@dataclass
class _OpenDoc:
    """An open document: the latest text the editor sent, its tree and its symbols."""

    rel: str
    spec: LanguageSpec
    data: bytes
    parsed: incremental.ParsedDoc | None
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    import_rows: list[ImportRow] = field(default_factory=list)
    sha256: str = ""
    _refs: frozenset[str] | None = field(default=None, repr=False)
    _by_name: dict[str, list[Definition]] | None = field(default=None, repr=False)
    _by_container: dict[str, list[Definition]] | None = field(default=None, repr=False)

    def references(self) -> frozenset[str]:
        if self._refs is None:
            self._refs = referenced_identifiers(self.data.decode("utf-8", "replace"))
        return self._refs

    def named(self, name: str) -> list[Definition]:
        """Its definitions named `name` (grouped once per version: an assembly asks for
        hundreds of names, and a large open file has thousands of definitions)."""
        return self._names().get(name, [])

    def named_among(self, names: list[str]) -> list[Definition]:
        """Its definitions named any of `names` (sorted), in their order: the names it
        defines are found by a set intersection, not one lookup per name (an assembly
        asks a hundred names of every open document)."""
        by_name = self._names()
        return [d for name in sorted(by_name.keys() & names) for d in by_name[name]]

    def names(self) -> KeysView[str]:
        """The names it defines."""
        return self._names().keys()

    def _names(self) -> dict[str, list[Definition]]:
        if self._by_name is None:
            self._by_name = _grouped(self.definitions, lambda d: d.name)
        return self._by_name

    def members_of(self, container: str) -> list[Definition]:
        if self._by_container is None:
            self._by_container = _grouped(self.definitions, lambda d: d.container)
        return self._by_container.get(container, [])


def _grouped(
    definitions: Iterable[Definition], key: Callable[[Definition], str | None]
) -> dict[str, list[Definition]]:
    groups: dict[str, list[Definition]] = {}
    for definition in definitions:
        value = key(definition)
        if value is not None:
            groups.setdefault(value, []).append(definition)
    return groups


def _definition(rel: str, row: DefRow) -> Definition:
    name, kind, line, col, end_line, end_col, container, sig, doc, name_line, name_col = row
    return Definition(
        name, kind, rel, line, col, end_line, end_col, container, sig, doc, name_line, name_col
    )


def _resolved(resolver: Resolver, parsed: Parsed) -> ParsedFile:
    """A parsed file with where each of its imports resolves."""
    resolve = resolver.resolve
    rel, language = parsed.path, parsed.language
    return ParsedFile(parsed, [resolve(rel, language, i.module, i.names) for i in parsed.imports])


class RepoIndex:
    """Symbols, imports and references of one workspace root."""

    def __init__(self, root: Path | str, options: IndexOptions = IndexOptions()) -> None:
        self.root = Path(os.path.realpath(root))
        self.options = options
        self.rules = IgnoreRules(self.root)
        self.exclusions = walk.Exclusions(
            self.rules, options.exclude, options.privacy_exclude, options.max_file_kb * 1024
        )
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._overlay: dict[str, _OpenDoc] = {}
        self._overlay_names = OverlayNames()
        self._overlay_rels: frozenset[str] = frozenset()  # the open documents' paths
        self._paths: dict[str, str] | None = None  # indexed path -> language
        self._paths_changes = 0  # paths added to or removed from `_paths` in place
        self._files: tuple[dict[str, str], tuple[int, tuple[str, ...]], list[str]] | None = None
        self._resolver: Resolver | None = None
        self._reasons: dict[str, str | None] = {}
        self._refs_cache: dict[tuple[str, int, int], frozenset[str]] = {}
        #: the stored definitions in memory too (None: asked of SQLite; see `defs_memory`);
        #: replaced and updated under `_memory_lock`: a file stored while a build reads the
        #: table is applied to the memory that build makes, not to the one it replaces
        self._memory: DefsInMemory | None = None
        self._memory_lock = threading.Lock()
        #: bumped on every change the index sees; `_changes` says which file (None: any)
        self._generation = 0
        self._changes: deque[tuple[int, str | None]] = deque(maxlen=_CHANGES_KEPT)
        self._store = self._open_store()
        _open_indexes[str(self.root)] = self

    # -- setup --------------------------------------------------------------------------------

    def _open_store(self) -> Store:
        cache_dir = self.options.cache_dir or Path(platformdirs.user_cache_dir("mistral-lsp"))
        path = database_path(Path(cache_dir), self.root)
        try:
            return Store(path)
        except (CacheError, OSError, sqlite3.Error) as exc:
            fallback = Path(tempfile.gettempdir()) / "mistral-lsp-index"
            log.warning("index cache %s unusable (%s); using %s", path, exc, fallback)
            return Store(database_path(fallback, self.root))

    @property
    def database_path(self) -> Path:
        return self._store.path

    def close(self) -> None:
        if _open_indexes.get(str(self.root)) is self:
            del _open_indexes[str(self.root)]
        self._store.close()

    # -- paths --------------------------------------------------------------------------------

    def relative(self, path: Path | str) -> str | None:
        """Repository-relative posix path of an absolute or relative path; None if outside."""
        text = os.fspath(path)
        if text.startswith("file://"):
            from urllib.parse import unquote, urlparse

            text = unquote(urlparse(text).path)
        if not os.path.isabs(text):
            norm = posixpath.normpath(text.replace("\\", "/"))
            if norm in (".", "") or norm.startswith("../") or norm == "..":
                return None
            return norm
        direct = Path(text)
        try:
            return direct.relative_to(self.root).as_posix()
        except ValueError:
            return self.rules.relative(text)

    def _rel(self, path: Path | str) -> str:
        rel = self.relative(path)
        return rel if rel is not None else os.fspath(path)

    def is_excluded(self, path: Path | str) -> bool:
        """Left out by ignore files, index.exclude, privacy.exclude or a dependency folder."""
        rel = self.relative(path)
        if rel is None:
            return True
        return self._rule_reason(rel) is not None

    def _rule_reason(self, rel: str) -> str | None:
        if rel not in self._reasons:
            reason = self.exclusions.path_reason(rel, 0)
            if len(self._reasons) > 10000:
                self._reasons.clear()
            self._reasons[rel] = reason
        return self._reasons[rel]

    def _indexed_paths(self) -> dict[str, str]:
        paths = self._paths
        if paths is None:
            rows = self._query("SELECT path, language FROM files")
            paths = self._paths = dict(rows)
        return paths

    def _get_resolver(self) -> Resolver:
        resolver = self._resolver
        if resolver is None:
            files = set(self._indexed_paths()) | set(self._overlay)
            resolver = self._resolver = Resolver(self.root, files, self._defined_in)
        return resolver

    def _defined_in(self, name: str, language: str) -> list[str]:
        marks = ",".join("?" * len(_CONTAINER_KINDS))
        rows = self._query(
            f"SELECT DISTINCT d.path FROM defs d JOIN files f ON f.path = d.path "
            f"WHERE d.name = ? AND f.language = ? AND d.kind IN ({marks}) LIMIT 20",
            (name, language, *_CONTAINER_KINDS),
        )
        return [r[0] for r in rows]

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """The answers given inside come from one state of the index on disk (see
        `Store.snapshot`; open documents are read as they are)."""
        return self._store.snapshot()

    def _query_in(self, sql: str, values: list[str], *before: object) -> list[tuple[Any, ...]]:
        """Rows of `sql` whose `{}` takes one placeholder per value (after the parameters
        `before`), asked once per `_SQL_MAX_PARAMS` values."""
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(values), _SQL_MAX_PARAMS):
            chunk = values[i : i + _SQL_MAX_PARAMS]
            rows += self._query(sql.format(",".join("?" * len(chunk))), (*before, *chunk))
        return rows

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._store.query(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            if _is_contention(exc):
                raise
            log.warning("index cache error (%s); rebuilding the cache", exc)
            self._memory = None
            self._store.recover()
            self._paths = None
            self._changed(None)
            return []

    # -- building -----------------------------------------------------------------------------

    def build(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> IndexStats:
        """Index the repository: reuse cached files, parse changed ones, drop removed ones."""
        try:
            stats = self._build_or_recover(progress, cancel)
            if self.options.definitions_in_memory:
                with self._memory_lock:
                    self._memory = self._load_memory()
            return stats
        finally:
            self._changed(None)

    def _load_memory(self) -> DefsInMemory | None:
        """The stored definitions, read into memory (None above `MAX_ROWS` of them)."""
        if self._query("SELECT count(*) FROM defs")[0][0] > MAX_ROWS:
            return None
        sql = f"SELECT rowid, part, {DEF_COLUMNS} FROM defs ORDER BY rowid"
        return DefsInMemory.read(lambda: self._query(sql))

    def _remember_file(self, rel: str) -> None:
        """File `rel`'s stored definitions changed (or were removed): so in memory too."""
        with self._memory_lock:
            memory = self._memory
            if memory is not None:
                sql = f"SELECT rowid, part, {DEF_COLUMNS} FROM defs WHERE path = ? ORDER BY rowid"
                memory.replace(rel, self._query(sql, (rel,)))

    def _build_or_recover(
        self, progress: Progress | None, cancel: threading.Event | None
    ) -> IndexStats:
        with self._build_lock:
            try:
                return self._build(progress, cancel)
            except sqlite3.DatabaseError as exc:
                if _is_contention(exc):
                    raise  # another process holds the lock for too long: not a broken cache
                log.warning("index cache error during build (%s); rebuilding from scratch", exc)
                self._store.recover()
                self._paths = None
                self._resolver = None
                return self._build(progress, cancel)

    @property
    def generation(self) -> int:
        """A counter bumped on every change of what the index answers (see `changed_since`)."""
        return self._generation

    def changed_since(self, generation: int) -> frozenset[str] | None:
        """The files whose answers changed after `generation` (None: unknown, or answers
        about any file may have: a build, a file added or removed, an ignore file)."""
        with self._lock:
            if generation == self._generation:
                return frozenset()
            if generation > self._generation or not self._changes:
                return None
            if self._changes[0][0] > generation + 1:
                return None  # older than the log
            paths: set[str] = set()
            for bumped, rel in self._changes:
                if bumped <= generation:
                    continue
                if rel is None:
                    return None
                paths.add(rel)
            return frozenset(paths)

    def _changed(self, rel: str | None) -> None:
        with self._lock:
            self._generation += 1
            self._changes.append((self._generation, rel))

    def _build(self, report: Progress | None, cancel: threading.Event | None) -> IndexStats:
        started = time.perf_counter()
        worker.use_secret_rules(self.options.secret_rules)
        progress: Progress | None = None
        if report is not None:

            def progress(done: int, total: int) -> None:
                try:
                    report(done, total)
                except Exception:  # a failing progress reporter must not stop indexing
                    log.debug("index: progress callback failed", exc_info=True)

        self.rules.invalidate()
        self._reasons.clear()
        candidates, skipped = walk.walk(str(self.root), self.exclusions)
        states = self._store.file_states()
        skip_states = self._store.skipped_states()
        wanted = {c.rel for c in candidates}
        removed = [p for p in states if p not in wanted] + [
            p for p in skip_states if p not in wanted
        ]
        if removed:
            self._store.delete(removed)
        tasks: list[Task] = []
        cached = 0
        verdicts = ("", worker.secret_rules_digest())  # a secret found, or clean under these
        for cand in candidates:
            state = states.get(cand.rel)
            if state is not None and _unchanged(state, cand.signature, cand.size, cand.mtime_ns):
                if state.secrets_clean in verdicts:
                    cached += 1
                    continue
                state = None  # clean under other secret rules: read and scanned again
            skip = skip_states.get(cand.rel)
            if skip is not None and skip.size == cand.size and skip.mtime_ns == cand.mtime_ns:
                skipped[skip.reason] += 1
                continue
            known = state.sha256 if state is not None else ""
            tasks.append(
                Task(cand.rel, cand.abspath, cand.size, cand.mtime_ns, cand.language, known)
            )
        total = len(candidates)
        done = total - len(tasks)
        if progress is not None:
            progress(done, total)

        languages = {c.rel: c.language for c in candidates}
        del candidates  # the tasks and `languages` say all that is still needed (large trees)
        resolvers: list[Resolver] = []  # built on the first parsed file (a warm start has none)

        def resolver() -> Resolver:
            if not resolvers:
                resolvers.append(Resolver(self.root, wanted, self._defined_in))
                with self._lock:
                    self._resolver = resolvers[0]
            return resolvers[0]

        stats = IndexStats(0, 0, {}, 0.0, cached, {})
        pending_parsed: list[ParsedFile] = []
        pending_same: list[Unchanged] = []
        pending_skip: list[Skipped] = []

        def flush() -> None:
            if pending_parsed or pending_same or pending_skip:
                self._store.write(pending_parsed, pending_same, pending_skip)
                pending_parsed.clear()
                pending_same.clear()
                pending_skip.clear()

        def on_result(result: Result) -> None:
            nonlocal done
            done += 1
            if isinstance(result, Parsed):
                pending_parsed.append(_resolved(resolver(), result))
                stats.parsed_files += 1
            elif isinstance(result, Unchanged):
                pending_same.append(result)
                stats.cached_files += 1
            else:
                pending_skip.append(result)
                skipped[result.reason] += 1
            if len(pending_parsed) + len(pending_same) + len(pending_skip) >= _WRITE_BATCH:
                flush()
            if progress is not None and (done % 16 == 0 or done == total):
                progress(done, total)

        def on_outcome(outcome: Outcome) -> None:  # a file that a pool worker stored itself
            nonlocal done
            done += 1
            if outcome == "parsed":
                stats.parsed_files += 1
            elif outcome == "unchanged":
                stats.cached_files += 1
            else:
                skipped[cast(SkipReason, outcome)] += 1
            if progress is not None and (done % 16 == 0 or done == total):
                progress(done, total)

        bulk = not states and len(tasks) >= _POOL_MIN_FILES
        if bulk:
            self._store.drop_bulk_indexes()
        try:
            stats.cancelled = self._run(tasks, on_result, on_outcome, resolver, cancel)
            flush()
        finally:
            if bulk:
                self._store.create_indexes()
        with self._lock:
            self._paths = None
            self._resolver = None
        paths = self._indexed_paths()
        if removed or stats.parsed_files:
            # against every walked file, as during the build (pool workers store imports
            # unresolved): also the files later skipped for their content
            walked = resolvers[0] if resolvers else Resolver(self.root, wanted, self._defined_in)
            self._reresolve(languages, walked)
        counts = Counter(paths.values())
        stats.files = len(paths)
        stats.languages = dict(sorted(counts.items()))
        stats.symbols = self._query("SELECT count(*) FROM defs")[0][0]
        stats.skipped = dict(sorted(skipped.items()))
        stats.removed_files = len(removed)
        stats.seconds = time.perf_counter() - started
        if progress is not None and not stats.cancelled:
            progress(total, total)
        return stats

    def _run(
        self,
        tasks: list[Task],
        on_result: Callable[[Result], None],
        on_outcome: Callable[[Outcome], None],
        resolver: Callable[[], Resolver],
        cancel: threading.Event | None,
    ) -> bool:
        """Process tasks serially (results stored by `on_result`) or in a process pool (whose
        workers store what they find); True if cancelled."""
        if not tasks:
            return False
        workers = self.options.workers or (os.cpu_count() or 1)
        total_bytes = sum(t.size for t in tasks)
        if workers > 1 and len(tasks) >= _POOL_MIN_FILES and total_bytes >= _POOL_MIN_BYTES:
            try:
                return self._run_pool(tasks, on_outcome, resolver, cancel, workers)
            except (OSError, RuntimeError) as exc:  # no /dev/shm, fork limits, ...
                log.warning("index: process pool unavailable (%s); indexing serially", exc)
        for task in tasks:
            if cancel is not None and cancel.is_set():
                return True
            on_result(worker.process(task))
        return False

    def _run_pool(
        self,
        tasks: list[Task],
        on_outcome: Callable[[Outcome], None],
        resolver: Callable[[], Resolver],
        cancel: threading.Event | None,
        workers: int,
    ) -> bool:
        ctx = _pool_context()
        if ctx.get_start_method() == "fork":  # forked workers resolve imports as they go
            worker.inherited_resolver = resolver()
        for language in {t.language for t in tasks}:  # compile once, inherited by forked workers
            spec = language_by_id(language)
            if spec is not None:
                _ = spec.tags_query
        ordered = sorted(tasks, key=lambda t: -t.size)  # big files first: no long tail
        chunk = max(1, min(16, len(ordered) // (workers * 16)))
        batches = [ordered[i : i + chunk] for i in range(0, len(ordered), chunk)]
        database = str(self._store.path)
        initargs = (self.options.worker_nice, database, self.options.secret_rules)
        pool = ctx.Pool(workers, initializer=worker.init_worker, initargs=initargs)
        cancelled = finished = False
        try:
            for outcomes in pool.imap_unordered(worker.store_many, batches):
                for outcome in outcomes:
                    on_outcome(outcome)
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
            finished = not cancelled
        finally:
            worker.inherited_resolver = None
            if finished:
                pool.close()
            else:  # cancelled, or a worker failed to store (the others would wait and fail)
                pool.terminate()
            pool.join()
        return cancelled

    def _reresolve(self, languages: Mapping[str, str], resolver: Resolver | None = None) -> None:
        """Resolve the imports that point nowhere: those stored by pool workers, and those
        whose target may exist now. In pages, so that memory stays flat on large trees."""
        resolver = resolver or self._get_resolver()
        indexed = self._indexed_paths()
        last = -1
        while True:
            rows = self._query(
                "SELECT rowid, path, module, names FROM imports "
                "WHERE resolved IS NULL AND rowid > ? ORDER BY rowid LIMIT ?",
                (last, _RESOLVE_PAGE),
            )
            if not rows:
                return
            last = rows[-1][0]
            updates = []
            for rowid, path, module, names in rows:
                language = languages.get(path) or indexed.get(path)
                if language is None:
                    continue
                hit = resolver.resolve(path, language, module, unpack_names(names))
                if hit is not None:
                    updates.append((hit, rowid))
            self._store.set_resolved(updates)

    # -- disk changes -------------------------------------------------------------------------

    def refresh_path(self, path: Path | str) -> None:
        """A file or folder was created or changed on disk (or saved)."""
        rel = self.relative(path)
        if rel is None:
            return
        abspath = self.root / rel
        name = abspath.name
        if name in self.rules._ignore_files:
            self.rules.invalidate()
            self._reasons.clear()
            self._changed(None)
            return
        if abspath.is_dir():
            if self._rule_reason(rel) is None:
                found, _ = walk.walk(str(abspath), self.exclusions)
                for cand in found:
                    self.refresh_path(f"{rel}/{cand.rel}")
            return
        try:
            stat = abspath.stat()
        except OSError:
            self.remove_path(rel)
            return
        spec = language_for_path(rel)
        if spec is None:
            return
        if self._rule_reason(rel) is not None or self.exclusions.file_reason(rel, stat.st_size):
            self.remove_path(rel)
            return
        rows = self._query(f"SELECT {FILE_STATE_COLUMNS} FROM files WHERE path = ?", (rel,))
        state = FileState(*rows[0]) if rows else None
        if state is not None and _unchanged(
            state, walk.read_signature(stat), stat.st_size, stat.st_mtime_ns
        ):
            self._remember_file(rel)  # another process sharing the cache may have stored it
            return
        known = state.sha256 if state is not None else ""
        worker.use_secret_rules(self.options.secret_rules)
        result = worker.process(
            Task(rel, str(abspath), stat.st_size, stat.st_mtime_ns, spec.id, known)
        )
        is_new = rel not in self._indexed_paths()
        if isinstance(result, Parsed):
            if is_new:
                with self._lock:
                    self._resolver = None
            resolver = self._get_resolver()
            if is_new:
                resolver.files.add(rel)
            self._store.write([_resolved(resolver, result)])
            self._remember_file(rel)
            with self._lock:
                self._indexed_paths()[rel] = spec.id
                self._paths_changes += is_new
            if is_new:
                self._reresolve({rel: spec.id})
            self._changed(None if is_new else rel)  # a new file: others' imports may resolve
        elif isinstance(result, Unchanged):
            self._store.write([], [result])
        else:
            self._store.write([], [], [result])
            self._remember_file(rel)
            with self._lock:
                self._paths_changes += self._indexed_paths().pop(rel, None) is not None
            self._changed(None)

    def remove_path(self, path: Path | str) -> None:
        """A file or folder was deleted (or became excluded)."""
        rel = self.relative(path)
        if rel is None:
            return
        paths = self._indexed_paths()
        gone = [p for p in paths if p == rel or p.startswith(rel + "/")]
        self._store.delete(gone or [rel])
        with self._memory_lock:
            if (memory := self._memory) is not None:
                for removed in gone or [rel]:
                    memory.replace(removed, ())
        with self._lock:
            for p in gone:
                paths.pop(p, None)
            self._paths_changes += 1
            self._resolver = None
        self._changed(None)

    # -- open documents -------------------------------------------------------------------------

    def update_text(self, path: Path | str, text: str) -> None:
        """An open document changed: reparse incrementally and update its symbols."""
        rel = self.relative(path)
        if rel is None:
            return
        spec = language_for_path(rel)
        if spec is None or self._rule_reason(rel) is not None:
            return
        data = text.encode("utf-8", "surrogatepass")
        with self._lock:
            doc = self._overlay.get(rel)

        def make(row: DefRow) -> Definition:
            return _definition(rel, row)

        try:
            if doc is not None and doc.parsed is not None and doc.spec is spec:
                if doc.data == data:
                    return
                parsed = incremental.update(doc.parsed, data, spec, make)
            else:
                parsed = incremental.full(data, spec, make)
        except ParseTimeout:
            with self._lock:
                if doc is not None:
                    doc.parsed = None
            return
        definitions = tuple(item[3] for item in parsed.defs)
        imports = [row for _s, _e, row in parsed.imports]
        if doc is not None and doc.parsed is not None and imports == doc.import_rows:
            resolved = doc.imports
        else:
            resolved = self._imports(rel, spec.id, imports)
        new_doc = _OpenDoc(rel, spec, data, parsed, definitions, resolved, imports)
        with self._lock:
            opened = rel not in self._overlay
            self._overlay[rel] = new_doc
            self._overlay_names.change(rel, new_doc.names)
            if opened:
                self._overlay_rels = frozenset(self._overlay)
        self._changed(rel)

    def _imports(self, rel: str, language: str, rows: list[ImportRow]) -> tuple[Import, ...]:
        resolver = self._get_resolver()
        return tuple(
            Import(m, n, a, line, resolver.resolve(rel, language, m, n)) for m, n, a, line in rows
        )

    def open_tree(self, path: Path | str) -> tuple[ts.Tree, bytes] | None:
        """The syntax tree of an open document and the UTF-8 text it was parsed from."""
        rel = self.relative(path)
        with self._lock:
            doc = self._overlay.get(rel) if rel is not None else None
        if doc is None or doc.parsed is None:
            return None
        return doc.parsed.tree, doc.parsed.data

    def close_text(self, path: Path | str) -> None:
        """The document was closed: the disk content is authoritative again."""
        rel = self.relative(path)
        if rel is None:
            return
        with self._lock:
            had = self._overlay.pop(rel, None)
            if had is not None:
                self._overlay_names.change(rel, None)
                self._overlay_rels = frozenset(self._overlay)
        if had is not None:
            self._changed(rel)
            self.refresh_path(rel)

    # -- queries --------------------------------------------------------------------------------

    def _overlay_docs(self) -> list[_OpenDoc]:
        with self._lock:
            return list(self._overlay.values())

    def _overlay_defining(self, names: Iterable[str]) -> tuple[frozenset[str], list[_OpenDoc]]:
        """The open documents' paths (their rows on disk are stale) and, in the order they
        were opened, the open documents that define one of `names`."""
        with self._lock:
            defining = self._overlay_names.defining(names)
            hidden = self._overlay_rels
            if not defining:
                return hidden, []
            return hidden, [doc for rel, doc in self._overlay.items() if rel in defining]

    def _rows_to_defs(
        self, rows: Iterable[tuple[Any, ...]], hidden: Collection[str]
    ) -> list[Definition]:
        return [definition_from_row(row) for row in rows if row[2] not in hidden]

    def definitions(self, name: str, in_files: Iterable[str] | None = None) -> list[Definition]:
        """Definitions named `name`, optionally only in the given files."""
        hidden, defining = self._overlay_defining((name,))
        sql = f"SELECT {DEF_COLUMNS} FROM defs WHERE name = ?"
        memory = self._memory
        if in_files is None:
            if memory is not None:
                found = [d for d in memory.named((name,)) if d.path not in hidden]
            else:
                found = self._rows_to_defs(self._query(sql, (name,)), hidden)
            wanted: set[str] | None = None
        else:
            wanted = {self._rel(f) for f in in_files}
            rows = self._query_in(sql + " AND path IN ({})", sorted(wanted - hidden), name)
            found = [definition_from_row(row) for row in rows]
        for doc in defining:
            if wanted is None or doc.rel in wanted:
                found.extend(doc.named(name))
        return found

    def definitions_in(self, name: str, parts: Iterable[str]) -> list[Definition]:
        """Definitions named `name` in the given parts (`model.PARTS`): only the rows asked
        for leave SQLite (`__init__` used bare wants none of its thousand methods)."""
        if frozenset(parts) >= PARTS:
            return self.definitions(name)
        return self.definitions_named((name,), parts)

    def definitions_named(self, names: Iterable[str], parts: Iterable[str]) -> list[Definition]:
        """`definitions_in` for many names at once (one query per 900 names)."""
        wanted = frozenset(parts) & PARTS
        listed = sorted(set(names))
        if not wanted or not listed:
            return []
        hidden, defining = self._overlay_defining(listed)
        codes = None if wanted == PARTS else {PART_CODES[part] for part in wanted}
        memory = self._memory
        if memory is not None:
            found = [d for d in memory.named(listed, codes) if d.path not in hidden]
        else:
            where = f" AND part IN ({','.join(map(str, sorted(codes)))})" if codes else ""
            sql = f"SELECT {DEF_COLUMNS} FROM defs WHERE name IN ({{}}){where}"
            found = self._rows_to_defs(self._query_in(sql, listed), hidden)
        for doc in defining:
            found.extend(d for d in doc.named_among(listed) if part_of(d) in wanted)
        return found

    def member_counts(self, names: Iterable[str]) -> dict[str, int]:
        """How many class members (`model.MEMBERS`) of each name the index holds, counted
        in its name index alone (open documents' changes aside: a count is a measure)."""
        memory = self._memory
        if memory is not None:
            return memory.count_named(names, PART_CODES[MEMBERS])
        rows = self._query_in(
            f"SELECT name, count(*) FROM defs WHERE part = {PART_CODES[MEMBERS]} "
            "AND name IN ({}) GROUP BY name",
            sorted(set(names)),
        )
        return dict(rows)

    def members_named(self, name: str, containers: Iterable[str]) -> list[Definition]:
        """The members (`model.MEMBERS`) named `name` of the containers so named, found
        through the containers: `__init__` of a few classes, not read among a thousand."""
        hidden, defining = self._overlay_defining((name,))
        listed = sorted(set(containers))
        rows = self._query_in(
            f"SELECT {DEF_COLUMNS} FROM defs WHERE +name = ? AND part = {PART_CODES[MEMBERS]} "
            "AND container IN ({})",
            listed,
            name,
        )
        found = self._rows_to_defs(rows, hidden)
        wanted = set(listed)
        for doc in defining:
            found.extend(
                d for d in doc.named(name) if d.container in wanted and part_of(d) == MEMBERS
            )
        return found

    def top_level_definitions(self, path: Path | str) -> list[Definition]:
        """The definitions of one file that no other contains, in source order (what a
        module offers: a big module's methods are most of its rows)."""
        return self.top_level_definitions_of((str(path),))[self._rel(path)]

    def secrets_verdict(self, path: Path | str) -> SecretsVerdict | None:
        """The file's verdict as stored (see `SecretsVerdict`)."""
        rel = self._rel(path)
        return self.secrets_verdicts([rel]).get(rel)

    def secrets_verdicts(self, paths: Iterable[str]) -> dict[str, SecretsVerdict]:
        """`secrets_verdict` of many files (relative paths) at once."""
        rows = self._query_in(
            "SELECT path, sha256, secrets_clean, read_stat FROM files WHERE path IN ({})",
            sorted(set(paths)),
        )
        return {row[0]: SecretsVerdict(*row[1:]) for row in rows}

    def file_definitions(self, path: Path | str) -> list[Definition]:
        rel = self._rel(path)
        with self._lock:
            doc = self._overlay.get(rel)
        if doc is not None:
            return list(doc.definitions)
        memory = self._memory
        if memory is not None:
            return memory.in_file(rel)
        rows = self._query(f"SELECT {DEF_COLUMNS} FROM defs WHERE path = ? ORDER BY rowid", (rel,))
        return [definition_from_row(row) for row in rows]

    def members(self, container: str) -> list[Definition]:
        """Methods, fields and nested definitions whose container is `container`."""
        docs = self._overlay_docs()
        hidden = {d.rel for d in docs}
        rows = self._query(f"SELECT {DEF_COLUMNS} FROM defs WHERE container = ?", (container,))
        found = self._rows_to_defs(rows, hidden)
        for doc in docs:
            found.extend(doc.members_of(container))
        return found

    def top_level_definitions_of(self, paths: Iterable[str]) -> dict[str, list[Definition]]:
        """`top_level_definitions` of many files at once (one query per 900 files)."""

        def open_top(doc: _OpenDoc) -> list[Definition]:
            return [d for d in doc.definitions if d.container is None]

        memory = self._memory
        if memory is not None:
            with self._lock:
                docs = {rel: self._overlay.get(rel) for rel in {self._rel(p) for p in paths}}
            return {
                rel: open_top(doc) if doc is not None else memory.in_file_part(rel, TOP_CODE)
                for rel, doc in sorted(docs.items())
            }
        return self._per_file(
            paths,
            open_top,
            f"SELECT {DEF_COLUMNS} FROM defs WHERE path IN ({{}}) AND part = {PART_CODES[TOP]} "
            "ORDER BY path, rowid",
            lambda row: (row[2], definition_from_row(row)),
        )

    def members_in(self, container: str, path: Path | str) -> list[Definition]:
        """`members(container)` of one file (a name like `Codec` has a class in every codec
        module: only this file's rows are read)."""
        rel = self._rel(path)
        with self._lock:
            doc = self._overlay.get(rel)
        if doc is not None:
            return list(doc.members_of(container))
        memory = self._memory
        if memory is not None:
            return memory.in_file_container(rel, container)
        rows = self._query(
            f"SELECT {DEF_COLUMNS} FROM defs WHERE container = ? AND path = ?", (container, rel)
        )
        return [definition_from_row(row) for row in rows]

    def imports_of(self, path: Path | str) -> list[Import]:
        rel = self._rel(path)
        with self._lock:
            doc = self._overlay.get(rel)
        if doc is not None:
            return list(doc.imports)
        rows = self._query(
            "SELECT module, names, aliases, line, resolved FROM imports WHERE path = ? "
            "ORDER BY rowid",
            (rel,),
        )
        return [
            Import(module, unpack_names(names), unpack_aliases(aliases), line, resolved)
            for module, names, aliases, line, resolved in rows
        ]

    def imports_of_files(self, paths: Iterable[str]) -> dict[str, list[Import]]:
        """`imports_of` many files at once (one query per 900 files)."""
        return self._per_file(
            paths,
            lambda doc: list(doc.imports),
            "SELECT path, module, names, aliases, line, resolved FROM imports "
            "WHERE path IN ({}) ORDER BY path, rowid",
            lambda row: (
                row[0],
                Import(row[1], unpack_names(row[2]), unpack_aliases(row[3]), row[4], row[5]),
            ),
        )

    def _per_file(
        self,
        paths: Iterable[str],
        from_doc: Callable[[_OpenDoc], list[_T]],
        sql: str,
        from_row: Callable[[tuple[Any, ...]], tuple[str, _T]],
    ) -> dict[str, list[_T]]:
        """Rows of many files by path: open documents from their overlay, the others from
        `sql` (its `{}` takes the placeholders), one query per `_SQL_MAX_PARAMS` files. Each
        file's rows come in their order; `ORDER BY path, rowid` says so in the path index's
        own order (`ORDER BY rowid` sorted every row of the files in a temporary tree)."""
        rels = sorted({self._rel(p) for p in paths})
        found: dict[str, list[_T]] = {rel: [] for rel in rels}
        with self._lock:
            docs = {rel: self._overlay[rel] for rel in rels if rel in self._overlay}
        for rel, doc in docs.items():
            found[rel] = from_doc(doc)
        for row in self._query_in(sql, [rel for rel in rels if rel not in docs]):
            path, item = from_row(row)
            found[path].append(item)
        return found

    def aliased_imports(self) -> list[tuple[str, Import]]:
        """(importer, import) for every stored import that binds an alias: how the
        repository conventionally names a module (`from . import datastructures as ds`),
        for a file that uses the name before (or without) its own import."""
        rows = self._query(
            "SELECT path, module, names, aliases, line, resolved FROM imports "
            "WHERE aliases != '' ORDER BY path, line"
        )
        return [
            (path, Import(module, unpack_names(names), unpack_aliases(aliases), line, resolved))
            for path, module, names, aliases, line, resolved in rows
        ]

    def imports_aliased_as(self, alias: str) -> list[tuple[str, Import]]:
        """(importer, import) for every stored import that binds `alias` with `as`: what
        `aliased_imports` holds for one alias, without reading the others."""
        rows = self._query(
            "SELECT i.path, i.module, i.names, i.aliases, i.line, i.resolved "
            "FROM import_aliases a JOIN imports i ON i.path = a.path AND i.line = a.line "
            "WHERE a.alias = ? AND i.aliases != '' ORDER BY i.path, i.line, i.rowid",
            (alias,),
        )
        found: list[tuple[str, Import]] = []
        for path, module, names, aliases, line, resolved in rows:
            pairs = unpack_aliases(aliases)
            if any(bound == alias for _name, bound in pairs):
                found.append((path, Import(module, unpack_names(names), pairs, line, resolved)))
        return found

    def search(self, query: str, limit: int = 100) -> list[Definition]:
        """Fuzzy workspace-symbol search: exact, prefix, camel-case, substring, subsequence."""
        query = query.strip()
        docs = self._overlay_docs()
        hidden = {d.rel for d in docs}
        if not query:
            rows = self._query(
                f"SELECT {DEF_COLUMNS} FROM defs WHERE container IS NULL "
                f"ORDER BY path, line LIMIT ?",
                (limit,),
            )
            return self._rows_to_defs(rows, hidden)[:limit]
        escaped = "".join("\\" + c if c in "%_\\" else c for c in query)
        subsequence = "%" + "%".join("\\" + c if c in "%_\\" else c for c in query) + "%"
        candidates: dict[tuple[str, int, str], Definition] = {}
        for pattern, cap in ((escaped + "%", 2000), (subsequence, 5000)):
            rows = self._query(
                f"SELECT {DEF_COLUMNS} FROM defs WHERE name LIKE ? ESCAPE '\\' "
                f"ORDER BY length(name) LIMIT ?",
                (pattern, cap),
            )
            for definition in self._rows_to_defs(rows, hidden):
                candidates[(definition.path, definition.line, definition.name)] = definition
        for doc in docs:
            for definition in doc.definitions:
                candidates[(definition.path, definition.line, definition.name)] = definition
        return rank(query, candidates.values(), limit)

    def record(self, path: Path | str) -> FileRecord | None:
        rel = self._rel(path)
        with self._lock:
            doc = self._overlay.get(rel)
        if doc is not None:
            disk = self._query("SELECT size, mtime_ns FROM files WHERE path = ?", (rel,))
            size, mtime = disk[0] if disk else (len(doc.data), 0)
            return FileRecord(
                rel,
                doc.spec.id,
                doc.sha256 or _sha(doc.data),
                size,
                mtime,
                doc.definitions,
                doc.imports,
                doc.references(),
            )
        rows = self._query(
            "SELECT language, sha256, size, mtime_ns FROM files WHERE path = ?", (rel,)
        )
        if not rows:
            return None
        language, sha, size, mtime = rows[0]
        return FileRecord(
            rel,
            language,
            sha,
            size,
            mtime,
            tuple(self.file_definitions(rel)),
            tuple(self.imports_of(rel)),
            self._disk_references(rel, size, mtime),
        )

    def _disk_references(self, rel: str, size: int, mtime_ns: int) -> frozenset[str]:
        """Identifiers referenced by a file on disk, scanned on demand and memoized."""
        key = (rel, size, mtime_ns)
        cached = self._refs_cache.get(key)
        if cached is not None:
            return cached
        try:
            text = (self.root / rel).read_bytes().decode("utf-8", "replace")
        except OSError:
            return frozenset()
        refs = referenced_identifiers(text)
        with self._lock:
            if len(self._refs_cache) > 512:
                self._refs_cache.clear()
            self._refs_cache[key] = refs
        return refs

    def files(self) -> list[str]:
        """Every indexed or open file, sorted: the same list object while no file comes or
        goes (callers must not change it), so that what is derived from it is reused. An edit
        does not sort the list again, nor does opening an indexed file."""
        with self._lock:
            indexed = self._indexed_paths()
            unindexed = tuple(sorted(p for p in self._overlay if p not in indexed))
            state = (self._paths_changes, unindexed)
            listed = self._files
            if listed is None or listed[0] is not indexed or listed[1] != state:
                listed = self._files = (indexed, state, sorted(set(indexed) | set(state[1])))
        return listed[2]


def _unchanged(state: FileState, signature: str, size: int, mtime_ns: int) -> bool:
    """The stored state still describes the file on disk: the stat it was read at, when both
    are known (a same-size rewrite within one mtime tick, or with the mtime set back, still
    moves the ctime), else size and mtime."""
    if state.read_stat and signature:
        return state.read_stat == signature
    return state.size == size and state.mtime_ns == mtime_ns


def _is_contention(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


_FORKSERVER: multiprocessing.context.BaseContext | None = None


#: The index last opened on each root: the context builder's redaction knows a root only,
#: and asks it for the secret verdicts of the files it takes pieces from.
_open_indexes: weakref.WeakValueDictionary[str, RepoIndex] = weakref.WeakValueDictionary()


def index_at(root: Path | str) -> RepoIndex | None:
    """The open index of `root` (its real path), if any."""
    return _open_indexes.get(os.fspath(root))


def _pool_context() -> multiprocessing.context.BaseContext:
    """How to start workers: fork when this process has a single thread (the CLI, the bench:
    instant, and compiled queries are inherited), else forkserver (forking a threaded process
    such as the server can deadlock), else spawn."""
    global _FORKSERVER
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        if _FORKSERVER is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["lsp_server.index.worker"])
            _FORKSERVER = ctx
        return _FORKSERVER
    return multiprocessing.get_context("spawn")


def options_from_settings(settings: object | None, cache_dir: Path | None = None) -> IndexOptions:
    """IndexOptions from `lsp_server.config` Settings (duck-typed: index.*, privacy.*)."""
    if settings is None:
        return IndexOptions(cache_dir=cache_dir)
    index = getattr(settings, "index", None)
    privacy = getattr(settings, "privacy", None)
    return IndexOptions(
        max_file_kb=int(getattr(index, "max_file_kb", 512)),
        exclude=tuple(getattr(index, "exclude_layers", ()) or ()),
        privacy_exclude=tuple(getattr(privacy, "exclude_layers", ()) or ()),
        cache_dir=cache_dir,
    )


if TYPE_CHECKING:  # mypy checks here that RepoIndex answers what the context package asks
    _READER: type[IndexReader] = RepoIndex
    _BATCHED: type[BatchedIndexReader] = RepoIndex
