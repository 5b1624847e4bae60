"""The project's reference in docs/: every page the code cites exists and holds what it is
cited for, every import and export kind has its section in docs/formats.md, every command
and setting is in docs/operations.md, and the pages' links lead somewhere."""

import re
from pathlib import Path
from types import SimpleNamespace

import click

from app.cli import register as register_cli
from app.services.dataio import exports, registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CITING = [ROOT / "README.md"] + [
    path
    for folder in ("app", "tests", "bench")
    for path in sorted((ROOT / folder).rglob("*"))
    if path.suffix in {".py", ".md", ".html"} and "__pycache__" not in path.parts
]
PAGE = re.compile(r"docs/([\w-]+\.md)")
# "docs/formats.md `cdrs`", "docs/formats.md, `rates`": a citation naming a section
SECTION = re.compile(r"docs/([\w-]+\.md),? `([\w-]+)`")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _text(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def _headings(page: str) -> list[str]:
    """The page's headings, code blocks left out (a `#` there is no heading)."""
    prose = FENCE.sub("", _text(page))
    return [line.lstrip("#").strip() for line in prose.splitlines() if re.match(r"#+ ", line)]


def _anchors(page: str) -> set[str]:
    """The anchors GitHub gives the page's headings: lower case, punctuation dropped,
    spaces as hyphens, a repeated one numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in _headings(page):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _citations() -> list[tuple[Path, str]]:
    return [
        (path, text)
        for path in CITING
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        if "docs/" in text
    ]


def test_every_cited_page_exists():
    missing = {
        f"docs/{page}": str(path.relative_to(ROOT))
        for path, text in _citations()
        for page in PAGE.findall(text)
        if not (DOCS / page).is_file()
    }
    assert not missing, f"cited but not written (page: first citing file): {missing}"


def test_every_cited_section_exists():
    missing = [
        f"{path.relative_to(ROOT)}: docs/{page} `{name}`"
        for path, text in _citations()
        for page, name in SECTION.findall(text)
        if (DOCS / page).is_file() and not any(f"`{name}`" in h for h in _headings(page))
    ]
    assert not missing, f"no heading names the section cited: {missing}"


def test_every_import_and_export_kind_has_its_section():
    headings = _headings("formats.md")
    kinds = [*registry.IMPORTERS, *exports.KINDS]
    missing = [kind for kind in kinds if not any(f"`{kind}`" in h for h in headings)]
    assert not missing, f"docs/formats.md has no heading naming {missing}"


def test_every_import_format_is_described():
    text = _text("formats.md")
    missing = [
        f"{kind} --format {fmt}"
        for kind, formats in registry.IMPORTERS.items()
        for fmt in formats
        if fmt != "csv" and f"--format {fmt}" not in text
    ]
    assert not missing, f"docs/formats.md does not describe {missing}"


def _commands() -> list[str]:
    """Every `flask ...` command the app adds, as typed: "flask data import"."""
    added: list[click.Command] = []
    register_cli(SimpleNamespace(cli=SimpleNamespace(add_command=added.append)))
    names = []
    for command in added:
        if isinstance(command, click.Group):
            names += [f"flask {command.name} {sub}" for sub in command.commands]
        else:
            names.append(f"flask {command.name}")
    return names


def test_every_command_is_in_operations():
    text = _text("operations.md")
    commands = _commands()
    assert "flask billing run" in commands  # the walk finds the groups' commands
    missing = [command for command in commands if command not in text]
    assert not missing, f"docs/operations.md does not document {missing}"


def test_every_setting_is_in_operations():
    config = (ROOT / "app" / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:environ\.get|_flag)\(\s*["']([A-Z][A-Z0-9_]*)["']""", config))
    assert "DATABASE_URL" in names  # the pattern still reads app/config.py
    text = _text("operations.md")
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/operations.md does not document {missing}"


def test_links_between_pages_lead_somewhere():
    broken = []
    for page in sorted(p.name for p in DOCS.glob("*.md")):
        for target in LINK.findall(FENCE.sub("", _text(page))):
            if re.match(r"[a-z]+:", target):
                continue  # another site
            path, _, anchor = target.partition("#")
            linked = (DOCS / path).resolve() if path else DOCS / page
            if not linked.exists():
                broken.append(f"{page}: {target} (no such file)")
            elif anchor and linked.parent == DOCS and anchor not in _anchors(linked.name):
                broken.append(f"{page}: {target} (no such heading)")
    assert not broken, broken


def test_the_index_lists_every_page():
    index = _text("README.md")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    assert pages, "docs/ holds no page"
    missing = [page for page in pages if f"]({page})" not in index]
    assert not missing, f"docs/README.md does not link {missing}"
