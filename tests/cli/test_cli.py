#!/usr/bin/env python3
"""End-to-end tests of the real signpost-cli binary on real database files.

Covers: --help for every command, seed and re-seed, search with each option and --json, usage
errors (exit 2) with clear messages, HSDS import of every official example (file, folder,
datapackage), malformed input (exit 1/3, directory unchanged), and export → import round trip.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

CLI = None
STANDARDS = None


def run(*args, db=None, check=True, input=None):
    cmd = [CLI]
    if db:
        cmd += ["--db", db]
    cmd += list(args)
    proc = subprocess.run(cmd, capture_output=True, input=input.encode() if input else None, timeout=300)
    # Messages must be valid UTF-8 even when the input was not.
    proc.stdout, proc.stderr = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def dump(db):
    """Every directory row, for before/after comparisons."""
    con = sqlite3.connect(db)
    try:
        out = {}
        # A service's areas, needs, contacts and opening times are columns of its row.
        for table in ("organisation", "service", "location", "service_location"):
            out[table] = con.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        return out
    finally:
        con.close()


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="signpost-cli-test-")
        self.db = os.path.join(self.tmp, "dir.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ----------------------------------------------------------------- help and usage

    def test_help_for_every_command(self):
        overview = run("--help").stdout
        commands = ["import", "export", "search", "seed", "shell", "info", "bench search"]
        for name in commands:
            self.assertIn(name.split()[0], overview)
            out = run(*name.split(), "--help").stdout
            self.assertIn("Usage: signpost-cli", out, name)
            self.assertIn(name, out)
        self.assertIn("--near", run("search", "--help").stdout)
        self.assertIn("--synthetic", run("seed", "--help").stdout)
        # Every command in the overview stands apart from its summary, however long its name
        # ("record transition", "referral preview"), and the summaries line up.
        lines = [l for l in overview.splitlines() if l.startswith("  ") and not l.startswith("  --")]
        self.assertGreater(len(lines), 10)
        starts = set()
        for line in lines:
            name, gap, _ = line[2:].partition("  ")
            self.assertTrue(gap, line)
            starts.add(len(line) - len(line.lstrip()[len(name):].lstrip()))
        self.assertEqual(len(starts), 1, lines)

    def test_usage_errors_exit_2_with_a_clear_message(self):
        cases = [
            (["frobnicate"], "unknown command"),
            (["search", "debt", "--bogus"], "unknown option --bogus"),
            (["search", "debt", "--area"], "--area needs a value"),
            (["search", "debt", "--area", "Atlantis"], "unknown area \"Atlantis\""),
            (["search", "debt", "--need", "unicorns"], "unknown need"),
            (["search", "debt", "--limit", "ten"], "whole number"),
            (["search", "debt", "--limit", "0"], "between 1 and 500"),
            (["search", "debt", "--women", "maybe"], "'only' or 'exclude'"),
            (["search", "debt", "--near", "ZZ99"], "not in the centroid table"),
            (["search", "debt", "--near", "91,0"], "LAT,LON"),
            (["export"], "--out FILE"),
            (["import"], "needs more arguments"),
        ]
        for args, message in cases:
            proc = run(*args, db=self.db, check=False)
            self.assertEqual(proc.returncode, 2, f"{args}: {proc.stderr}")
            self.assertIn(message, proc.stderr, args)

    # ----------------------------------------------------------------- seed and search

    def test_seed_then_search_with_every_option(self):
        out = run("seed", db=self.db).stdout
        self.assertIn("Seeded 24 services", out)
        run("seed", db=self.db)  # idempotent
        self.assertIn("Services:        24", run("info", db=self.db).stdout)

        res = json.loads(run("search", "debt", "--area", "Bolton", "--json", db=self.db).stdout)
        self.assertEqual(res["results"][0]["organisation"], "Bolton Advice")
        self.assertIsNone(res["results"][0]["days_since_verified"])  # seed facts are not yet verified

        human = run("search", "debt", "--area", "Bolton", db=self.db).stdout
        self.assertIn("1. Bolton Advice", human)
        self.assertIn("not yet verified", human)

        res = json.loads(run("search", "women", "--area", "Gwent", "--json", db=self.db).stdout)
        self.assertTrue(res["results"][0]["women_only"])

        res = json.loads(run("search", "wellbeing", "--near", "BL1 1AA", "--json", db=self.db).stdout)
        distances = [r["distance_km"] for r in res["results"] if r["distance_km"] is not None]
        self.assertEqual(distances, sorted(distances))
        self.assertEqual(res["results"][0]["organisation"], "Bolton Advice")
        res = json.loads(run("search", "--near", "51.48,-3.18", "--limit", "3", "--json", db=self.db).stdout)
        self.assertEqual(len(res["results"]), 3)
        self.assertIn("Cardiff", res["results"][0]["name"] + res["results"][0].get("town", ""))

        for option, expected in [("--hub", "Cardiff Wellbeing Hub"), ("--co-located", "Safer Wales (co-located with probation)")]:
            res = json.loads(run("search", option, "--json", db=self.db).stdout)
            self.assertEqual([r["name"] for r in res["results"]], [expected])
        res = json.loads(run("search", "--route", "dynamic_framework", "--limit", "50", "--json", db=self.db).stdout)
        self.assertEqual(len(res["results"]), 6)
        res = json.loads(run("search", "--need", "accommodation", "--area", "Caerdydd", "--json", db=self.db).stdout)
        self.assertIn("Cardiff Wellbeing Hub", [r["name"] for r in res["results"]])
        res = json.loads(run("search", "--women", "only", "--json", db=self.db).stdout)
        self.assertTrue(all(r["women_only"] for r in res["results"]))
        for flag in ["--welsh", "--high-risk", "--open-now"]:
            run("search", "mentoring", flag, "--json", db=self.db)  # no such seed services: empty, not an error
        run("search", "mentoring", "--age", "20", "--supervision", "licence", "--exact", db=self.db)
        self.assertIn("Hyb Llesiant Caerdydd", run("search", "hyb", "--cy", db=self.db).stdout)

    def test_hostile_search_text_is_plain_text(self):
        run("seed", db=self.db)
        before = dump(self.db)
        for text in ['"', "'); DROP TABLE service; --", "NEAR(a b)", "name:debt", "*", "debt OR 1=1", "{tags}:fhub"]:
            proc = run("search", text, "--json", db=self.db, check=False)
            self.assertEqual(proc.returncode, 0, f"{text}: {proc.stderr}")
            json.loads(proc.stdout)
        self.assertEqual(before, dump(self.db))

    def test_shell_answers_queries_and_filters(self):
        run("seed", db=self.db)
        script = ":area Bolton\ndebt\n:need nonsense\n:clear\n:near CF10\nhub\n:quit\n"
        out = run("shell", db=self.db, input=script).stdout
        self.assertIn("1. Bolton Advice", out)
        self.assertIn("unknown need", out)
        self.assertIn("Cardiff Wellbeing Hub", out)

    def test_synthetic_seed(self):
        out = run("seed", "--synthetic", "500", db=self.db).stdout
        self.assertIn("Generated 500 synthetic services", out)
        res = json.loads(run("search", "debt", "--area", "Wrexham", "--json", db=self.db).stdout)
        self.assertTrue(res["results"])

    # ----------------------------------------------------------------- HSDS import / export

    def examples(self):
        return os.path.join(STANDARDS, "hsds-3.0", "examples")

    def test_import_every_official_example(self):
        ex = self.examples()
        for name in sorted(os.listdir(ex)):
            path = os.path.join(ex, name)
            if name.endswith(".json"):
                proc = run("import", path, db=self.db, check=False)
                self.assertEqual(proc.returncode, 0, f"{name}: {proc.stdout}{proc.stderr}")
        proc = run("import", os.path.join(ex, "csv"), db=self.db, check=False)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        res = json.loads(run("search", "counselling", "--json", db=self.db).stdout)
        self.assertEqual(res["results"][0]["name"], "Community Counselling")
        # A folder of JSON files, imported twice: updates in place. (service_full, service_list
        # and organization_full carry the same service: together they are duplicates.)
        folder = os.path.join(self.tmp, "feed")
        os.mkdir(folder)
        for name in ("service_full.json", "location.json", "taxonomy_term_list.json", "base.json"):
            shutil.copy(os.path.join(ex, name), folder)
        run("import", folder, db=self.db)
        count = sqlite3.connect(self.db).execute("SELECT count(*) FROM service").fetchone()[0]
        out = run("import", folder, db=self.db).stdout
        self.assertIn("updated", out)
        self.assertEqual(count, sqlite3.connect(self.db).execute("SELECT count(*) FROM service").fetchone()[0])

    def test_a_load_killed_midway_leaves_the_directory_as_it_was(self):
        # seed, import and bench load under a rollback journal (db::ExclusiveLoad). Killed once the
        # load has spilled pages into the file itself, the next open must roll them back from the
        # journal and put the file back in WAL mode.
        run("seed", db=self.db)
        before = dump(self.db)
        size = os.path.getsize(self.db)
        proc = subprocess.Popen([CLI, "--db", self.db, "seed", "--synthetic", "300000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while proc.poll() is None and time.time() < deadline and os.path.getsize(self.db) < size + 16_000_000:
            time.sleep(0.02)
        proc.kill()
        proc.wait()
        self.assertLess(proc.returncode, 0, "the load finished before it could be killed")
        self.assertTrue(os.path.exists(self.db + "-journal"))
        out = run("search", "debt", "--area", "Bolton", "--json", db=self.db).stdout
        self.assertTrue(json.loads(out)["results"][0]["name"].startswith("Bolton Advice"))
        self.assertEqual(dump(self.db), before)
        con = sqlite3.connect(self.db)
        try:
            self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            con.execute("INSERT INTO service_fts (service_fts) VALUES ('integrity-check')")
        finally:
            con.close()
        # And a load that finishes leaves the file in WAL mode, with no journal.
        run("seed", "--synthetic", "500", db=self.db)
        self.assertFalse(os.path.exists(self.db + "-journal"))
        con = sqlite3.connect(self.db)
        try:
            self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        finally:
            con.close()

    def test_malformed_input_is_refused_and_the_directory_is_unchanged(self):
        run("seed", db=self.db)
        run("import", os.path.join(self.examples(), "service_full.json"), db=self.db)
        before = dump(self.db)
        good = json.load(open(os.path.join(self.examples(), "service_full.json")))
        full_text = open(os.path.join(self.examples(), "service_full.json"), "rb").read()

        def write(name, data):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(data if isinstance(data, bytes) else json.dumps(data).encode())
            return path

        whole_file_cases = {
            "truncated.json": full_text[: len(full_text) // 2],
            "not_utf8.json": full_text.replace(b"Community Counselling", b"Community \xff\xfe Counselling"),
        }
        for name, data in whole_file_cases.items():
            proc = run("import", write(name, data), db=self.db, check=False)
            self.assertNotEqual(proc.returncode, 0, name)
            self.assertIn(name, proc.stderr)
            self.assertEqual(before, dump(self.db), name)

        wrong_type = dict(good, name=42)
        missing = {k: v for k, v in good.items() if k != "name"}
        huge = dict(good, description="x" * (10 * 1024 * 1024))
        record_cases = {"wrong_type.json": (wrong_type, "name"), "missing.json": (missing, "name"),
                        "huge.json": (huge, "description")}
        for name, (data, field) in record_cases.items():
            proc = run("import", write(name, data), db=self.db, check=False)
            self.assertEqual(proc.returncode, 3, f"{name}: {proc.stdout}{proc.stderr}")
            self.assertIn(field, proc.stderr, name)
            self.assertEqual(before, dump(self.db), name)

        # Duplicate ids in one page: the first lands, the second is reported.
        page = {"total_items": 2, "total_pages": 1, "page_number": 1, "size": 2, "first_page": True,
                "last_page": True, "empty": False,
                "contents": [dict(good, name="First copy"), dict(good, name="Second copy")]}
        proc = run("import", write("dupes.json", page), db=self.db, check=False)
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        self.assertIn("duplicate", proc.stderr.lower())

        # --strict: nothing lands when anything is wrong.
        mixed = dict(page, contents=[dict(good, id="0f8f6b2a-9a43-4c51-8d8e-2b5a2d1c0001", name="Fine"), wrong_type])
        snapshot = dump(self.db)
        proc = run("import", "--strict", write("mixed.json", mixed), db=self.db, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(snapshot, dump(self.db))

    def test_export_validates_and_round_trips(self):
        run("seed", db=self.db)
        run("import", os.path.join(self.examples(), "service_full.json"), db=self.db)
        out1 = os.path.join(self.tmp, "one.json")
        self.assertIn("Exported 25 services", run("export", "--out", out1, db=self.db).stdout)
        try:
            import jsonschema  # python3-jsonschema from Debian
        except ImportError:
            self.fail("python3-jsonschema is required (tools/dev installs it)")
        schema = json.load(open(os.path.join(STANDARDS, "hsds-3.0", "schema", "service.json")))
        page = json.load(open(out1))
        self.assertEqual(page["total_items"], 25)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        for service in page["contents"]:
            errors = sorted(validator.iter_errors(service), key=lambda e: list(e.path))
            self.assertEqual([], [f"{list(e.path)}: {e.message}" for e in errors[:5]], service["name"])
        other = os.path.join(self.tmp, "other.db")
        run("import", out1, db=other)
        out2 = os.path.join(self.tmp, "two.json")
        run("export", "--out", out2, db=other)
        self.assertEqual(json.load(open(out1)), json.load(open(out2)))

    # ----------------------------------------------------------------- the benchmark

    def test_bench_search_prints_its_figures(self):
        # A small run: every figure the issue asks for is printed, with the bare baseline of the
        # same run beside it and the allocator measured on.
        out = run("bench", "search", "--services", "3000", "--queries", "100", "--no-naive").stdout
        expected = os.environ.get("SIGNPOST_EXPECT_ALLOCATOR", "")
        self.assertIn(f"allocator: {expected}", out)
        self.assertRegex(out, r"Seed \(generate \+ write \+ index, one transaction\): 3000 services in [0-9.]+ s = \d+ services/s")
        self.assertRegex(out, r"the bare FTS5 insert of the same \d+ rows: [0-9.]+ s = \d+ rows/s")
        self.assertRegex(out, r"HSDS import \(parse \+ map \+ write \+ index\): 3000 services in [0-9.]+ s = \d+ services/s, 0 rejected")
        for label in ("signpost search (all)", "bare FTS5 MATCH, same expression"):
            self.assertRegex(out, re.escape(label) + r" +n=100 +p50 +[0-9.]+ +p95 +[0-9.]+ +p99 +[0-9.]+")
        self.assertRegex(out, r"signpost / bare +p50 +[0-9.]+x +p95 +[0-9.]+x +p99 +[0-9.]+x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--standards", required=True)
    args, rest = parser.parse_known_args()
    CLI, STANDARDS = os.path.abspath(args.cli), os.path.abspath(args.standards)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
