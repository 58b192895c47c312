"""The dashboard's files: no inline script or style, no HTML parsing of data, the train form's bounds
are the domain's, and every file ships in the wheel."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

from domain.model_version import TRAIN_BOUNDS
from entrypoints.http.routes_admin_ui import MEDIA_TYPES, assets

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "entrypoints" / "http" / "ui"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_data(self, data: str) -> None:
        if getattr(self, "_open", None) in ("script", "style") and data.strip():
            self.inline_script = True


def page() -> Page:
    parsed = Page()
    parsed.feed((UI / "index.html").read_text())
    return parsed


def test_no_inline_script_style_or_handler() -> None:
    parsed = page()
    assert not parsed.inline_script
    for tag, attrs in parsed.tags:
        assert tag != "style", "styles live in app.css"
        assert "style" not in attrs, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/admin/ui/"), attrs


def test_scripts_never_parse_text_as_html() -> None:
    scripts = {p.name: p.read_text() for p in UI.glob("*.js")}
    assert scripts
    for name, code in scripts.items():
        for sink in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert sink not in code, (name, sink)
        for imported in re.findall(r'from "\./([\w.]+)"', code):
            assert (UI / imported).is_file(), (name, imported)


def test_the_train_forms_bounds_are_the_domains() -> None:
    inputs = {attrs["name"]: attrs for tag, attrs in page().tags if tag == "input" and attrs.get("name")}
    for name, bound in TRAIN_BOUNDS.items():
        field = inputs[name]
        assert float(field["min"] or "nan") == bound.low, name
        if bound.high is None:
            assert "max" not in field, name
        else:
            assert float(field["max"] or "nan") == bound.high, name
    assert "(0, 1]" in (UI / "index.html").read_text()  # learning_rate's open lower bound is said


def test_every_file_is_served_and_ships_in_the_package() -> None:
    files = {p.name for p in UI.iterdir() if p.suffix in MEDIA_TYPES}
    assert files == set(assets())
    assert {"index.html", "app.js", "app.css"} <= files
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = globs["entrypoints.http"]
    for name in files:
        assert any(fnmatch.fnmatch(f"ui/{name}", pattern) for pattern in shipped), name
    referenced = re.findall(r'(?:src|href)="/admin/ui/([\w.]+)"', (UI / "index.html").read_text())
    assert referenced and set(referenced) <= files
