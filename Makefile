# Two commands for users: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv plugins airflow-venv system-packages test demo emulators console run runs run-log lint bench bench-quick clean

$(STAMP): requirements-dev.txt emulators/pyproject.toml tap-walkme-insights/pyproject.toml target-salesforce-update/pyproject.toml walkme-salesforce/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is required (found " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Meltano installs the two custom plugins and the manager utility from their folders into .meltano/ (the e2e tests and
# the demo run them from there). Installing happens here, never at test time.
PLUGINS := .meltano/.plugins-installed
$(PLUGINS): $(STAMP) meltano.yml tap-walkme-insights/pyproject.toml target-salesforce-update/pyproject.toml walkme-salesforce/pyproject.toml
	$(BIN)/meltano install
	touch $(PLUGINS)

plugins: $(PLUGINS)

# Apache Airflow in its own virtualenv (its pins clash with Meltano's), for tests/airflow and the
# DAG factory in orchestration/. Airflow's constraints files live on GitHub, which CI cannot reach,
# so the few packages it needs are pinned in orchestration/requirements-airflow.txt; uv (installed
# with Meltano in .venv) resolves them in a minute instead of pip's long backtracking.
AIRFLOW_VENV  ?= .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
$(AIRFLOW_STAMP): $(STAMP) orchestration/requirements-airflow.txt
	test -x $(AIRFLOW_VENV)/bin/python || $(BIN)/uv venv -q --python $(PYTHON) $(AIRFLOW_VENV)
	VIRTUAL_ENV=$(abspath $(AIRFLOW_VENV)) $(BIN)/uv pip install -q -r orchestration/requirements-airflow.txt
	touch $(AIRFLOW_STAMP)

airflow-venv: $(AIRFLOW_STAMP)

system-packages:  ## Debian packages of tests/postgres and tests/console (installed when missing, as root)
	bash scripts/system-packages.sh

test: venv plugins airflow-venv system-packages  ## the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: venv plugins  ## emulators + a generated demo world + the sample integrations through `meltano run`
	umask 077 && PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

# umask 077 (also inside walkme-salesforce run): Meltano's .meltano/run/*.config.json hold secrets.
run: venv plugins  ## run one integration now: make run INTEGRATION=onboarding ENV=prod [RUN_ARGS=--full-refresh]
	@test -n "$(INTEGRATION)" -a -n "$(ENV)" || { echo "usage: make run INTEGRATION=<name> ENV=<environment>"; exit 2; }
	umask 077 && $(BIN)/walkme-salesforce run $(INTEGRATION) -e $(ENV) $(RUN_ARGS)

emulators: venv plugins  ## both emulators with a demo world, the URLs and `export` lines; up until Ctrl-C
	$(BIN)/python scripts/demo_emulators.py $(EMULATORS_ARGS)

console: venv plugins  ## emulators + demo world + the web console on a free loopback port (prints its URL); up until Ctrl-C
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python scripts/console_demo.py

runs: venv  ## run history of every integration (RUNS_ARGS="--integration nps --environment prod")
	$(BIN)/walkme-salesforce runs $(RUNS_ARGS)

run-log: venv  ## one run's summary, results files and full log: make run-log RUN=<run id>
	@test -n "$(RUN)" || { echo "usage: make run-log RUN=<run id from make runs>"; exit 2; }
	$(BIN)/walkme-salesforce run-log $(RUN)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/run.py

bench-quick: venv
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) .meltano demo-output emulators-output .pytest_cache
