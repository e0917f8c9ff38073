"""README and the docs site's pages, checked without building the site (`make docs` builds it).

README stays a short front page (title, the two set-up commands, the tour, links into docs/);
every relative link in README and docs/ must point at a file that exists, or at one of the
reference pages `make docs` generates (docs/gen_reference.py; git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Written by docs/gen_reference.py before `mkdocs build`; not in git.
GENERATED = {
    DOCS / "reference" / "config.md",
    DOCS / "reference" / "config.schema.json",
    DOCS / "reference" / "profile.schema.json",
    DOCS / "reference" / "cli.md",
}

_FENCE = re.compile(r"^ *(```|~~~).*?^ *\1", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _links(path: Path) -> list[str]:
    text = _CODE_SPAN.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))
    return _LINK.findall(text)


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def test_readme_is_a_short_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 200, f"README.md has {len(lines)} lines; move detail into docs/"
    assert lines[0] == "# tfxkit"


def test_readme_starts_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block is not None and text.index(first_block.group(0)) < text.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test", "docs"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no '{target}' target"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(page: Path):
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, mailto: ... and anchors on the same page
        path = target.split("#", 1)[0]
        resolved = (page.parent / path).resolve()
        if not resolved.exists() and resolved not in GENERATED:
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to missing files: {broken}"


def test_the_docs_are_linked_from_readme_and_in_the_nav():
    readme_links = {(README.parent / t.split("#")[0]).resolve() for t in _links(README)}
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).as_posix()
        assert f": {relative}" in nav, f"docs/{relative} is not in mkdocs.yml's nav"
    assert (DOCS / "index.md").resolve() in readme_links


def test_generated_pages_are_git_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    for path in GENERATED:
        assert path.relative_to(ROOT).as_posix() in ignored
