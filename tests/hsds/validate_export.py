#!/usr/bin/env python3
"""Validates Signpost's HSDS export against the official HSDS 3.0 schema.

Each service in an export page ({"total_items", ..., "contents": [...]}) is checked against
schema/service.json with format checking on (uuid, date-time, email), and the page itself is
checked for the list-page fields. With --fixture, the fixture executable first writes an export
of the official examples plus services of our own into a temporary file.

    validate_export.py --schema service.json [--fixture EXE --examples DIR] [EXPORT.json ...]

Exits non-zero, printing every problem, when anything does not validate.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import copy
import datetime
import re
import uuid

import jsonschema


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uuid(value):
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36 and all(value[i] == "-" for i in (8, 13, 18, 23))


def make_validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    # The compiled HSDS schemas declare no $schema: the library's latest draft (2020-12) applies.
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # Debian 12's python3-jsonschema checks "date-time" only with rfc3339-validator (not packaged)
    # and has no "uuid" checker; without these two the checks would pass silently.
    checker = copy.deepcopy(cls.FORMAT_CHECKER)
    if "date-time" not in checker.checkers:
        checker.checks("date-time")(_is_date_time)
    if "uuid" not in checker.checkers:
        checker.checks("uuid")(_is_uuid)
    return cls(schema, format_checker=checker)


def page_problems(page):
    problems = []
    if not isinstance(page, dict) or not isinstance(page.get("contents"), list):
        return ["not a list page: expected an object with a \"contents\" list"]
    n = len(page["contents"])
    expected = {"total_items": n, "total_pages": 1, "page_number": 1, "size": n, "first_page": True,
                "last_page": True, "empty": n == 0}
    for key, value in expected.items():
        if page.get(key) != value:
            problems.append(f"{key} is {page.get(key)!r}, expected {value!r}")
    ids = [s.get("id") for s in page["contents"] if isinstance(s, dict)]
    if len(ids) != len(set(ids)):
        problems.append("service ids are not unique")
    return problems


def path_of(error):
    return "/".join(str(p) for p in error.absolute_path) or "(the service)"


def validate_file(validator, path):
    with open(path, encoding="utf-8") as f:
        page = json.load(f)
    failures = [f"{path}: {p}" for p in page_problems(page)]
    for i, service in enumerate(page.get("contents", [])):
        sid = service.get("id") if isinstance(service, dict) else None
        for error in sorted(validator.iter_errors(service), key=lambda e: list(map(str, e.absolute_path))):
            failures.append(f"{path}: contents[{i}] (id {sid}): {path_of(error)}: {error.message}")
    return page, failures


def self_check(validator, page):
    """The validator must catch what a broken export would carry, or a pass means nothing."""
    if not page.get("contents"):
        return ["self-check: the export is empty, nothing was validated"]
    broken = copy.deepcopy(page["contents"][0])
    broken["id"] = "not-a-uuid"
    broken["minimum_age"] = "12"
    broken["status"] = "open"
    broken["last_modified"] = "yesterday"
    broken.setdefault("organization", {"id": "x", "name": "x", "description": "x"}).pop("name", None)
    found = {path_of(e) for e in validator.iter_errors(broken)}
    missing = [p for p in ("id", "minimum_age", "status", "last_modified", "organization") if p not in found]
    return [f"self-check: the validator did not flag a broken {p}" for p in missing]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema", required=True, help="HSDS 3.0 schema/service.json")
    parser.add_argument("--fixture", help="executable that writes an export: FIXTURE OUT.json EXAMPLES_DIR")
    parser.add_argument("--examples", help="the HSDS examples folder, for --fixture")
    parser.add_argument("exports", nargs="*", help="export files to validate")
    args = parser.parse_args()

    validator = make_validator(args.schema)
    files = list(args.exports)
    with tempfile.TemporaryDirectory() as tmp:
        if args.fixture:
            if not args.examples:
                parser.error("--fixture needs --examples")
            out = os.path.join(tmp, "export.json")
            run = subprocess.run([args.fixture, out, args.examples], capture_output=True, text=True)
            sys.stdout.write(run.stdout)
            if run.returncode != 0:
                sys.stderr.write(run.stderr)
                print(f"FAIL: {args.fixture} exited with {run.returncode}")
                return 1
            files.append(out)
        if not files:
            parser.error("nothing to validate: give export files or --fixture")
        failures = []
        services = 0
        for path in files:
            page, problems = validate_file(validator, path)
            failures += problems
            failures += self_check(validator, page)
            services += len(page.get("contents", []))
    for failure in failures:
        print(failure)
    if failures:
        print(f"FAIL: {len(failures)} problem(s) in {services} exported service(s)")
        return 1
    print(f"OK: {services} exported service(s) validate against {os.path.basename(args.schema)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
