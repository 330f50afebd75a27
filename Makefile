# Thin wrapper around the scripts; they are the reference (README: "Cross-compiling").
.PHONY: build dist footprint test test-qemu clean

build:
	go build ./...

# Stripped CGO_ENABLED=0 binaries for every board target into dist/<target>/ (TARGETS="linux-armv7 ..." for some).
dist:
	scripts/build.sh $(TARGETS)

# Binary sizes and idle RSS of the ARMv7 build, as a Markdown table.
footprint:
	scripts/footprint.sh

# The whole suite, as CI runs it.
test:
	scripts/test.sh

# The ARM and MIPS edge-agent under qemu-user.
test-qemu:
	go test -count=1 -run Qemu ./cmd/edge-agent/

clean:
	rm -rf dist
