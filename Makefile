# perwatt — see README.md. `make run` and `make test` are all a new user needs.
GO      ?= go
BIN     := bin/perwatt
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
DATE    := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
# One-off benchmark length for `make run` (all CPU threads, then the GPU if any).
RUN_DURATION ?= 10s

.PHONY: all build run test vet unit bench install clean fuzz footprint replay soak

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/perwatt

# A real benchmark plus the economics summary from the bundled market snapshot.
run: build
	./$(BIN) bench all --duration $(RUN_DURATION) --offline

vet:
	$(GO) vet ./...

# vet, unit tests and integration tests against a real InfluxDB started for
# the run (installed into .bin/ on first use) and stopped afterwards.
test: vet
	scripts/with-influxd.sh $(GO) test -count=1 -timeout 20m ./...

# Unit tests only, no InfluxDB (integration tests skip with a message unless CI is set).
unit:
	$(GO) test ./...

# Go benchmarks: kernels, spool throughput, encoders.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

# Short fuzzing passes over every parser, from the checked-in seeds.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Agent CPU and memory beside Telegraf in one run: host collection every 1 s
# to a file, perwatt with the Telegraf-equivalent set and with the whole host
# collector, on-CPU ns over 120 s after 10 s of warm-up, VmRSS/VmHWM
# (README.md, "Measured"). Telegraf is built once into .bin/.
TELEGRAF_VERSION ?= v1.37.2
TELEGRAF_TAGS := custom,inputs.cpu,inputs.mem,inputs.system,inputs.temp,outputs.file
.bin/telegraf:
	GOBIN=$(CURDIR)/.bin $(GO) install -tags $(TELEGRAF_TAGS) github.com/influxdata/telegraf/cmd/telegraf@$(TELEGRAF_VERSION)

footprint: build .bin/telegraf
	PERWATT_BIN=$(BIN) TELEGRAF_BIN=.bin/telegraf scripts/footprint.sh

# A 1,000,000-point spool drained into a local InfluxDB vs a plain POST loop.
replay:
	scripts/with-influxd.sh $(GO) test ./agent -run '^$$' -bench Replay -benchtime 1x

# The agent soak (kills, outages, flapping server) for SOAK long; CI runs 1m.
SOAK ?= 1h
soak:
	PERWATT_SOAK=$(SOAK) $(GO) test ./agent -run '^(TestSoak|TestFleetPollingKeepsMemoryFlat)$$' -count=1 -v -timeout 0

install:
	$(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/perwatt

clean:
	rm -rf bin
