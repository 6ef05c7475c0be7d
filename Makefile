# The two commands of the quick start: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-16)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test venv chromium lint bench demo clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	  else echo "Cannot create $(VENV): install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

## Serve the app with its demo on SQLite at http://$(HOST):$(PORT)
run: venv
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py createcachetable
	DJANGO_DEBUG=1 $(PY) manage.py load_demo --if-empty
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

## Serve for a panel: debug off, DATABASE_URL, migrations, static files, gunicorn on $(HOST):$(PORT)
## (the environment it needs: README.md, "Run it for a panel")
serve: venv
	@test -n "$$DJANGO_SECRET_KEY" || { echo "DJANGO_SECRET_KEY is not set: see README.md, 'Run it for a panel'"; exit 1; }
	@test -n "$$DATABASE_URL" || echo "DATABASE_URL is not set: serving the SQLite file db.sqlite3 (a panel should use PostgreSQL)"
	DJANGO_DEBUG=0 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=0 $(PY) manage.py createcachetable
	DJANGO_DEBUG=0 $(PY) manage.py collectstatic --no-input
	DJANGO_DEBUG=0 HOST=$(HOST) PORT=$(PORT) exec $(VENV)/bin/gunicorn -c config/gunicorn.conf.py

## Run every test (the browser tests need Chromium: `make chromium` installs Debian's package)
test: venv chromium
	$(PY) -m pytest

# Debian's Chromium for the Playwright tests; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: sudo apt-get install -y chromium"; exit 1; fi; }

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: venv
	for script in bench/bench_*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles
