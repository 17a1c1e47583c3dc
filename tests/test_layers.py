"""The house's layers: the domain imports no web framework and locates refusals in the request document.

The edge is ``api/`` (and ``app.py`` that assembles it) and ``commands/`` (the CLI, which sends requests to the
app); everything else is the domain, the frontends, the analyses and the renderers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import convplan

PACKAGE = Path(convplan.__file__).parent
EDGE = ("api", "commands", "app.py")
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")
HTTP_PARTS = frozenset({"body", "path", "query", "header", "cookie"})


def _below_the_edge() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in EDGE)


def _http_locations(tree: ast.AST) -> list[int]:
    """Lines of tuple literals that start with an HTTP part (``("body", "layers", 3)``): a location."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Tuple) and node.elts and isinstance(node.elts[0], ast.Constant)
            and node.elts[0].value in HTTP_PARTS]


def test_the_scan_finds_a_location() -> None:
    assert _http_locations(ast.parse('raise X([ErrorItem(("body", "layers", 3), m, t)])')) == [1]
    assert _http_locations(ast.parse('loc = ("path", "op")')) == [1]
    assert _http_locations(ast.parse('loc = ("layers", 3)\nparts = ("body",)')) == [2]
    assert _http_locations(ast.parse('doc.add("path", d="M0,0")')) == []  # an SVG element, not a tuple


@pytest.mark.parametrize("path", _below_the_edge(), ids=lambda p: str(p.relative_to(PACKAGE)))
class TestBelowTheEdge:
    def test_imports_no_web_framework(self, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert [name for name in imported if name.split(".")[0] in WEB_FRAMEWORKS] == []
        assert [name for name in imported if name.startswith("convplan.api")] == []

    def test_locations_are_in_the_request_document(self, path: Path) -> None:
        # ``convplan.api.locations`` says where the document is in the HTTP request.
        assert _http_locations(ast.parse(path.read_text(encoding="utf-8"))) == []
