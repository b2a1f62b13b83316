# gatepbx — see README.md. `make run` and `make test` are the two commands.
GO        ?= go
BIN       := bin/gatepbx
DIST      := dist
PKG       := ./firmware/cmd/gatepbx
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/gatepbx/gatepbx/firmware/app.Version=$(VERSION)
GOFLAGS_B := -trimpath -ldflags '$(LDFLAGS)'
CONFIG    ?= data/gatepbx.yaml
# Debian packages the tests drive: SIPp (sip-tester) is the SIP peer,
# espeak-ng the text-to-speech engine, sox an independent audio checker.
TEST_DEBS := sip-tester espeak-ng sox lame baresip-core
TEST_BINS := sipp espeak-ng sox lame baresip

.PHONY: all run build test test-deps unit cross firmware bench bench-relay bench-api bench-sip bench-media bench-dsp clean vet fuzz

all: build

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_B) -o $(BIN) $(PKG)

## run: start the firmware on the simulated board (SIP 5060/udp+tcp, TLS 5061, API 9509, data in ./data)
run: build
	./$(BIN) -config $(CONFIG)

## test: install test peers when missing, run every test with -race, vet, cross-build
test: test-deps vet unit cross

test-deps:
	@missing=""; for b in $(TEST_BINS); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing test peers ($(TEST_DEBS)) for:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(TEST_DEBS); \
	fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

## cross: the arm (GOARM=6, 7) and arm64 builds must compile, tests included
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 $(GO) vet ./...
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) vet ./...

## firmware: stripped static binaries for the boards in dist/
firmware:
	mkdir -p $(DIST)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 $(GO) build $(GOFLAGS_B) -o $(DIST)/gatepbx-linux-armv6 $(PKG)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build $(GOFLAGS_B) -o $(DIST)/gatepbx-linux-armv7 $(PKG)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_B) -o $(DIST)/gatepbx-linux-arm64 $(PKG)
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(GOFLAGS_B) -o $(DIST)/gatepbx-linux-amd64 $(PKG)
	@ls -l $(DIST)

## bench: relay micro-benchmarks, HTTP API throughput, then bounded SIPp REGISTER and call-rate runs through the binary
bench: bench-relay bench-dsp bench-api bench-sip bench-media

bench-relay:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./media/relay/

## bench-api: ListActiveCalls with 100 calls in progress: ns/op and req/s in-process, req/s and p99 over loopback HTTP
bench-api:
	$(GO) test -run '^$$' -bench 'ListActiveCalls' -benchmem -benchtime 2s ./api/

bench-sip: test-deps build
	bash scripts/bench-sip.sh $(BIN)

## bench-dsp: per-20 ms-frame costs: G.711 encode/decode/transcode, DTMF detection and generation, SRTP protect/unprotect, pacer and jitter buffer, CPU per analog port in a call (line engine + DTMF detector + codec, PCM pump)
bench-dsp:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./media/g711/ ./media/dtmf/ ./media/srtp/ ./media/stream/ ./hal/line/ ./hal/pcm/ ./firmware/analog/

## bench-media: RTP relay load (100/250/500/1000 streams, 10 s each) against a bare recvmmsg/sendmmsg forwarder and rtpengine when installed
bench-media:
	bash scripts/bench-media.sh

fuzz:
	bash scripts/fuzz.sh 30s

clean:
	rm -rf bin $(DIST)
