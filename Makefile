# StreamSMOTE: `make run` sets up and runs the demo; `make test` runs every test.
# Both install what a fresh Debian machine lacks (apt as root, or through sudo; pip).

SWIFT ?= swift
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: run test test-python deps system-deps python-deps build build-release check-docker bench clean

run: deps build-release
	$(BIN)/streamsmote demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(PYTHON) Tests/oracles/run_all.py "$$($(SWIFT) build --show-bin-path)/streamsmote"
	$(PYTHON) scripts/check-docker.py "$$($(SWIFT) build --show-bin-path)/streamsmote"

# The Python client package's tests (a new venv, pip install ./clients/python, pytest against
# the debug daemon) and the dashboard and alert checks; both also run in `make test`.
test-python: python-deps
	$(SWIFT) build --product streamsmote
	$(PYTHON) Tests/oracles/python_client.py "$$($(SWIFT) build --show-bin-path)/streamsmote"
	$(PYTHON) Tests/oracles/ops_metrics.py "$$($(SWIFT) build --show-bin-path)/streamsmote"

deps: system-deps python-deps

# libzmq, the NATS C client, nats-server (the NATS tests start real servers) and pkg-config
# from Debian; protoc only for scripts/generate-proto.sh.
system-deps:
	@if ! pkg-config --exists libzmq libnats 2>/dev/null || ! command -v nats-server >/dev/null; then \
		echo "installing libzmq3-dev, libnats-dev, nats-server and pkg-config"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzmq3-dev libnats-dev nats-server pkg-config; \
	fi

python-deps:
	@$(PYTHON) scripts/missing-python-deps.py requirements-dev.txt || \
		$(PYTHON) -m pip install -q -r requirements-dev.txt

build:
	$(SWIFT) build

build-release:
	$(SWIFT) build -c release --product streamsmote

check-docker: python-deps
	$(PYTHON) scripts/check-docker.py

bench: deps
	scripts/bench-zmq.sh

clean:
	rm -rf .build
