"""Fuzzy workspace-symbol search ranking."""

from __future__ import annotations

from pathlib import Path

from lsp_server.index.search import score, word_starts
from tests.index_helpers import make_index

SOURCE = """
class HttpRequestHandler: pass
class RequestHandlerBase: pass
def get_request_handler(): pass
def handle(): pass
def hrh_helper(): pass
class Cache: pass
class CacheEntry: pass
CACHE_SIZE = 3
def clear_cache(): pass
def cache(): pass
class Reactor:
    def run(self): pass
"""


def test_search_ranking(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "mod.py").write_text(SOURCE)
    (root / "other.py").write_text("def Cache(): pass\n")
    index = make_index(root, tmp_path / "cache")
    index.build()

    def top(query: str, n: int = 3) -> list[str]:
        return [d.name for d in index.search(query, limit=n)]

    # exact (case-sensitive) before case-insensitive before prefix
    assert top("Cache", 5)[:2] == ["Cache", "Cache"]
    assert index.search("Cache")[0].kind == "class"  # a class before a function
    assert top("cache", 5)[:3] == ["cache", "Cache", "Cache"]
    assert top("CacheE") == ["CacheEntry", "CACHE_SIZE"]  # prefix, then subsequence
    # camel-case initials and snake-case word starts
    assert top("HRH", 2) == ["hrh_helper", "HttpRequestHandler"]  # prefix, then initials
    assert top("grh")[0] == "get_request_handler"
    assert top("ReqHan")[0] == "RequestHandlerBase"
    # substring, then scattered subsequence
    assert "clear_cache" in top("ear_ca")
    assert top("rctr") == ["Reactor"]
    assert index.search("zzzz") == []
    assert len(index.search("", limit=5)) == 5
    assert len(index.search("a", limit=2)) == 2
    # LIKE wildcards in the query are literal
    assert index.search("%") == [] and index.search("_") != []
    index.close()


def test_score_tiers() -> None:
    assert score("abc", "abc") < score("abc", "ABC") < score("abc", "abcdef")
    assert score("gfb", "getFooBar")[0] == 4
    assert score("oob", "getFooBar")[0] == 5
    assert score("gtb", "getFooBar")[0] == 6
    assert score("xyz", "getFooBar") is None
    assert word_starts("getHTTPResponse_code") == [0, 3, 7, 16]
