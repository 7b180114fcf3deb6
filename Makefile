# Two commands: `make run` (app on the demo) and `make test` (lint + every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench bench-app bench-concurrency screenshots wheels

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt requirements-db.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.app
	$(PY) -m streamlit run streamlit_app.py

test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(VENV)/.app
	$(PY) bench/run.py

bench-app: $(VENV)/.dev
	$(PY) bench/app_memory.py

# 20 demo + 2 upload sessions at once: render times, peak memory, memory after every close.
bench-concurrency: $(VENV)/.dev
	$(PY) bench/concurrency.py

screenshots: $(VENV)/.dev
	$(PY) bench/screenshots.py

# Prove requirements.txt installs from wheels alone on Linux for the Pythons Community Cloud offers.
WHEEL_PYTHONS ?= 3.12 3.13
WHEEL_PLATFORMS := $(foreach p,manylinux2014 manylinux_2_17 manylinux_2_24 manylinux_2_28 \
	manylinux_2_31 manylinux_2_34,--platform $(p)_x86_64)
wheels:
	@status=0; for v in $(WHEEL_PYTHONS); do \
	  dir=$$(mktemp -d); \
	  if $(PY) -m pip download --quiet --only-binary=:all: --implementation cp \
	      --python-version $$v $(WHEEL_PLATFORMS) -r requirements.txt -d $$dir; \
	  then echo "Python $$v: every requirement has a Linux wheel"; \
	  else echo "Python $$v: some requirement has no Linux wheel (see above)"; status=1; fi; \
	  rm -rf $$dir; \
	done; exit $$status
