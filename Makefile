# perwatt — see README.md. `make run` and `make test` are all a new user needs.
GO      ?= go
BIN     := bin/perwatt
# Linked in: values that change only with a commit, a tag or the tree turning
# modified, never the clock, so an unchanged tree is not relinked on every
# make. The date is the commit's. Go's own VCS stamp wins where it has one.
VERSION  ?= $(shell git describe --tags --always 2>/dev/null || echo dev)
COMMIT   := $(shell git rev-parse HEAD 2>/dev/null)
CDATE    := $(shell git log -1 --format=%cI 2>/dev/null)
MODIFIED := $(shell test -n "$$(git status --porcelain 2>/dev/null)" && echo true)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.commitDate=$(CDATE) -X main.modified=$(MODIFIED)
# go-nvml's cgo uses CUDA declarations its headers mark deprecated: about 80
# lines of gcc warnings on the first build that say nothing about perwatt.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations
# One-off benchmark length for `make run` (all CPU threads, then the GPU if any).
RUN_DURATION ?= 10s

.PHONY: all build run test vet unit bench install clean fuzz footprint replay soak ptxas fleet-bench diskfull

all: build

build:
	$(GO) build -trimpath -buildvcs=auto -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/perwatt

# A real benchmark plus the economics summary from the bundled market snapshot.
run: build
	./$(BIN) bench all --duration $(RUN_DURATION) --offline

vet:
	$(GO) vet ./...

# vet, unit tests and integration tests against a real InfluxDB started for
# the run (installed into .bin/ on first use) and stopped afterwards.
test: vet ptxas
	scripts/with-influxd.sh $(GO) test -count=1 -timeout 20m ./...

# Every embedded PTX module through NVIDIA's ptxas for every architecture it
# claims (ptxas fetched once from Debian non-free into .bin/; fatal with CI).
ptxas:
	scripts/ptxas-check.sh

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

# One agent polling a fake fleet of FLEET_RIGS rigs (default 10,000) on
# loopback: rigs/s, CPU per round and peak RSS (README.md, "ASIC fleets").
fleet-bench:
	GO=$(GO) scripts/fleet-bench.sh

# The spool's disk-full scenarios against a real InfluxDB on a real tmpfs
# (needs root to mount it): points produced, acknowledged, delivered,
# duplicated, lost and counted as dropped. `make test` runs them with 2 s
# phases; this runs DISKFULL_PHASE.
DISKFULL_PHASE ?= 10s
diskfull:
	PERWATT_DISKFULL_PHASE=$(DISKFULL_PHASE) scripts/with-influxd.sh $(GO) test ./agent -run '^TestDiskFullAgainstRealInfluxDB$$' -count=1 -v -timeout 10m

install:
	$(GO) install -trimpath -buildvcs=auto -ldflags '$(LDFLAGS)' ./cmd/perwatt

clean:
	rm -rf bin
