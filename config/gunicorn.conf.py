"""gunicorn's settings for `make serve`, from the environment (`gunicorn -c config/gunicorn.conf.py`).

HOST, PORT              where to listen (127.0.0.1:8000; 0.0.0.0 to be reached from other hosts)
GUNICORN_WORKERS        worker processes (2 x CPU cores + 1)
GUNICORN_THREADS        threads per worker (1)
GUNICORN_TIMEOUT        seconds a request may take before its worker is restarted (60)
GUNICORN_GRACEFUL_TIMEOUT  seconds workers get to finish their requests on restart or stop (30)
FORWARDED_ALLOW_IPS     proxies trusted for X-Forwarded-* headers (127.0.0.1)
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# Exports of a 50,000-image release are streamed; the timeout is the longest a request may go
# without the worker reporting in, not the length of a download.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): a slow leak in
# a long panel session never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs to standard output and error, for the service manager (systemd, docker) to keep.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Worker heartbeats in memory, not on a disk that may be slow or full.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
