#!/usr/bin/env python3
"""The client against a real signpost-server on 127.0.0.1, in real windows under Xvfb.

Seeds a server directory (with sample ISAs), adds a practitioner, a supervisor and a provider in
Gwent, starts the server on a free port, and runs three devices in turn:
  1. `--script server` as the practitioner: first sign-in with username and password, the first
     sync (the directory arrives and is searchable), a complete referral submitted through the
     "what will be shared" confirmation, and the sync that takes it to the server;
  2. `--script supervisor`: the referral in the Supervisor queue, approved, then sent to the
     provider through the share preview;
  3. `--script provider`: the referral among the provider's new cases, accepted;
  4. a clash: the supervisor's device and the practitioner's each change the referral's desired
     outcomes while apart (signpost-cli record update); the supervisor's reaches the server first;
     `--script conflict` on the practitioner's device unlocks, syncs, meets the conflict in the
     Conflicts panel and keeps a merged text;
  5. `--script attendance` on the provider's device: an appointment booked and an unacceptable
     absence recorded; `--script alert` on the practitioner's: the alert the server raised, and
     the practitioner's decision recorded.
After each, the server's own database must hold the referral as expected.
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

SKIP = 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signpost", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--cli", required=True, help="signpost-cli, for the other device's offline edit")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    xvfb = shutil.which("xvfb-run")
    if not xvfb and not os.environ.get("DISPLAY"):
        print("SKIP: no xvfb-run and no display")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="signpost-client-server-") as tmp:
        tmp = pathlib.Path(tmp)
        data = tmp / "server"
        env = dict(os.environ, SIGNPOST_KDF="minimum")
        subprocess.run([args.server, "directory", "seed", "--sample-isa", "--data-dir", str(data)], env=env,
                       check=True, capture_output=True)
        org = sqlite3.connect(data / "signpost-server.db").execute(
            "SELECT id FROM record WHERE collection = 'organisation' AND json_extract(fields, '$.name') = ?",
            ("Commissioned Rehabilitative Services (Wales)",)).fetchone()[0]
        for name, role, extra in (("prac.gwent", "practitioner", []), ("sup.gwent", "supervisor", []),
                                  ("prov.gwent", "provider", ["--org", org])):
            subprocess.run([args.server, "user", "add", name, "--role", role, "--area", "Gwent",
                            "--data-dir", str(data)] + extra,
                           env=dict(env, SIGNPOST_PASSWORD="client-test-password"), check=True, capture_output=True)
        # A free port can be taken by another test's server between free_port() and the bind: the
        # server then exits at once. Only its own "listening" line says it is ours that answers.
        log = open(tmp / "server.log", "w")
        for _ in range(5):
            port = free_port()
            log.seek(0)
            log.truncate()
            server = subprocess.Popen([args.server, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)],
                                      stdout=log, stderr=subprocess.STDOUT)
            deadline = time.time() + 20
            while server.poll() is None and time.time() < deadline and \
                    '"event":"listening"' not in (tmp / "server.log").read_text():
                time.sleep(0.05)
            if server.poll() is None:
                break
        if server.poll() is not None or '"event":"listening"' not in (tmp / "server.log").read_text():
            print("signpost-server did not start:\n" + (tmp / "server.log").read_text()[-4000:])
            server.kill()
            return 1
        try:
            def device(script, user, expected_status, extra_env=None):
                shots = args.out / f"server-{script}"
                if shots.exists():
                    shutil.rmtree(shots)
                command = [args.signpost, "--db", str(tmp / f"{user}.db"), "--server", f"http://127.0.0.1:{port}",
                           "--script", script, "--screenshot-dir", str(shots), "--size", "1280x800", "--lang", "en"]
                if xvfb:
                    command = [xvfb, "-a", "-s", "-screen 0 1600x1200x24"] + command
                device_env = dict(env, SIGNPOST_SCRIPT_USER=user, SIGNPOST_SCRIPT_PASSWORD="client-test-password",
                                  **(extra_env or {}))
                for _ in range(4):
                    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=device_env)
                    # `xvfb-run -a` can race another test for a display number: try again then.
                    if result.returncode == 0 or "Xvfb failed to start" not in result.stderr:
                        break
                    time.sleep(1 + random.random() * 3)
                if result.returncode != 0:
                    print(f"--script {script} as {user} failed:\n{result.stdout}\n{result.stderr}")
                    print((tmp / "server.log").read_text()[-4000:])
                    return None
                rows = sqlite3.connect(data / "signpost-server.db").execute(
                    "SELECT status FROM record WHERE collection = 'referral'").fetchall()
                if rows != [(expected_status,)]:
                    problems.append(f"after --script {script}: the server holds referrals {rows}, "
                                    f"expected one {expected_status}")
                return shots

            problems = []
            shots = device("server", "prac.gwent", "submitted")
            if shots is None:
                return 1
            if device("supervisor", "sup.gwent", "sent") is None or device("provider", "prov.gwent", "accepted") is None:
                return 1

            server_db = lambda: sqlite3.connect(data / "signpost-server.db")  # noqa: E731
            referral_id = server_db().execute("SELECT id FROM record WHERE collection = 'referral'").fetchone()[0]
            cli_env = dict(env, SIGNPOST_PASSPHRASE="a device passphrase")
            url = f"http://127.0.0.1:{port}"
            for user, text in (("sup.gwent", "Stable housing first."), ("prac.gwent", "Clear the rent arrears.")):
                subprocess.run([args.cli, "--db", str(tmp / f"{user}.db"), "record", "update", "referral", referral_id,
                                "--set", f"desired_outcomes={text}", "--reason", "Outcomes agreed at supervision"],
                               env=cli_env, check=True, capture_output=True)
            subprocess.run([args.cli, "--db", str(tmp / "sup.gwent.db"), "sync", "--server", url],
                           env=cli_env, check=True, capture_output=True)
            merged = "Clear the rent arrears, then stable housing."
            if device("conflict", "prac.gwent", "accepted", {"SIGNPOST_SCRIPT_MERGED": merged}) is None:
                return 1
            fields = json.loads(server_db().execute(
                "SELECT fields FROM record WHERE collection = 'referral'").fetchone()[0])
            conflicts = server_db().execute(
                "SELECT status FROM record WHERE collection = 'conflict' "
                "AND json_extract(fields, '$.field') = 'desired_outcomes'").fetchall()
            if conflicts != [("resolved",)]:
                problems.append(f"desired_outcomes conflicts on the server: {conflicts}, expected one resolved")
            if fields.get("desired_outcomes") != merged:
                problems.append(f"the server's desired_outcomes is {fields.get('desired_outcomes')!r}, "
                                f"expected the merged text")

            if device("attendance", "prov.gwent", "accepted") is None or device("alert", "prac.gwent", "accepted") is None:
                return 1
            appointments = server_db().execute(
                "SELECT status FROM record WHERE collection = 'appointment'").fetchall()
            if appointments != [("absent_unacceptable",)]:
                problems.append(f"appointments on the server: {appointments}, expected one absent_unacceptable")
            alerts = server_db().execute(
                "SELECT status, json_extract(fields, '$.decision') FROM record WHERE collection = 'alert'").fetchall()
            if alerts != [("decided", "warning")]:
                problems.append(f"alerts on the server: {alerts}, expected one decided as a warning")
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        for stem, panel in (("01-synced-search", "find"), ("02-share-preview", "referral"), ("03-submitted", "my_referrals")):
            meta_path = shots / f"{stem}.json"
            if not meta_path.exists():
                problems.append(f"{stem}: no screenshot")
                continue
            meta = json.loads(meta_path.read_text())
            if meta["panel"] != panel:
                problems.append(f"{stem}: panel {meta['panel']!r}, expected {panel!r}")
        if "What will be shared" not in json.loads((shots / "02-share-preview.json").read_text())["visible"]:
            problems.append("the share preview was not on screen before submitting")
        if problems:
            print("\n".join(problems))
            return 1
    print("practitioner submitted, supervisor approved and sent, provider accepted, a clash resolved with a "
          "merged text, an unacceptable absence recorded and the practitioner's decision on the alert: "
          "all through the client")
    return 0


if __name__ == "__main__":
    sys.exit(main())
