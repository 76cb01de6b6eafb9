# alertfleet — the two commands: `make run` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: install run test test-tools lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

run: install
	$(VENV)/bin/alertfleet dev

# The end-to-end tests drive the real Alertmanager binary (Debian's prometheus-alertmanager).
test-tools:
	@command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager) >/dev/null; \
	  else echo "install prometheus-alertmanager (Debian) to run the end-to-end tests" >&2; exit 1; fi; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install test-tools lint
	$(PY) -m pytest -p no:cacheprovider

# Figures, not assertions; about 15-20 minutes on 2 cores. HolmesGPT goes into bench/.venv-holmes.
bench: install test-tools
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test,bench]"
	$(PY) -m bench.vs_holmesgpt
	$(PY) -m bench.overhead
	$(PY) -m bench.memory
	$(PY) -m bench.ingest
	$(PY) -m bench.ratelimit
	$(PY) -m bench.summary

clean:
	rm -rf $(VENV) .alertfleet .mypy_cache .ruff_cache .pytest_cache
