#!/usr/bin/env python3
"""Sync with real processes: signpost-server on a free 127.0.0.1 port, signpost-cli sync clients.

- A server killed with SIGKILL mid-push and restarted; a client killed mid-pull and restarted:
  nothing lost, nothing duplicated, PRAGMA integrity_check ok on both sides.
- Security: wrong password, rate limiting, expired / revoked / forged tokens, disabled users,
  another area's referral, a provider's view: 401/403 or nothing returned, and nothing leaked.
- Malformed requests: invalid JSON, wrong types, unknown fields, oversized bodies, bad gzip,
  100k ops in one batch: 4xx with a JSON error, and the server keeps serving.
- gzip both ways, /healthz, /metrics, graceful shutdown on SIGTERM, TLS with a self-signed
  certificate; two I/O threads serving 16 devices at once while two more stall mid-upload.
"""
import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SERVER = CLI = None
PASSWORD = "correct-horse-battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, extra=(), tls=None):
        self.data_dir, self.extra, self.tls = data_dir, list(extra), tls
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(data_dir, "server.log")
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def listened(self):
        if not os.path.exists(self.log_path):
            return 0
        return open(self.log_path).read().count('"event":"listening"')

    def start(self):
        # Its own "listening" line, not a connection, says the server is up: another test's
        # server can take a port between free_port() and the bind (this one then exits at once).
        # A first start may move to another port; a restart keeps the one its clients know.
        for attempt in range(5 if self.proc is None else 1):
            if attempt:
                self.port = free_port()
                self.url = f"{self.url.split('://')[0]}://127.0.0.1:{self.port}"
            args = [SERVER, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir] + self.extra
            if self.tls:
                args += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
            before = self.listened()
            self.log = open(self.log_path, "a")
            self.proc = subprocess.Popen(args, stderr=self.log, stdout=self.log)
            deadline = time.time() + 20
            while time.time() < deadline and self.proc.poll() is None:
                if self.listened() > before:
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                raise AssertionError("signpost-server did not start listening")
        raise AssertionError("signpost-server exited: " + open(self.log_path).read())

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        self.log.close()

    def admin(self, *args, password=PASSWORD):
        env = dict(os.environ, SIGNPOST_PASSWORD=password)
        return subprocess.run([SERVER, *args, "--data-dir", self.data_dir], env=env, check=True,
                              capture_output=True, text=True).stdout

    def db(self):
        return sqlite3.connect(os.path.join(self.data_dir, "signpost-server.db"))

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()


def http(method, url, body=None, token=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            payload = resp.read()
            if resp.headers.get("Content-Encoding") == "gzip":
                payload = gzip.decompress(payload)
            return resp.status, payload.decode(), resp.headers
    except urllib.error.HTTPError as e:
        payload = e.read()
        if e.headers.get("Content-Encoding") == "gzip":
            payload = gzip.decompress(payload)
        return e.code, payload.decode(), e.headers


def login(server, user, password=PASSWORD, device="dev-test"):
    status, body, _ = http("POST", server.url + "/v1/login", {"username": user, "password": password, "device_id": device})
    assert status == 200, body
    return json.loads(body)["token"]


def cli(db, *args, check=True, password=PASSWORD):
    env = dict(os.environ, SIGNPOST_PASSWORD=password)
    proc = subprocess.run([CLI, "--db", db, *args], env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"signpost-cli {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


# A complete referral, ready to submit (--set arguments for signpost-cli record create).
REFERRAL = ["--set", "area=PDU-GWENT", "--set", "crn=X123456", "--set", "given_name=Test", "--set", "family_name=Person",
            "--set", "date_of_birth=1990-05-01", "--set", "supervision_type=licence", "--set",
            'needs=[{"need":"finance","complexity":"medium"}]', "--set", "reason=debts are mounting",
            "--set", "risk_summary=no concerns for a group setting", "--set", "service_id=svc-1"]


def op(op_id, kind, collection, record_id, fields=None, **extra):
    body = {"op_id": op_id, "schema": 2, "type": kind, "collection": collection, "id": record_id}
    if fields:
        body["fields"] = {k: {"value": v, "base": 0} for k, v in fields.items()}
    body.update(extra)
    return body


class SyncProcesses(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="signpost-sync-test-")
        self.data = os.path.join(self.tmp, "server")
        os.mkdir(self.data)
        self.server = Server(self.data)
        self.server.admin("user", "add", "admin", "--role", "admin")
        self.server.admin("user", "add", "alice", "--role", "practitioner", "--area", "Gwent")
        self.server.admin("user", "add", "carol", "--role", "practitioner", "--area", "Cardiff and Vale")
        self.server.admin("user", "add", "sam", "--role", "supervisor", "--area", "Gwent")
        self.server.admin("user", "add", "pat", "--role", "provider", "--org", "org-provider")
        self.server.admin("directory", "seed")
        self.server.start()

    def tearDown(self):
        if self.server.proc and self.server.proc.poll() is None:
            self.server.kill(signal.SIGTERM)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ----------------------------------------------------------------- crash and restart

    def test_server_killed_mid_push_loses_and_duplicates_nothing(self):
        client = os.path.join(self.tmp, "alice.db")
        cli(client, "sync", "--server", self.server.url, "--user", "alice")
        n = 1500
        cli(client, "record", "create", "referral", *REFERRAL, "--set", "notes=offline for three days",
            "--repeat", str(n), "--submit")
        env = dict(os.environ, SIGNPOST_PASSWORD=PASSWORD)
        sync = subprocess.Popen([CLI, "--db", client, "sync", "--server", self.server.url], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Kill the server once a couple of push batches have been answered: the next is in flight.
        deadline = time.time() + 60
        while self.server.log_text().count('"route":"/v1/push"') < 2 and time.time() < deadline:
            self.assertIsNone(sync.poll(), "the sync ended before the server could be killed mid-push")
            time.sleep(0.01)
        self.assertGreaterEqual(self.server.log_text().count('"route":"/v1/push"'), 2, "no pushes were seen")
        self.server.kill(signal.SIGKILL)
        sync.wait(timeout=120)
        self.assertNotEqual(sync.returncode, 0, "the interrupted sync should report failure")
        with self.server.db() as con:
            landed = con.execute("SELECT count(*) FROM record WHERE collection='referral'").fetchone()[0]
        self.assertLess(landed, n, "the kill was meant to land mid-push")
        self.server.start()
        out = cli(client, "sync", "--server", self.server.url).stdout
        self.assertIn("Pulled", out)
        with self.server.db() as con:
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='referral'").fetchone()[0], n)
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='referral' AND status='submitted'").fetchone()[0], n)
            # Per referral: its creation, its submission, and an audit entry for each.
            self.assertEqual(con.execute("SELECT count(*) FROM applied_op").fetchone()[0], 4 * n)
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='audit'").fetchone()[0], 2 * n)
            self.assertEqual(con.execute("SELECT count(DISTINCT id) FROM record WHERE collection='referral'").fetchone()[0], n)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        with sqlite3.connect(client) as con:
            self.assertEqual(con.execute("SELECT count(*) FROM outbox").fetchone()[0], 0)
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='referral'").fetchone()[0], n)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")

    def test_client_killed_mid_pull_resumes_from_its_cursor(self):
        # A big directory to pull: 8,000 synthetic services.
        self.server.kill(signal.SIGTERM)
        self.server.admin("directory", "seed", "--synthetic", "8000")
        self.server.start()
        client = os.path.join(self.tmp, "carol.db")
        cli(client, "sync", "--server", self.server.url, "--user", "carol")  # signs in, pulls everything
        fresh = os.path.join(self.tmp, "fresh.db")
        cli(fresh, "login", "--server", self.server.url, "--user", "carol")
        sync = subprocess.Popen([CLI, "--db", fresh, "sync", "--server", self.server.url],
                                env=dict(os.environ, SIGNPOST_PASSWORD=PASSWORD),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with sqlite3.connect(fresh, timeout=5) as con:
                    row = con.execute("SELECT value FROM sync_state WHERE key='cursor'").fetchone()
                if row and int(row[0]) > 0:
                    break
            except sqlite3.OperationalError:
                pass
            self.assertIsNone(sync.poll(), "the sync ended before it could be killed mid-pull")
            time.sleep(0.005)
        sync.send_signal(signal.SIGKILL)
        sync.wait(timeout=60)
        with sqlite3.connect(fresh) as con:
            partial = int(con.execute("SELECT value FROM sync_state WHERE key='cursor'").fetchone()[0])
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        with self.server.db() as con:
            server_max = con.execute("SELECT value FROM seq_counter").fetchone()[0]
            services = con.execute("SELECT count(*) FROM record WHERE collection='service' AND deleted=0").fetchone()[0]
        self.assertGreater(partial, 0)
        self.assertLess(partial, server_max, "the pull was meant to be interrupted part way")
        cli(fresh, "sync", "--server", self.server.url)
        with sqlite3.connect(fresh) as con:
            self.assertEqual(int(con.execute("SELECT value FROM sync_state WHERE key='cursor'").fetchone()[0]), server_max)
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='service'").fetchone()[0], services)
            self.assertEqual(con.execute("SELECT count(DISTINCT id) FROM service").fetchone()[0], services)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        # Search works offline on what was pulled.
        res = json.loads(cli(fresh, "search", "debt", "--area", "Cardiff", "--json").stdout)
        self.assertTrue(res["results"])

    def test_two_devices_converge_and_a_clash_becomes_a_conflict(self):
        a, b = os.path.join(self.tmp, "a.db"), os.path.join(self.tmp, "b.db")
        cli(a, "sync", "--server", self.server.url, "--user", "alice")
        cli(b, "sync", "--server", self.server.url, "--user", "sam")
        rid = cli(a, "record", "create", "referral", *REFERRAL, "--set", "notes=first notes", "--submit").stdout.strip()
        cli(a, "sync", "--server", self.server.url)
        cli(b, "sync", "--server", self.server.url)
        # Both edit offline: the same text field (a clash), and different fields (they merge).
        cli(a, "record", "update", "referral", rid, "--set", "notes=alice's notes", "--set", "reason=needs work")
        cli(b, "record", "update", "referral", rid, "--set", "notes=sam's notes", "--set", "completion_deadline=2027-03-01")
        cli(a, "sync", "--server", self.server.url)
        out = cli(b, "sync", "--server", self.server.url).stdout
        self.assertIn("1 in conflict", out)
        self.assertIn("1 conflict(s) wait", out)
        cli(a, "sync", "--server", self.server.url)
        ra = json.loads(cli(a, "record", "list", "referral", "--json", "--reveal").stdout)[0]
        rb = json.loads(cli(b, "record", "list", "referral", "--json", "--reveal").stdout)[0]
        self.assertEqual(ra, rb)
        self.assertEqual(ra["fields"]["notes"], "alice's notes")      # first to arrive stays
        self.assertEqual(ra["fields"]["reason"], "needs work")        # independent fields merged
        self.assertEqual(ra["fields"]["completion_deadline"], "2027-03-01")
        conflicts = cli(b, "conflicts").stdout
        self.assertIn("sam's notes", conflicts)
        conflict_id = conflicts.split()[0]
        cli(b, "conflicts", "--resolve", conflict_id, "--value", "merged notes")
        cli(b, "sync", "--server", self.server.url)
        cli(a, "sync", "--server", self.server.url)
        ra = json.loads(cli(a, "record", "list", "referral", "--json", "--reveal").stdout)[0]
        self.assertEqual(ra["fields"]["notes"], "merged notes")
        self.assertIn("0 open conflict(s)", cli(a, "conflicts").stdout)

    # ------------------------------------------------------------------------- security

    def test_authentication(self):
        url = self.server.url
        status, body, _ = http("POST", url + "/v1/login", {"username": "alice", "password": "wrong", "device_id": "d"})
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["error"], "unauthorized")
        status, body, _ = http("POST", url + "/v1/login", {"username": "nobody", "password": "wrong", "device_id": "d"})
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["message"], "the username or password is wrong")  # no user enumeration
        for token in ["", "forged-token", "A" * 43]:
            status, body, _ = http("GET", url + "/v1/pull", token=token or None)
            self.assertEqual(status, 401, token)
            self.assertEqual(set(json.loads(body)), {"error", "message"})
        token = login(self.server, "alice")
        self.assertEqual(http("GET", url + "/v1/pull", token=token)[0], 200)
        self.assertEqual(http("POST", url + "/v1/logout", {}, token=token)[0], 200)
        status, body, _ = http("GET", url + "/v1/pull", token=token)
        self.assertEqual(status, 401)
        self.assertIn("signed out", body)
        # Disabling a user revokes their tokens.
        token = login(self.server, "carol")
        self.server.admin("user", "disable", "carol")
        self.assertEqual(http("GET", url + "/v1/pull", token=token)[0], 401)
        status, _, _ = http("POST", url + "/v1/login", {"username": "carol", "password": PASSWORD, "device_id": "d"})
        self.assertEqual(status, 403)

    def test_rate_limit_on_failed_logins(self):
        url = self.server.url
        for _ in range(5):
            self.assertEqual(http("POST", url + "/v1/login", {"username": "sam", "password": "nope", "device_id": "d"})[0], 401)
        status, body, headers = http("POST", url + "/v1/login", {"username": "sam", "password": PASSWORD, "device_id": "d"})
        self.assertEqual(status, 429)
        self.assertTrue(int(headers["Retry-After"]) > 0)
        # Another user from the same address is still fine (below the per-address limit).
        self.assertEqual(http("POST", url + "/v1/login", {"username": "alice", "password": PASSWORD, "device_id": "d"})[0], 200)

    def test_expired_token(self):
        self.server.kill(signal.SIGTERM)
        short = Server(self.data, extra=["--token-lifetime", "1"])
        short.start()
        try:
            token = login(short, "alice")
            self.assertEqual(http("GET", short.url + "/v1/pull", token=token)[0], 200)
            time.sleep(2.2)
            status, body, _ = http("GET", short.url + "/v1/pull", token=token)
            self.assertEqual(status, 401)
            self.assertIn("expired", body)
        finally:
            short.kill(signal.SIGTERM)
        self.server.proc = None

    def test_scope_is_enforced_on_reads_and_writes(self):
        url = self.server.url
        alice, carol, pat = login(self.server, "alice", device="dev-a"), login(self.server, "carol", device="dev-c"), \
            login(self.server, "pat", device="dev-p")
        secret = "Jane Secretperson"
        rid = "11111111-2222-4333-8444-555555555555"
        push = {"protocol": 1, "device_id": "dev-a",
                "ops": [op("op-1", "create", "referral", rid, {"area": "PDU-GWENT", "given_name": secret,
                                                               "organisation_id": "org-provider"})]}
        status, body, _ = http("POST", url + "/v1/push", push, token=alice)
        self.assertEqual(json.loads(body)["results"][0]["status"], "applied")
        # Carol (Cardiff and Vale) neither sees it nor can write to it.
        status, body, _ = http("GET", url + "/v1/pull?limit=5000", token=carol)
        self.assertEqual(status, 200)
        self.assertNotIn(rid, body)
        self.assertNotIn(secret, body)
        push = {"protocol": 1, "device_id": "dev-c",
                "ops": [op("op-2", "update", "referral", rid, {"notes": "peeking"})]}
        status, body, _ = http("POST", url + "/v1/push", push, token=carol)
        result = json.loads(body)["results"][0]
        self.assertEqual(result["status"], "rejected")
        self.assertNotIn(secret, body)
        # Creating in another area is refused too.
        push = {"protocol": 1, "device_id": "dev-c",
                "ops": [op("op-3", "create", "referral", "99999999-2222-4333-8444-555555555555", {"area": "PDU-GWENT"})]}
        self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=carol)[1])["results"][0]["status"], "rejected")
        # The provider sees nothing until the referral is sent to its organisation.
        self.assertNotIn(rid, http("GET", url + "/v1/pull?limit=5000", token=pat)[1])
        push = {"protocol": 1, "device_id": "dev-p",
                "ops": [op("op-4", "transition", "referral", rid, to="accepted")]}
        self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=pat)[1])["results"][0]["status"], "rejected")
        # Directory edits need an admin or supervisor.
        push = {"protocol": 1, "device_id": "dev-a", "ops": [op("op-5", "update", "service", "x", {"name": "mine"})]}
        self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=alice)[1])["results"][0]["status"], "rejected")
        # A token used from another device id is refused.
        push = {"protocol": 1, "device_id": "dev-other", "ops": []}
        self.assertEqual(http("POST", url + "/v1/push", push, token=alice)[0], 400)
        # Metrics are for admins.
        self.assertEqual(http("GET", url + "/metrics", token=alice)[0], 403)

    def test_a_referral_is_handed_only_to_a_colleague_in_its_area(self):
        url = self.server.url
        alice, carol, sam, pat = (login(self.server, u, device="dev-" + u) for u in ("alice", "carol", "sam", "pat"))
        ids = {u: json.loads(http("GET", url + "/v1/me", token=t)[1])["user"]["id"]
               for u, t in (("alice", alice), ("carol", carol), ("sam", sam), ("pat", pat))}
        # A supervisor sees the practitioners and supervisors of their area, by name; nobody else.
        status, body, _ = http("GET", url + "/v1/colleagues", token=sam)
        self.assertEqual(status, 200, body)
        listed = {c["id"] for c in json.loads(body)["colleagues"]}
        self.assertIn(ids["alice"], listed)
        self.assertIn(ids["sam"], listed)
        self.assertNotIn(ids["carol"], listed)
        self.assertNotIn(ids["pat"], listed)
        status, body, _ = http("GET", url + "/v1/colleagues", token=alice)
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["error"], "forbidden")
        rid = "22222222-2222-4333-8444-555555555555"
        push = {"protocol": 1, "device_id": "dev-alice",
                "ops": [op("op-r1", "create", "referral", rid, {"area": "PDU-GWENT", "given_name": "Sam Person"})]}
        self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=alice)[1])["results"][0]["status"], "applied")

        def reassign(op_id, owner):
            # Based on the owner's version as the supervisor's device last pulled it.
            page = json.loads(http("GET", url + "/v1/pull?limit=5000", token=sam)[1])
            base = next(r for r in page["records"] if r["id"] == rid)["versions"]["owner"]
            change = op(op_id, "update", "referral", rid, {"owner": owner})
            change["fields"]["owner"]["base"] = base
            push = {"protocol": 1, "device_id": "dev-sam", "ops": [change]}
            status, body, _ = http("POST", url + "/v1/push", push, token=sam)
            self.assertEqual(status, 200, body)
            return json.loads(body)["results"][0]

        # Not to someone outside Gwent, not to a provider, not to nobody.
        for op_id, owner, why in (("op-r2", ids["carol"], "does not work in"), ("op-r3", ids["pat"], "not by a provider"),
                                  ("op-r4", "no-such-user", "no active user"), ("op-r5", "", "always has an owner")):
            result = reassign(op_id, owner)
            self.assertEqual(result["status"], "rejected", owner)
            self.assertIn(why, result["reason"])
        # To the supervisor, then back to a Gwent practitioner: applied.
        self.assertEqual(reassign("op-r6", ids["sam"])["status"], "applied")
        self.assertEqual(reassign("op-r7", ids["alice"])["status"], "applied")
        # A disabled colleague is neither listed nor accepted.
        self.server.admin("user", "disable", "alice")
        self.assertNotIn(ids["alice"], {c["id"] for c in json.loads(http("GET", url + "/v1/colleagues", token=sam)[1])["colleagues"]})
        self.assertEqual(reassign("op-r8", ids["sam"])["status"], "applied")
        self.assertEqual(reassign("op-r9", ids["alice"])["status"], "rejected")
        # A supervisor's device keeps the list for offline use.
        client = os.path.join(self.tmp, "sam.db")
        cli(client, "sync", "--server", url, "--user", "sam")
        with sqlite3.connect(client) as con:
            kept = json.loads(con.execute("SELECT value FROM sync_state WHERE key = 'colleagues'").fetchone()[0])
        self.assertEqual({c["id"] for c in kept}, {ids["sam"]})

    def test_accepting_a_reported_change_applies_it_to_the_service_where_it_can(self):
        url = self.server.url
        alice, sam = login(self.server, "alice", device="dev-alice"), login(self.server, "sam", device="dev-sam")
        with self.server.db() as con:
            services = [r[0] for r in con.execute(
                "SELECT id FROM record WHERE collection='service' AND deleted=0 ORDER BY id LIMIT 4")]

        def service_field(sid, name):
            with self.server.db() as con:
                return json.loads(con.execute("SELECT fields FROM record WHERE collection='service' AND id=?",
                                              (sid,)).fetchone()[0]).get(name)

        def report_and_accept(n, sid, field, proposed):
            sg = f"33333333-2222-4333-8444-55555555555{n}"
            push = {"protocol": 1, "device_id": "dev-alice", "ops": [op(f"op-s{n}", "create", "suggestion", sg, {
                "service_id": sid, "field": field, "proposed": proposed, "note": "seen on their website"})]}
            self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=alice)[1])["results"][0]["status"], "applied")
            push = {"protocol": 1, "device_id": "dev-sam",
                    "ops": [op(f"op-a{n}", "transition", "suggestion", sg, to="accepted", reason="checked by phone")]}
            self.assertEqual(json.loads(http("POST", url + "/v1/push", push, token=sam)[1])["results"][0]["status"], "applied")
            with self.server.db() as con:
                fields = json.loads(con.execute("SELECT fields FROM record WHERE collection='suggestion' AND id=?",
                                                (sg,)).fetchone()[0])
            return fields["history"][-1].get("applied")

        self.assertEqual(report_and_accept(1, services[0], "description", "  Drop-in on Tuesdays only.  "), "description")
        self.assertEqual(service_field(services[0], "description"), "Drop-in on Tuesdays only.")
        self.assertEqual(report_and_accept(2, services[1], "email", "hello@example.org"), "email")
        self.assertEqual(service_field(services[1], "email"), "hello@example.org")
        self.assertEqual(report_and_accept(3, services[2], "closed", ""), "status")
        self.assertEqual(service_field(services[2], "status"), "inactive")
        # A phone number or an address is structured: a person edits the service; nothing is guessed.
        before = service_field(services[3], "contacts")
        self.assertIs(report_and_accept(4, services[3], "phone", "0161 000 0000"), False)
        self.assertEqual(service_field(services[3], "contacts"), before)
        self.assertIs(report_and_accept(5, services[3], "email", "not an address"), False)
        # Every device's directory gets the applied change: a practitioner pulls it.
        page = json.loads(http("GET", url + "/v1/pull?limit=5000", token=alice)[1])
        pulled = {r["id"]: r for r in page["records"] if r["collection"] == "service"}
        self.assertEqual(pulled[services[0]]["fields"]["description"], "Drop-in on Tuesdays only.")

    # ------------------------------------------------------------------ malformed input

    def test_malformed_requests_get_json_errors_and_the_server_keeps_serving(self):
        url = self.server.url
        token = login(self.server, "alice", device="dev-a")
        good_op = op("op-ok", "create", "referral", "12345678-2222-4333-8444-555555555555", {"area": "PDU-GWENT"})
        cases = [
            ("invalid json", b"{not json", {}, 400),
            ("wrong type", json.dumps({"protocol": "one", "device_id": "dev-a", "ops": []}).encode(), {}, 400),
            ("unknown field", json.dumps({"protocol": 1, "device_id": "dev-a", "ops": [], "extra": 1}).encode(), {}, 400),
            ("op unknown field", json.dumps({"protocol": 1, "device_id": "dev-a", "ops": [dict(good_op, colour="red")]}).encode(), {}, 400),
            ("ops not a list", json.dumps({"protocol": 1, "device_id": "dev-a", "ops": {}}).encode(), {}, 400),
            ("bad gzip", b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"}, 400),
            ("unknown encoding", b"{}", {"Content-Encoding": "br"}, 415),
            ("too big", b"x" * (9 * 1024 * 1024), {}, 413),
            ("zip bomb", gzip.compress(b"[" + b"0," * (20 * 1024 * 1024) + b"0]"), {"Content-Encoding": "gzip"}, 413),
            ("old protocol", json.dumps({"protocol": 99, "device_id": "dev-a", "ops": []}).encode(), {}, 426),
        ]
        many = {"protocol": 1, "device_id": "dev-a",
                "ops": [op(f"op-{i}", "create", "referral", f"r-{i}", {"area": "PDU-GWENT"}) for i in range(100_000)]}
        cases.append(("100k ops", gzip.compress(json.dumps(many).encode()), {"Content-Encoding": "gzip"}, 400))
        for name, raw, headers, expected in cases:
            status, body, _ = http("POST", url + "/v1/push", token=token, raw=raw, headers=headers)
            self.assertEqual(status, expected, f"{name}: {body[:200]}")
            err = json.loads(body)
            self.assertEqual(set(err), {"error", "message"}, name)
            self.assertTrue(err["message"], name)
            self.assertEqual(http("GET", url + "/healthz")[0], 200, f"server stopped serving after {name}")
        for path in ["/v1/pull?cursor=-1", "/v1/pull?cursor=abc", "/v1/pull?limit=0", "/v1/pull?limit=999999"]:
            status, body, _ = http("GET", url + path, token=token)
            self.assertEqual(status, 400, path)
            self.assertEqual(set(json.loads(body)), {"error", "message"})
        self.assertEqual(http("GET", url + "/nope", token=token)[0], 404)
        self.assertEqual(http("GET", url + "/v1/push", token=token)[0], 405)
        # Nothing half-written: no referral from any of it.
        with self.server.db() as con:
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='referral'").fetchone()[0], 0)

    # ----------------------------------------------------------------------- operations

    def test_gzip_metrics_logs_and_graceful_shutdown(self):
        url = self.server.url
        admin = login(self.server, "admin", device="dev-admin")
        status, body, headers = http("GET", url + "/v1/pull?limit=50", token=admin, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        self.assertIn("records", json.loads(body))
        # A gzip request body.
        push = {"protocol": 1, "device_id": "dev-admin", "ops": []}
        status, _, _ = http("POST", url + "/v1/push", token=admin, raw=gzip.compress(json.dumps(push).encode()),
                            headers={"Content-Encoding": "gzip"})
        self.assertEqual(status, 200)
        status, metrics, _ = http("GET", url + "/metrics", token=admin)
        self.assertEqual(status, 200)
        for line in ['signpost_requests_total{route="/v1/pull",status="200"}', "signpost_request_duration_seconds_bucket",
                     'signpost_ops_total{result="applied"}', "signpost_conflicts_total", "signpost_active_tokens"]:
            self.assertIn(line, metrics)
        self.server.kill(signal.SIGTERM)
        self.assertEqual(self.server.proc.returncode, 0)
        log = self.server.log_text()
        self.assertIn('"event":"stopped"', log)
        for line in log.splitlines():
            entry = json.loads(line)  # every line is JSON
            self.assertNotIn(PASSWORD, line)
            self.assertNotIn("alice", line)  # user ids only, never names
        self.server.proc = None

    def test_two_io_threads_serve_many_clients_while_two_uploads_stall(self):
        # Request work runs on the server's own threads; cpprestsdk's pool only moves bytes. With
        # the fewest I/O threads it allows (2), a handler that waited on that pool (for its own
        # body, say) would stop the server once two clients stall mid-upload; they must hold up
        # no one, and the server must still stop cleanly.
        self.server.kill(signal.SIGTERM)
        for extra, env in ((["--io-threads", "1"], {}), (["--io-threads", "x"], {}), ([], {"SIGNPOST_IO_THREADS": "1"}),
                           ([], {"SIGNPOST_IO_THREADS": "2x"})):
            refused = subprocess.run([SERVER, "serve", "--listen", "127.0.0.1:1", "--data-dir", self.data, *extra],
                                     env=dict(os.environ, **env), capture_output=True, text=True, timeout=30)
            self.assertEqual(refused.returncode, 2, (extra, env, refused.stderr))
            self.assertIn("IO_THREADS" if env else "--io-threads", refused.stderr)
        self.server = Server(self.data, extra=["--io-threads", "2"]).start()
        tasks = os.listdir(f"/proc/{self.server.proc.pid}/task")
        self.assertLessEqual(len(tasks), 4 + max(4, 2 * (os.cpu_count() or 1)), "the I/O pool kept its default size")
        token = login(self.server, "alice", device="dev-a")
        body = json.dumps({"protocol": 1, "device_id": "dev-a", "ops": []}).encode()
        stalled = []
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
            s.sendall(b"POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token.encode() +
                      b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                      b"\r\n\r\n" + body[:5])
            stalled.append(s)
        results, errors = {}, []

        def device(n):
            try:
                mine = login(self.server, "alice", device=f"dev-{n}")
                rid = f"12345678-2222-4333-8444-{n:012d}"
                push = {"protocol": 1, "device_id": f"dev-{n}",
                        "ops": [op(f"op-io-{n}", "create", "referral", rid, {"area": "PDU-GWENT"})]}
                status, text, _ = http("POST", self.server.url + "/v1/push", push, token=mine)
                self.assertEqual(status, 200, text)
                status, text, _ = http("GET", self.server.url + "/v1/pull?limit=500", token=mine)
                self.assertEqual(status, 200, text)
                results[n] = json.loads(text)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(f"device {n}: {e}")

        threads = [threading.Thread(target=device, args=(n,)) for n in range(16)]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 16, f"devices still waiting after {time.time() - started:.0f} s")
        # Each device's pull already holds the referrals pushed before it.
        self.assertTrue(all(r["records"] for r in results.values()))
        # The stalled uploads complete and are answered.
        for s in stalled:
            s.sendall(body[5:])
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            s.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:100])
        with self.server.db() as con:
            self.assertEqual(con.execute("SELECT count(*) FROM record WHERE collection='referral'").fetchone()[0], 16)
        # And it stops on SIGTERM with connections just closed.
        self.server.kill(signal.SIGTERM)
        self.assertEqual(self.server.proc.returncode, 0)
        self.server.proc = None

    def test_tls(self):
        if shutil.which("openssl") is None:
            self.fail("openssl is required for the TLS test (tools/dev installs it)")
        cert, key = os.path.join(self.tmp, "cert.pem"), os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.server.kill(signal.SIGTERM)
        tls = Server(self.data, tls=(cert, key))
        tls.start()
        try:
            client = os.path.join(self.tmp, "tls.db")
            out = cli(client, "sync", "--server", tls.url, "--user", "alice", "--ca-file", cert).stdout
            self.assertIn("Pulled", out)
            # Without trusting the certificate the client refuses.
            other = os.path.join(self.tmp, "untrusted.db")
            proc = cli(other, "sync", "--server", tls.url, "--user", "alice", check=False)
            self.assertNotEqual(proc.returncode, 0)
        finally:
            tls.kill(signal.SIGTERM)
        self.server.proc = None


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True)
    args, rest = parser.parse_known_args()
    SERVER, CLI = os.path.abspath(args.server), os.path.abspath(args.cli)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
