"""Sources judged during the debounce (`prescan`) and the request after it: the verdicts are
taken only while fresh and while the exclusion rules are unchanged; otherwise the request
judges its sources itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.endpoint import ContentExcluded, EndpointService, FimRequest
from lsp_server.endpoint.service import PREJUDGED_S
from tests.fake_endpoint import TEST_KEY, FakeMistral, make_settings


def _setup(tmp_path: Path, fake: FakeMistral) -> tuple[EndpointService, list[float], Path]:
    now = [100.0]
    settings = make_settings(fake.url, audit_path=str(tmp_path / "audit.jsonl"))
    svc = EndpointService(
        settings, [tmp_path], env={"MISTRAL_API_KEY": TEST_KEY}, clock=lambda: now[0]
    )
    (tmp_path / ".env").write_text("TOKEN=1\n")
    source = tmp_path / "util.py"
    source.write_text("def f():\n    pass\n")
    svc.prescan(["def f(", "\n"], [str(source)])
    # The file becomes a symlink to an excluded one after it was judged.
    source.unlink()
    source.symlink_to(tmp_path / ".env")
    return svc, now, source


def _request(source: Path) -> FimRequest:
    return FimRequest(prompt="def f(", suffix="\n", max_tokens=8, sources=[str(source)])


async def test_an_old_verdict_is_not_taken(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        svc, now, source = _setup(tmp_path, fake)
        now[0] += PREJUDGED_S + 0.1
        with pytest.raises(ContentExcluded):
            await svc.fim(_request(source))
        await svc.aclose()
        assert fake.requests_for("fim") == []


async def test_a_rule_change_drops_the_verdicts(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        svc, _now, source = _setup(tmp_path, fake)
        svc.invalidate_exclusions()
        with pytest.raises(ContentExcluded):
            await svc.fim(_request(source))
        await svc.aclose()
        assert fake.requests_for("fim") == []


async def test_a_source_not_prejudged_is_judged_by_the_request(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        svc, _now, source = _setup(tmp_path, fake)
        other = tmp_path / "other.py"
        other.symlink_to(tmp_path / ".env")
        with pytest.raises(ContentExcluded):
            await svc.fim(_request(other))
        await svc.aclose()
        assert fake.requests_for("fim") == []
