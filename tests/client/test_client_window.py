#!/usr/bin/env python3
"""The real client in a real window under Xvfb, driven through its scripted flow.

For each size (390x844 phone, 1280x800 laptop) and language (en, cy) it runs
`signpost --script flow` on a fresh demo device: sign in offline, search, open a service, start a
referral, save the draft, check it in My referrals, open Settings, lock as if idle, and be refused
with a wrong passphrase before unlocking with the right one. Then, at 390x844 in touch mode,
`signpost --script changes`: amend a sent referral and open its history, reschedule an
appointment, reject a reported change (each with a reason). Each step writes a PNG and a
JSON sidecar naming the active panel and the titled regions drawn. The test checks that every
PNG has the window's size and is not blank (pixel variance, colour count), that the sidecar
shows the expected panel with its titles in the right language and layout, and that the pixels
differ between panels and between languages.
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SKIP = 77  # ctest SKIP_RETURN_CODE

# (file stem, panel key, language keys of titles that must be among the regions drawn)
EXPECTED = [
    ("01-sign-in", "sign_in", ["panel.sign_in"]),
    ("02-search", "find", ["panel.find", "find.results"]),
    ("03-service", "find", ["panel.find", "find.detail"]),
    ("04-referral-person", "referral", ["panel.referral", "step.person"]),
    ("05-referral-review", "referral", ["panel.referral", "step.review"]),
    ("06-my-referrals", "my_referrals", ["panel.my_referrals", "queue.drafts"]),
    ("07-settings", "settings", ["panel.settings"]),
    ("08-wrong-passphrase", "sign_in", ["panel.sign_in"]),
]
# `signpost --script changes` (390x844, touch mode): amend a sent referral with a reason and open
# its history, reschedule an appointment with a reason, reject a reported change with a reason.
EXPECTED_CHANGES = [
    ("01-sign-in", "sign_in", ["panel.sign_in"]),
    ("02-amendment-history", "my_referrals", ["panel.my_referrals", "amend.title", "amend.history"]),
    ("03-reschedule", "provider", ["panel.provider", "reschedule.title"]),
    ("04-suggestions", "suggestions", ["panel.suggestions"]),
    ("05-suggestions-decided", "suggestions", ["panel.suggestions"]),
]
STATUS_BAR = "status.bar"


def read_png(path):
    """RGBA rows of an 8-bit RGBA PNG (all five filter types)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    at, idat, width, height = 8, b"", 0, 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"{path}: bad CRC in {kind}")
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour != 6:
                raise ValueError(f"{path}: expected 8-bit RGBA")
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def luminance_stats(rows, step=3):
    values, colours = [], set()
    for y in range(0, len(rows), step):
        row = rows[y]
        for x in range(0, len(row) // 4, step):
            r, g, b = row[4 * x], row[4 * x + 1], row[4 * x + 2]
            values.append(0.299 * r + 0.587 * g + 0.114 * b)
            colours.add((r >> 3, g >> 3, b >> 3))
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return variance, len(colours)


def difference(rows_a, rows_b, step=2):
    """Fraction of sampled pixels that differ between two images of one size."""
    differ = total = 0
    for y in range(0, min(len(rows_a), len(rows_b)), step):
        a, b = rows_a[y], rows_b[y]
        for x in range(0, min(len(a), len(b)) // 4, step):
            total += 1
            if a[4 * x:4 * x + 3] != b[4 * x:4 * x + 3]:
                differ += 1
    return differ / max(total, 1)


def run_display(command, env, timeout):
    """Runs under xvfb-run, retrying when Xvfb itself failed to start: `xvfb-run -a` picks a free
    display by looking at lock files, and two tests starting at the same moment can pick the same
    one."""
    for attempt in range(4):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if result.returncode == 0 or "Xvfb failed to start" not in result.stderr:
            return result
        time.sleep(1 + random.random() * 3)
    return result


def run(args, size, lang, out_dir, failures, script="flow", expected=EXPECTED, extra=()):
    width, height = size
    shots = out_dir / (f"{lang}-{width}x{height}" + ("" if script == "flow" else f"-{script}"))
    if shots.exists():
        shutil.rmtree(shots)
    with tempfile.TemporaryDirectory(prefix="signpost-window-") as tmp:
        command = [args.signpost, "--db", str(pathlib.Path(tmp) / "device.db"), "--script", script,
                   "--screenshot-dir", str(shots), "--size", f"{width}x{height}", "--lang", lang] + list(extra)
        if args.xvfb:
            command = [args.xvfb, "-a", "-s", "-screen 0 1600x1200x24"] + command
        env = dict(os.environ, SIGNPOST_KDF="minimum")
        result = run_display(command, env, timeout=300)
    if result.returncode != 0:
        failures.append(f"{lang} {width}x{height}: signpost exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return {}
    images = {}
    for stem, panel, title_keys in expected:
        where = f"{lang} {width}x{height} {script} {stem}"
        png, side = shots / f"{stem}.png", shots / f"{stem}.json"
        if not png.exists() or not side.exists():
            failures.append(f"{where}: no screenshot or sidecar")
            continue
        w, h, rows = read_png(png)
        if (w, h) != (width, height):
            failures.append(f"{where}: {w}x{h}, expected {width}x{height}")
        variance, colours = luminance_stats(rows)
        if variance < 200 or colours < 8:
            failures.append(f"{where}: looks blank (luminance variance {variance:.0f}, {colours} colours)")
        meta = json.loads(side.read_text(encoding="utf-8"))
        if meta.get("panel") != panel:
            failures.append(f"{where}: active panel {meta.get('panel')!r}, expected {panel!r}")
        if meta.get("language") != lang:
            failures.append(f"{where}: language {meta.get('language')!r}")
        expected_layout = "single" if width < 1000 else "split"
        if meta.get("layout") != expected_layout:
            failures.append(f"{where}: layout {meta.get('layout')!r}, expected {expected_layout!r}")
        if "DejaVuSans" not in meta.get("font_file", "") and "Noto" not in meta.get("font_file", ""):
            failures.append(f"{where}: not drawn with a font that has the Welsh glyphs ({meta.get('font_file')!r})")
        visible = meta.get("visible", [])
        for key in title_keys + [STATUS_BAR]:
            title = args.strings[lang][key]
            if title not in visible:
                failures.append(f"{where}: {title!r} ({key}) not among the regions drawn {visible}")
        images[stem] = rows
    # Different panels look different; the detail differs from the list even on one panel.
    pairs = [("02-search", "07-settings"), ("02-search", "03-service"), ("04-referral-person", "06-my-referrals"),
             ("01-sign-in", "02-search"), ("02-amendment-history", "04-suggestions"),
             ("03-reschedule", "04-suggestions"), ("04-suggestions", "05-suggestions-decided")]
    for a, b in pairs:
        if a in images and b in images:
            d = difference(images[a], images[b])
            if d < 0.02:
                failures.append(f"{lang} {width}x{height}: {a} and {b} are nearly identical ({d:.1%} differ)")
    return images


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signpost", required=True)
    parser.add_argument("--lang-dir", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path, help="screenshots land here")
    args = parser.parse_args()
    args.strings = {code: json.loads((args.lang_dir / f"{code}.json").read_text(encoding="utf-8"))
                    for code in ("en", "cy")}
    args.xvfb = shutil.which("xvfb-run")
    if not args.xvfb and not os.environ.get("DISPLAY"):
        print("SKIP: no xvfb-run and no display (tools/dev installs xvfb)")
        return SKIP
    args.out.mkdir(parents=True, exist_ok=True)
    failures = []
    by_run = {}
    for size in ((390, 844), (1280, 800)):
        for lang in ("en", "cy"):
            by_run[(size, lang)] = run(args, size, lang, args.out, failures)
    # Changes after the fact, on a phone in touch mode (44 px targets).
    for lang in ("en", "cy"):
        by_run[("changes", lang)] = run(args, (390, 844), lang, args.out, failures, "changes", EXPECTED_CHANGES,
                                        ("--demo", "--touch"))
    en, cy = by_run.get(("changes", "en"), {}), by_run.get(("changes", "cy"), {})
    if "04-suggestions" in en and "04-suggestions" in cy and difference(en["04-suggestions"], cy["04-suggestions"]) < 0.002:
        failures.append("390x844 changes 04-suggestions: English and Welsh screenshots are identical")
    # The same panel in English and in Welsh differs (the words changed, not just the data).
    for size in ((390, 844), (1280, 800)):
        en, cy = by_run.get((size, "en"), {}), by_run.get((size, "cy"), {})
        for stem in ("02-search", "07-settings"):
            if stem in en and stem in cy and difference(en[stem], cy[stem]) < 0.002:
                failures.append(f"{size[0]}x{size[1]} {stem}: English and Welsh screenshots are identical")
    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} problem(s)")
        return 1
    print(f"screenshots in {args.out}: 4 runs x {len(EXPECTED)} panels, 2 runs x {len(EXPECTED_CHANGES)} changes checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
