#!/usr/bin/env python3
"""Language files against the client's sources (after ImHex's tests/check_langs.py).

Every string literal in client/app that looks like a language key ("area.name", lower case with
at least one dot) is a key: tr("find.hint"), trf("sync.pending", …), trKey("status.draft"), and
keys chosen in a ternary or passed to a helper. Fails when a used key is missing from either
assets/lang/en.json or cy.json, when the two files hold different keys, when a file holds a key
nothing uses, or when a value is empty or keeps a {n} placeholder the other language lacks.
"""
import argparse
import json
import pathlib
import re
import sys

KEY = re.compile(r'"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"')
FILE_EXTENSIONS = {"db", "json", "png", "ttf", "csv", "md", "txt"}
PLACEHOLDER = re.compile(r"\{(\d)\}")


def used_keys(source_dir):
    keys = {}
    for path in sorted(source_dir.rglob("*")):
        if path.suffix not in (".cpp", ".hpp"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("//") or "#include" in line:
                continue
            for match in KEY.finditer(line):
                if match.group(1).rsplit(".", 1)[1] in FILE_EXTENSIONS:
                    continue  # a file name ("signpost.db"), not a key
                keys.setdefault(match.group(1), f"{path.relative_to(source_dir)}:{number}")
    return keys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", required=True, type=pathlib.Path)
    parser.add_argument("--lang", required=True, type=pathlib.Path)
    parser.add_argument("--list", action="store_true", help="print the used keys and exit")
    args = parser.parse_args()

    used = used_keys(args.sources)
    if args.list:
        for key in sorted(used):
            print(key)
        return 0
    files = {}
    problems = []
    for code in ("en", "cy"):
        path = args.lang / f"{code}.json"
        try:
            files[code] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            problems.append(f"{path}: {e}")
    if problems:
        print("\n".join(problems))
        return 1
    for code, table in files.items():
        for key, where in sorted(used.items()):
            if key not in table:
                problems.append(f"{code}.json: missing \"{key}\" (used at {where})")
        for key, value in sorted(table.items()):
            if key not in used:
                problems.append(f"{code}.json: \"{key}\" is not used anywhere in client/app")
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{code}.json: \"{key}\" is empty")
    for key in sorted(set(files["en"]) & set(files["cy"])):
        en = sorted(PLACEHOLDER.findall(files["en"][key]))
        cy = sorted(PLACEHOLDER.findall(files["cy"][key]))
        if en != cy:
            problems.append(f"\"{key}\": placeholders differ (en {en}, cy {cy})")
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} problem(s) with the language files")
        return 1
    print(f"{len(used)} keys used; en.json and cy.json hold exactly those")
    return 0


if __name__ == "__main__":
    sys.exit(main())
