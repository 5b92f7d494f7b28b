# Quick start: `make demo` runs the whole product, `make test` runs the whole suite.
# Both bootstrap .venv from constraints.txt on a fresh machine (Python 3.11 + make).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench-ingest bench-insights bench-enrich bench-slo clean
.PHONY: bench-pipeline

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# An unset ENVIRONMENT is production (DEBUG off, SECRET_KEY/ALLOWED_HOSTS required).
demo: $(STAMP)
	ENVIRONMENT=development $(PY) manage.py demo

# The full suite runs against whatever DATABASE_URL / REDIS_URL say (CI: PostgreSQL +
# Redis); the ingestion, SLO and runbook suites then run once more on embedded SQLite.
test: $(STAMP)
	$(PY) -m pytest -q
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== ingestion, slo and runbooks suites again on embedded SQLite =="; \
		env -u DATABASE_URL $(PY) -m pytest -q tests/ingestion tests/slo tests/runbooks; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench-ingest: $(STAMP)
	ENVIRONMENT=development $(PY) bench/ingest.py

bench-insights: $(STAMP)
	ENVIRONMENT=development $(PY) bench/insights.py

bench-enrich: $(STAMP)
	ENVIRONMENT=development $(PY) bench/enrich.py

bench-slo: $(STAMP)
	ENVIRONMENT=development $(PY) bench/slo_eval.py

# End to end: gunicorn -w 2 + one worker process; needs DATABASE_URL=postgres://… and REDIS_URL.
bench-pipeline: $(STAMP)
	$(PY) bench/pipeline.py

.PHONY: bench-dashboards
bench-dashboards: $(STAMP)
	$(PY) bench/dashboards.py

# Two gunicorn instances behind nginx (loopback :8080), two Celery workers, one Beat, on the
# PostgreSQL and Redis in DATABASE_URL / REDIS_URL (README, "Running several instances").
.PHONY: cluster
cluster: $(STAMP)
	$(PY) manage.py cluster

clean:
	rm -rf var .pytest_cache
