"""Fail when a user-visible string is missing from a catalog or left untranslated.

Extracts the messages from the source afresh (as `make babel-extract` does) and checks
that the it, ko and ru catalogs translate every one of them, with nothing fuzzy.
"""

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("it", "ko", "ru")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def main() -> int:
    wanted = source_messages()
    problems = []
    for language in LANGUAGES:
        path = ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        translated = {}
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                problems.append(f"{language}: fuzzy: {key!r}")
            elif not all(strings):
                problems.append(f"{language}: untranslated: {key!r}")
            translated[key] = message
        problems += [f"{language}: missing: {m!r}" for m in sorted(wanted - set(translated))]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} translation problems; run `make babel-update` and translate")
        return 1
    print(f"translations complete: {len(wanted)} messages in {', '.join(LANGUAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
