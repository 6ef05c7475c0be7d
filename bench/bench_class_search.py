"""Server time of the class search: the pure ranking on the real 1000 classes, and
``GET /api/classes/?q=`` through Django's test client (logged-in session, the app's middleware)
on a fresh SQLite database, with the size of each answer (every match in one page).

Prints, per query, the number of matches, the ranking's median time, and the API's median and
p95 time and bytes; and the whole unfiltered list for comparison. Run:
``.venv/bin/python bench/bench_class_search.py``.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "a",
    "e",
    "ca",
    "car",
    "cat",
    "dog",
    "terrier",
    "tabby",
    "sports car",
    "281",
    "n02123045",
]
ROUNDS = 30


def percentile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call, rounds: int = ROUNDS) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-class-search-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        from annotator.catalogue import read_class_facts
        from annotator.class_search import ClassIndex
        from reviews.services.panel import add_panel_member

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("migrate", verbosity=0)
        add_panel_member(username="ada", password="bench-pass-2026")
        client = Client(HTTP_HOST="localhost")
        assert client.login(username="ada", password="bench-pass-2026")
        client.get("/api/classes/", {"q": "warm up"})

        index = ClassIndex(read_class_facts())
        print(
            f"{'query':<12} {'matches':>7} {'rank ms':>8} {'API p50':>8} {'API p95':>8} {'bytes':>8}"
        )
        for query in [*QUERIES, None]:
            params = {"q": query} if query else {}
            api, response = timed(lambda params=params: client.get("/api/classes/", params))
            assert response.status_code == 200
            rank = timed(lambda query=query: index.search(query))[0] if query else [0.0]
            print(
                f"{query or '(all)':<12} {response.json()['count']:>7} "
                f"{statistics.median(rank):>8.2f} {statistics.median(api):>8.1f} "
                f"{percentile(api, 0.95):>8.1f} {len(response.content):>8,}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
