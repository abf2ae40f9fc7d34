# Two commands on a fresh machine: `make demo` and `make test` (each creates .venv and installs).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO_OUT ?= demo-release

.PHONY: install demo test test-dev lint bench clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build first (a local file here); an unpinned torch would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test,train,ray]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/microe build --demo --out $(DEMO_OUT) --force
	HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 $(BIN)/microe validate $(DEMO_OUT)

# Debian's Chromium for the report's browser test; skipped (the test says why) where it cannot be installed.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the browser test will be skipped"

# The sdist and the wheel are built, the wheel installed into a fresh virtual environment and tried
# as a user would (every command, from an empty folder); then the sdist's tests run against it.
test: install browser
	bash .ci/check-package $(BIN)/python

# The suite on the checkout (editable install): quicker while developing.
test-dev: install browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check microe_release tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
