# seg: build, run and test. `make run` and `make test` do all set-up on a
# fresh machine with Go installed.

GO        ?= go
DATA      ?= ./data
BIN       := bin/seg
FUZZTIME  ?= 10s
# go test also minimizes every new interesting input, for up to 60 s
# each by default; on a target with kilobyte inputs (a stored
# configuration) that left a 60 s run minimizing, not fuzzing.
FUZZMINIMIZE ?= 5s
# -race needs cgo; it is on unless RACE= is given.
RACE      ?= -race

.PHONY: all build run deps etcd test bench bench-go bench-relay bench-cluster fuzz soak check clean

all: build

# The commit and time of the build, for `version` (cmd/seg/system.go):
# the Go toolchain stamps the commit itself unless -buildvcs=false.
REVISION  := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
BUILDDATE := $(shell date -u '+%Y-%m-%d %H:%M:%S UTC')

build:
	$(GO) build -ldflags "-X main.buildRevision=$(REVISION) -X 'main.buildDate=$(BUILDDATE)'" -o $(BIN) ./cmd/seg

# Starts the appliance in the foreground on $(DATA). On the first start the
# admin password is $$SEG_ADMIN_PASSWORD, or generated, printed and saved
# in $(DATA)/initial-admin-password.
run: build
	./$(BIN) run --data $(DATA)

# What the tests drive besides Go (swaks, python3, Postfix's smtp-source
# and smtp-sink, the OpenSSH client, gcc for -race): installed with
# apt-get when root (or password-less sudo) on Debian, else one line
# saying what to install. See scripts/deps.sh.
deps:
	@scripts/deps.sh

# The etcd server of the cluster tests: etcd v3.6 built from source by
# tools/etcd, a module of its own (so that seg's module does not carry
# the server's dependencies; ./... in this module does not descend into
# it). Built once into .cache/bin, again only when tools/etcd changes;
# the tests find it through SEG_ETCD (internal/segtest/etcd.go).
ETCD := .cache/bin/etcd
export SEG_ETCD ?= $(CURDIR)/$(ETCD)

etcd: $(ETCD)

$(ETCD): $(wildcard tools/etcd/*.go) tools/etcd/go.mod tools/etcd/go.sum
	@mkdir -p $(dir $@)
	cd tools/etcd && $(GO) build -o $(CURDIR)/$@ .

test: deps etcd
	$(GO) vet ./...
	$(GO) test $(RACE) -timeout 15m ./...

# One table, and bench/results/bench-STAMP.json (bench/table.sh): relay
# end to end for 4 KiB and 100 KiB over 1, 20 and 100 sessions, seg, a
# private Postfix and the no-relay ceiling in alternating rounds, CPU per
# message, peak RSS, acceptance latency, TDC on/off, commit -> effect
# under load, 10,000 idle connections, 1,000,000 queued recipients. REPS,
# QUICK=1 and SKIP pass through. deps installs Postfix's tools.
bench: deps
	bash bench/table.sh

# The Go benchmarks (BenchmarkRelay in mta/mailtest profiles the MTA in
# process).
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Commit -> effect across a cluster of 3 machines on 3 etcd members (p50
# and p99 over 100 commits) and the time a new machine takes to join a
# cluster whose configuration holds 1,000 sender-group members and 1,000
# destconfig entries; the table on stdout and in
# bench/results/cluster-STAMP.txt (bench/cluster).
bench-cluster: etcd
	$(GO) test -count=1 -run '^$$' -bench BenchmarkCluster -benchtime 1x -timeout 30m ./bench/cluster

# The real binary against a private Postfix with every seg variant: TDC
# off and on, sender authentication (SPF, DKIM, DMARC) off and on, DKIM
# signing (bench/relay.sh; RELAYS, MSGS, REPS, SIZE, SESSIONS, PROFILE,
# LATENCY pass through).
bench-relay: deps
	bash bench/relay.sh

# Runs every fuzz target for $(FUZZTIME) (go test fuzzes one target per
# run), and stops at the first failure, naming the target and where go
# test left the input that failed. FUZZFLAGS passes through (for example
# FUZZFLAGS=-parallel=1 on a shared machine).
fuzz:
	@n=0; for line in $$($(GO) list -f '{{.ImportPath}}:{{.Dir}}' ./...); do \
		pkg=$${line%%:*}; dir=$${line#*:}; \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$t"; n=$$((n+1)); \
			if ! $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $(FUZZFLAGS) $$pkg; then \
				echo "make fuzz: FAILED: $$t in $$pkg; the failing input is in $$dir/testdata/fuzz/$$t/ (go test -run '^$$t$$' $$pkg replays it)"; \
				exit 1; \
			fi; \
		done; \
	done; echo "make fuzz: $$n targets ran clean for $(FUZZTIME) each"

# An hour (SOAK_TIME) of mixed traffic against the real `seg run`: relay,
# inbound with TDC, bounces, a flapping destination, a commit a minute;
# RSS, goroutines, open files and queue size every 10 s into
# $(SOAK_OUT).csv and .png, the verdict (flat, drained, nothing lost)
# into $(SOAK_OUT).log. bench/soak/main.go says what it does.
SOAK_TIME ?= 1h
SOAK_OUT  ?= bench/results/soak
soak: build
	$(GO) run ./bench/soak -seg $(BIN) -time $(SOAK_TIME) -out $(SOAK_OUT)

# gofmt, go vet, and staticcheck when it can be fetched.
check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if $(GO) run honnef.co/go/tools/cmd/staticcheck@latest -version >/dev/null 2>&1; then \
		$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...; \
	else echo "staticcheck could not be fetched; skipped"; fi

clean:
	rm -rf bin
