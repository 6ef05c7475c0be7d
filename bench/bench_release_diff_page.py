"""Benchmark of the release diff page (issue 13, item 10): its HTML size, server time and the time
Chromium takes to load and paint it, each against a floor measured in the same run (the release
list page, a small page of the same site, served and painted the same way).

The pairs, built in a temporary SQLite database with the real data:

- **0.9.0 -> 1.0.0**, the pair that made a 1.5 MB page: 0.9.0 is the demo's release derived from
  ReaL (``import_real_release``, the 19,880 annotated images without demo pictures, ImageNet-M
  = the 68 images most testbed models get wrong, as ``load_demo`` makes it), and 1.0.0 is the
  panel's first cut (``cut_release``) after the demo pictures' 120 images were reviewed (their
  verdicts seeded from the same ReaL reading). The two releases share no image.
- **0.9.0 -> 2.0.0**, every image changed: 2.0.0 labels the same 19,880 images from the testbed's
  votes (correct = the most voted top-1 prediction, wrong = the other top-1 predictions, as
  ``bench_releases.py`` makes them), so nearly every image has moved labels.

Served by gunicorn (one gthread worker, DEBUG for the static files, as
``bench_review_browser.py``), read by ``urllib`` with a lead's session (server time: request to
last byte; the first request of each URL, before any other, is shown apart) and by Debian's
Chromium through Playwright (``goto`` until the load event, then two animation frames, so
layout and paint are done). Goal: server p50 + Chromium p50 under 1 s, HTML under 150 KB.

    .venv/bin/python bench/bench_release_diff_page.py [--repeats 5] [--screenshots]
"""

import argparse
import http.cookiejar
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench" / "out"
LEAD, PASSWORD = "lead", "lead-bench-2026"
GOAL_SECONDS, GOAL_BYTES = 1.0, 150_000
SIZES = [(1440, 900), (1280, 720), (390, 844)]


def build_pairs() -> dict[str, int]:
    """The releases 0.9.0, 1.0.0 and 2.0.0 in the database Django is set up with."""
    import numpy as np
    from bench_releases import synthetic_documents
    from django.core.management import call_command
    from fullscale import import_real_testbed

    from annotator.catalogue import class_wnids, file_name_of
    from demo.data import demo_assignments
    from releases.exchange import write_label_file
    from releases.real_labels import REAL_ANSWERS_FILE, read_real_labels, real_label_file
    from releases.services.real_release import import_real_release
    from releases.services.releases import cut_release, import_release, seed_consensus
    from reviews.services.panel import add_panel_member

    import_real_testbed(all_models=True)  # as load_demo: every model scored, fv_* not proposing
    call_command("createcachetable", verbosity=0)
    lead = add_panel_member(username=LEAD, password=PASSWORD, lead=True)[0]
    demo = demo_assignments()
    first = import_real_release(version="0.9.0", leave_out=demo, created_by=lead)
    with np.load(REAL_ANSWERS_FILE) as stored:
        answers = {key: stored[key] for key in stored.files}
    reviewed = real_label_file(
        numbers=sorted(demo), real_labels=read_real_labels(), answers=answers
    )
    seed_consensus(data=write_label_file(reviewed), source="demo-panel.json", label="bench")
    # The lead picks a few ImageNet-M images: a cut's imagenet_m split may not be empty.
    cut_release(
        version="1.0.0", created_by=lead, notes="the panel's first cut", imagenet_m=sorted(demo)[:5]
    )

    votes, _ = synthetic_documents(class_wnids(), file_name_of)
    kept = set(json.loads(bytes(first.exchange))["initial_annots"])
    votes["initial_annots"] = {
        name: record for name, record in votes["initial_annots"].items() if name in kept
    }
    votes["problematic_images"] = {
        name: record for name, record in votes["problematic_images"].items() if name in kept
    }
    votes["imagenet_m"] = [name for name in votes["imagenet_m"] if name in kept]
    import_release(data=json.dumps(votes), version="2.0.0", source="testbed votes", notes="")
    from releases.models import Release

    return dict(Release.objects.values_list("version", "image_count"))


def log_in(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A urllib opener holding a lead's session, and the session cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/").read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": LEAD, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    session = next(cookie.value for cookie in jar if cookie.name == "sessionid")
    return opener, session


def served(opener, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    with opener.open(url) as response:
        body = response.read()
        status = response.status
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"{url}: status {status}")
    return elapsed, len(body)


def painted(page, url: str) -> tuple[float, int]:
    """Seconds from navigation to the second animation frame after the load event, and the
    page's height in CSS pixels."""
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - start
    return elapsed, page.evaluate("() => document.documentElement.scrollHeight")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="Loads of each page measured.")
    parser.add_argument(
        "--screenshots",
        action="store_true",
        help="Also save bench/out/f-bench-*.png of each diff page at 1440x900, 1280x720, 390x844.",
    )
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from serving import CHROMIUM, CHROMIUM_FLAGS, free_port, start_gunicorn, stop_gunicorn

    with tempfile.TemporaryDirectory(prefix="bench-release-diff-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            sys.stdout, saved = quiet, sys.stdout
            try:
                counts = build_pairs()
            finally:
                sys.stdout = saved
        print(f"releases built in {time.perf_counter() - started:.0f} s: {counts}")
        from django.db import connections

        connections.close_all()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(
            port,
            {
                "DATABASE_URL": os.environ["DATABASE_URL"],
                "DJANGO_DEBUG": "1",  # serves the static files (no collectstatic)
                "DJANGO_SECRET_KEY": "bench-only",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "PYTHONWARNINGS": "ignore:No directory at",
            },
            workers=1,
            threads=4,
        )
        pages = [
            ("release list (floor)", "/releases/"),
            ("diff 0.9.0 -> 1.0.0", "/releases/0.9.0/diff/1.0.0/"),
            ("diff 0.9.0 -> 2.0.0", "/releases/0.9.0/diff/2.0.0/"),
            ("  its page 300 of changes", "/releases/0.9.0/diff/2.0.0/?changed=300&page=300"),
        ]
        results = {}
        try:
            opener, session = log_in(base)
            for name, path in pages:
                first, size = served(opener, base + path)
                times = [served(opener, base + path)[0] for _ in range(options.repeats)]
                results[name] = {"first": first, "server": times, "bytes": size}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                try:
                    context = browser.new_context(
                        base_url=base, viewport={"width": 1280, "height": 720}
                    )
                    context.set_default_timeout(180_000)
                    context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
                    page = context.new_page()
                    for name, path in pages:
                        painted(page, path)  # warm: the first navigation starts the renderer
                        loads = [painted(page, path) for _ in range(options.repeats)]
                        results[name]["chromium"] = [seconds for seconds, _ in loads]
                        results[name]["height"] = loads[-1][1]
                    if options.screenshots:
                        OUT.mkdir(parents=True, exist_ok=True)
                        for _, path in pages[1:3]:
                            for width, height in SIZES:
                                page.set_viewport_size({"width": width, "height": height})
                                page.goto(path)
                                target = OUT / (
                                    f"f-bench-{path.split('/')[2]}-{path.split('/')[4]}"
                                    f"-{width}x{height}.png"
                                )
                                page.screenshot(path=str(target), full_page=True)
                    context.close()
                finally:
                    browser.close()
        finally:
            stop_gunicorn(server)

    floor = results[pages[0][0]]
    floor_server = statistics.median(floor["server"])
    floor_chromium = statistics.median(floor["chromium"])
    print(
        f"release diff page: SQLite, gunicorn 1 gthread worker (DEBUG for static files), "
        f"headless Chromium 1280x720; p50 of {options.repeats} after one first request / one "
        "warm-up load; ratios against the release list page of the same run"
    )
    print(
        f"  {'page':28} {'HTML':>10} {'height':>10}  {'server p50':>10} {'(first)':>9} "
        f"{'ratio':>7}  {'Chromium p50':>12} {'ratio':>7}  {'sum':>7}"
    )
    met = True
    for name, _ in pages:
        row = results[name]
        server_p50 = statistics.median(row["server"])
        chromium_p50 = statistics.median(row["chromium"])
        total = server_p50 + chromium_p50
        print(
            f"  {name:28} {row['bytes'] / 1000:8,.1f}KB {row['height']:8,}px  "
            f"{server_p50 * 1000:8,.0f}ms {row['first'] * 1000:7,.0f}ms "
            f"{server_p50 / floor_server:6.1f}x  {chromium_p50 * 1000:10,.0f}ms "
            f"{chromium_p50 / floor_chromium:6.1f}x  {total * 1000:5,.0f}ms"
        )
        if name != pages[0][0]:
            met = met and total < GOAL_SECONDS and row["bytes"] < GOAL_BYTES
    print(
        f"  goal: server p50 + Chromium p50 < {GOAL_SECONDS:.0f} s and HTML < "
        f"{GOAL_BYTES // 1000} KB on every diff page: {'met' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
