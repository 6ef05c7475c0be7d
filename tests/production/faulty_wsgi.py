"""The app as gunicorn serves it, with the fault hooks of test_faults.py (never used elsewhere).

FAULT_PAUSE_MARKER  the first submit to reach its audit entry (inside its transaction, after the
                    slot and the review were updated) writes "<worker pid> <database backend pid>
                    <review id>" to this file, then waits (at most 15 s) until "<marker>.go" exists:
                    the test kills the worker or drops its connection in that moment.
FAULT_SQLITE_TIMEOUT  seconds a SQLite connection waits for a lock (20 in the settings), so that a
                    test can keep the database locked for longer than that.
"""

import os
import threading
import time
from pathlib import Path

from django.db import connection, connections

from config.wsgi import application
from reviews.services import reviewing

MARKER = os.environ.get("FAULT_PAUSE_MARKER")
if "FAULT_SQLITE_TIMEOUT" in os.environ:
    options = connections.settings["default"].setdefault("OPTIONS", {})
    options["timeout"] = float(os.environ["FAULT_SQLITE_TIMEOUT"])

_write_log = reviewing._write_log


def _pause_in_first_submit(cursor, review, actor, now, *events):
    if MARKER and any(event.action == "submit" for event in events):
        backend = connection.connection.info.backend_pid if connection.vendor == "postgresql" else 0
        # One name per thread: gunicorn's threads of one worker submit at the same time.
        draft = Path(f"{MARKER}.{os.getpid()}.{threading.get_ident()}")
        draft.write_text(f"{os.getpid()} {backend} {review.pk}")
        try:
            os.link(draft, MARKER)  # atomic: only the first submit pauses
        except FileExistsError:
            pass
        else:
            deadline = time.monotonic() + 15
            while not Path(f"{MARKER}.go").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        draft.unlink(missing_ok=True)
    _write_log(cursor, review, actor, now, *events)


reviewing._write_log = _pause_in_first_submit

__all__ = ["application"]
