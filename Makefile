# rnpc-radiomics developer entry points. `make demo` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pytest workers: 2 matches the CI machine; override with `make test JOBS=1`.
JOBS ?= 2

.PHONY: setup test demo bench lint clean docker

setup: $(STAMP)

# Re-run when pyproject changes. pyradiomics is our reference oracle (dev only): its sdist does
# not build in an isolated build env, hence --no-build-isolation after numpy/versioneer.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q numpy versioneer setuptools wheel
	$(PY) -m pip install -q --no-build-isolation pyradiomics==3.0.1
	touch $(STAMP)

test: setup
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile tests

demo: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash pipelines/demo.sh

# Speed side by side with pyradiomics in one process per benchmark (ratios; not tests).
bench: setup
	$(PY) benchmarks/bench_extract.py
	$(PY) benchmarks/bench_extract.py --filters --repeat 3
	$(PY) benchmarks/bench_maps.py

lint: setup
	$(PY) -m ruff check rnpc_radiomics tests benchmarks

docker:
	docker build -t rnpc-radiomics .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache demo_output
