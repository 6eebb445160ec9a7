#!/usr/bin/env python3
"""A referral end to end through real sync (issue 4): a real signpost-server on 127.0.0.1 and three
signpost-cli devices.

Practitioner A drafts offline; the draft stays on A until submitted. Supervisor B sees it in the
review queue, approves it and sends it after the "what will be shared" preview. Provider C's sync
payload carries only what its ISA grants; C accepts, books an appointment and records an
unacceptable absence. The enforcement alert reaches A, who records a decision. The audit chain
verifies on every device and on the server, and a tampered log is caught.
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_sync_processes as base  # noqa: E402  (Server, http, login, cli)

SECRET_NOTE = "lives with a sister on Caerleon Road"


class ReferralFlow(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="signpost-referral-flow-")
        self.data = os.path.join(self.tmp, "server")
        os.mkdir(self.data)
        self.server = base.Server(self.data)
        self.server.admin("directory", "seed", "--sample-isa")
        with self.server.db() as con:
            self.org, = con.execute("SELECT id FROM record WHERE collection='organisation' ORDER BY id LIMIT 1").fetchone()
            self.service, = con.execute(
                "SELECT id FROM record WHERE collection='service' AND json_extract(fields,'$.organisation_id')=?",
                (self.org,)).fetchone()
        self.server.admin("user", "add", "alice", "--role", "practitioner", "--area", "Gwent")
        self.server.admin("user", "add", "sam", "--role", "supervisor", "--area", "Gwent")
        self.server.admin("user", "add", "pat", "--role", "provider", "--org", self.org)
        self.server.start()
        self.a = os.path.join(self.tmp, "a.db")
        self.b = os.path.join(self.tmp, "b.db")
        self.c = os.path.join(self.tmp, "c.db")

    def tearDown(self):
        if self.server.proc and self.server.proc.poll() is None:
            self.server.kill(signal.SIGTERM)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sync(self, db, user=None):
        args = ["sync", "--server", self.server.url] + (["--user", user] if user else [])
        return base.cli(db, *args).stdout

    def queue(self, db):
        return json.loads(base.cli(db, "queue", "--json").stdout)

    def server_record(self, collection, rid):
        with self.server.db() as con:
            row = con.execute("SELECT status, fields FROM record WHERE collection=? AND id=?", (collection, rid)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def test_draft_offline_to_alert_with_audit_everywhere(self):
        for db, user in ((self.a, "alice"), (self.b, "sam"), (self.c, "pat")):
            self.sync(db, user)

        # --- A, offline: a draft, edited, stays on the device.
        self.server.kill(signal.SIGTERM)
        rid = base.cli(self.a, "record", "create", "referral", *base.REFERRAL[:-2], "--set", f"service_id={self.service}",
                       "--set", f"organisation_id={self.org}", "--set", f"notes={SECRET_NOTE}").stdout.strip()
        base.cli(self.a, "record", "update", "referral", rid, "--set", "desired_outcomes=a stable tenancy")
        offline = base.cli(self.a, "sync", "--server", self.server.url, check=False)
        self.assertNotEqual(offline.returncode, 0, "a sync with the server down should fail")
        self.assertIn(rid, json.dumps(self.queue(self.a)["drafts"]))
        self.server.start()
        self.sync(self.a)
        self.assertIsNone(self.server_record("referral", rid), "a draft left the device before it was submitted")

        # Submitting checks completeness offline; then it syncs.
        base.cli(self.a, "record", "transition", "referral", rid, "submitted")
        self.assertIn("Pushed", self.sync(self.a))
        status, fields = self.server_record("referral", rid)
        self.assertEqual(status, "submitted")
        self.assertTrue(fields["submitted_at"])
        self.assertEqual(fields["notes"], SECRET_NOTE)

        # --- C sees nothing of it yet.
        pat = base.login(self.server, "pat", device="raw-c")
        self.assertFalse(rid in base.http("GET", self.server.url + "/v1/pull?limit=5000", token=pat)[1],
                         "the provider saw a referral not yet sent to it")

        # --- B: the review queue, approval, the sharing preview, sending.
        self.sync(self.b)
        awaiting = self.queue(self.b)["awaiting_review"]
        self.assertEqual([i["id"] for i in awaiting["items"]], [rid])
        self.assertEqual(awaiting["items"][0]["days_waiting"], 0)
        # Returning needs a reason (refused offline, with the rule's words).
        refused = base.cli(self.b, "record", "transition", "referral", rid, "returned", check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("reason", refused.stderr)
        base.cli(self.b, "record", "transition", "referral", rid, "approved")
        preview = json.loads(base.cli(self.b, "referral", "preview", rid, "--json").stdout)
        self.assertIsNone(preview["blocked"])
        self.assertIn("given_name", preview["shared"])
        self.assertIn("needs", preview["shared"])
        self.assertIn("notes", preview["withheld"])
        self.assertNotIn("notes", preview["shared"])
        unconfirmed = base.cli(self.b, "referral", "send", rid, check=False)
        self.assertEqual(unconfirmed.returncode, 2)  # no terminal: --yes is required
        self.assertIn("What", unconfirmed.stdout)
        base.cli(self.b, "referral", "send", rid, "--yes")
        self.sync(self.b)
        status, fields = self.server_record("referral", rid)
        self.assertEqual(status, "sent")
        self.assertEqual([h["to"] for h in fields["history"]], ["submitted", "approved", "sent"])

        # --- A amends after sending: a reason is required, and old and new values are kept.
        self.sync(self.a)
        amend = base.cli(self.a, "record", "update", "referral", rid, "--set", "unavailability=Tuesdays", check=False)
        self.assertNotEqual(amend.returncode, 0)
        self.assertIn("reason", amend.stderr)
        base.cli(self.a, "record", "update", "referral", rid, "--set", "unavailability=Tuesdays",
                 "--reason", "started a job on Tuesdays")
        base.cli(self.a, "record", "update", "referral", rid, "--set", "notes=moved to Malpas Road",
                 "--reason", "moved out of the sister's house")
        self.sync(self.a)
        _, fields = self.server_record("referral", rid)
        self.assertEqual(fields["amendments"][0]["old"], None)
        self.assertEqual(fields["amendments"][0]["new"], "Tuesdays")
        self.assertEqual(fields["amendments"][0]["reason"], "started a job on Tuesdays")
        self.assertEqual((fields["amendments"][1]["old"], fields["amendments"][1]["new"]), (SECRET_NOTE, "moved to Malpas Road"))

        # --- C's payload: the referral, with only what the ISA grants.
        status, body, _ = base.http("GET", self.server.url + "/v1/pull?limit=5000", token=pat)
        self.assertEqual(status, 200)
        records = [r for r in json.loads(body)["records"] if r["id"] == rid]
        self.assertEqual(len(records), 1)
        shared = records[0]["fields"]
        self.assertEqual(shared["given_name"], "Test")
        self.assertEqual(shared["status"], "sent")
        for withheld in ("notes", "amendments"):
            self.assertNotIn(withheld, shared)
        for secret in (SECRET_NOTE, "Malpas Road", "sister's house"):
            self.assertFalse(secret in body, f"withheld text reached the provider: {secret}")
        # "unavailability" is operational (the provider books around it), so its amendment travels.
        self.assertTrue("started a job" in body, "the amendment of a shared field should reach the provider")
        self.assertEqual([h.get("to") for h in shared["history"] if "to" in h], ["submitted", "approved", "sent"])
        self.assertFalse(set(records[0]["versions"]) - set(shared), "versions name fields that were withheld")

        # --- The ISA narrows (given_name no longer shared): the provider's next pull brings the
        # referral again without it; widening it again brings it back. Nothing else changed.
        cursor = json.loads(body)["next_cursor"]
        sam = base.login(self.server, "sam", device="raw-isa")
        granted = self.server_record("organisation", self.org)[1]["isa_fields"]
        self.assertIn("given_name", granted)

        def set_isa(op_id, fields):
            page = json.loads(base.http("GET", self.server.url + "/v1/pull?limit=5000", token=sam)[1])
            org = next(r for r in page["records"] if r["id"] == self.org)
            change = base.op(op_id, "update", "organisation", self.org, {"isa_fields": fields})
            change["fields"]["isa_fields"]["base"] = org["versions"]["isa_fields"]
            status, out, _ = base.http("POST", self.server.url + "/v1/push",
                                       {"protocol": 1, "device_id": "raw-isa", "ops": [change]}, token=sam)
            self.assertEqual(json.loads(out)["results"][0]["status"], "applied", out)

        def provider_copy(after):
            status, out, _ = base.http("GET", self.server.url + f"/v1/pull?limit=5000&cursor={after}", token=pat)
            self.assertEqual(status, 200)
            page = json.loads(out)
            found = [r for r in page["records"] if r["id"] == rid]
            self.assertEqual(len(found), 1, "the referral should be sent again when the ISA changes")
            return found[0], page["next_cursor"], out

        def device_copy():
            listed = json.loads(base.cli(self.c, "record", "list", "referral", "--json", "--reveal").stdout)
            return next(r for r in listed if r["id"] == rid)["fields"]

        self.sync(self.c)
        self.assertEqual(device_copy()["given_name"], "Test")
        set_isa("op-isa-narrow", [f for f in granted if f != "given_name"])
        again, cursor, out = provider_copy(cursor)
        self.assertNotIn("given_name", again["fields"])
        self.assertNotIn("given_name", again["versions"])
        self.assertNotIn('"Test"', out)
        self.assertEqual(again["fields"]["status"], "sent")
        self.sync(self.c)
        self.assertNotIn("given_name", device_copy(), "the provider's device kept a field its ISA withdrew")
        set_isa("op-isa-widen", granted)
        again, cursor, _ = provider_copy(cursor)
        self.assertEqual(again["fields"]["given_name"], "Test")
        self.sync(self.c)
        self.assertEqual(device_copy()["given_name"], "Test")

        # --- C: accept, book, record an unacceptable absence.
        self.sync(self.c)
        self.assertEqual([i["id"] for i in self.queue(self.c)["new"]["items"]], [rid])
        base.cli(self.c, "record", "transition", "referral", rid, "accepted")
        appt = base.cli(self.c, "record", "create", "appointment", "--set", f"referral_id={rid}",
                        "--set", "starts_at=2026-11-20T10:00:00Z").stdout.strip()
        base.cli(self.c, "record", "transition", "appointment", appt, "absent_unacceptable")
        self.sync(self.c)
        self.assertEqual(self.server_record("referral", rid)[0], "accepted")
        self.assertEqual(self.server_record("appointment", appt)[0], "absent_unacceptable")

        # --- The alert reaches A, who decides (Signpost never does).
        self.sync(self.a)
        alerts = self.queue(self.a)["alerts"]["items"]
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts[0]["referral_id"], rid)
        alert = alerts[0]["id"]
        undecided = base.cli(self.a, "record", "transition", "alert", alert, "decided", check=False)
        self.assertEqual(undecided.returncode, 1, "an alert was closed without a decision")
        self.assertIn("decision", undecided.stderr)
        base.cli(self.a, "record", "update", "alert", alert, "--set", "decision=warning")
        base.cli(self.a, "record", "transition", "alert", alert, "decided")
        self.sync(self.a)
        status, fields = self.server_record("alert", alert)
        self.assertEqual((status, fields["decision"]), ("decided", "warning"))

        # --- Reports on B: the absence counts against attendance.
        self.sync(self.b)
        csv = base.cli(self.b, "report", "--area", "Gwent", "--csv").stdout
        self.assertIn(f"provider_attendance_rate,{self.org},", csv)
        self.assertIn("status,accepted,accepted,1", csv)
        self.assertNotIn("Test", csv)  # no one's name in a report

        # --- The audit chain verifies on every device and on the server.
        for db in (self.a, self.b, self.c):
            self.sync(db)
            out = base.cli(db, "audit", "verify").stdout
            self.assertIn("intact", out)
        out = self.server.admin("audit", "verify")
        self.assertIn("3 device(s)", out)
        self.assertIn("0 broken", out)
        export = os.path.join(self.tmp, "audit.csv")
        base.cli(self.b, "audit", "export", "--from", "2000-01-01", "--to", "2999-12-31", "--out", export)
        with open(export) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "seq,at,user,device,action,collection,record_id,detail,prev_hash,hash")
        # B opened the person's details for the sharing preview: that view is on the record.
        self.assertTrue(any(",view,referral," + rid in line for line in lines), "viewing a person's details is audited")
        self.assertFalse(any(SECRET_NOTE in line or "Test" in line.split(",")[7:8] for line in lines))

        # --- Tampering is caught, on the device and on the server.
        with sqlite3.connect(self.a) as con:
            con.execute("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2")
        tampered = base.cli(self.a, "audit", "verify", check=False)
        self.assertEqual(tampered.returncode, 1)
        self.assertIn("entry 2 was altered", tampered.stdout)
        self.server.kill(signal.SIGTERM)
        with self.server.db() as con:
            con.execute("DELETE FROM record WHERE collection='audit' AND json_extract(fields,'$.device_seq')=3 "
                        "AND json_extract(fields,'$.user')=(SELECT id FROM app_user WHERE username='sam')")
        proc = base.subprocess.run([base.SERVER, "audit", "verify", "--data-dir", self.data], capture_output=True,
                                   text=True)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("entry 3 is missing", proc.stdout)
        self.server.start()

    def test_a_shared_device_changes_hands_only_when_nothing_would_be_lost(self):
        shared = os.path.join(self.tmp, "hub-laptop.db")
        self.sync(shared, "alice")
        draft = base.cli(shared, "record", "create", "referral", "--set", "area=PDU-GWENT").stdout.strip()
        # Unsent changes stop a change of hands…
        env_sam = dict(os.environ, SIGNPOST_PASSWORD=base.PASSWORD, SIGNPOST_PASSPHRASE="sam's own passphrase")
        proc = base.subprocess.run([base.CLI, "--db", shared, "sync", "--server", self.server.url, "--user", "sam"],
                                   env=env_sam, capture_output=True, text=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("must sync first", proc.stderr)
        base.cli(shared, "sync", "--server", self.server.url)  # the audit entries leave; the draft stays
        # … and so does a draft: Sam (another passphrase) cannot take over while Alice's is on the device.
        proc = base.subprocess.run([base.CLI, "--db", shared, "sync", "--server", self.server.url, "--user", "sam"],
                                   env=env_sam, capture_output=True, text=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("draft", proc.stdout + proc.stderr)
        base.cli(shared, "record", "delete", "referral", draft)
        base.cli(shared, "sync", "--server", self.server.url)  # Alice's audit entries leave
        # Now Sam signs in with his own passphrase: Alice's sealed records are gone, his vault is new.
        proc = base.subprocess.run([base.CLI, "--db", shared, "sync", "--server", self.server.url, "--user", "sam"],
                                   env=env_sam, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        proc = base.subprocess.run([base.CLI, "--db", shared, "queue", "--json"], env=env_sam, capture_output=True,
                                   text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("awaiting_review", proc.stdout)
        # The device's audit chain carries on across the change of hands.
        self.assertIn("intact", base.cli(shared, "audit", "verify").stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True)
    args, rest = parser.parse_known_args()
    base.SERVER, base.CLI = os.path.abspath(args.server), os.path.abspath(args.cli)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
