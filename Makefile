# SPDX-License-Identifier: MIT
#
# The front door. CMake does the building underneath; every target here
# first makes sure the Debian packages it needs are installed.

JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
REL       := build/release
ASAN      := build/asan
GCCW      := build/gcc-werror
FUZZB     := build/fuzz
T         ?= json
SECS      ?= 60

.PHONY: all help build check check-gcc demo bench fuzz fmt fmt-check lint \
        golden clean deps deps-test

all: build

help:
	@echo "roost - collect, keep, process and show a social-media stream"
	@echo
	@echo "  make demo        build, then run the main job (see README)"
	@echo "  make check       all tests under ASan+UBSan with -Werror"
	@echo "  make build       optimized build in $(REL)/ (the roost binary)"
	@echo "  make check-gcc   gcc -Werror build of everything"
	@echo "  make bench       benchmarks (bench/), prints figures"
	@echo "  make fuzz T=json SECS=60   run one libFuzzer target"
	@echo "  make golden      rewrite golden files (review the diff)"
	@echo "  make fmt | fmt-check | lint"
	@echo "  make deps        install missing Debian packages"
	@echo "  make clean"

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh all

build: deps
	@cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release -DROOST_WERROR=ON \
	    >/dev/null
	@cmake --build $(REL) -j $(JOBS)

check-gcc: deps
	@cmake -S . -B $(GCCW) -DCMAKE_C_COMPILER=gcc -DROOST_WERROR=ON \
	    -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(GCCW) -j $(JOBS)

# The hot parse functions are built twice by gcc (ROOST_HOT_CLONES, for
# AVX-512 and the baseline); clang's sanitizer build has one copy, so the
# parse tests also run on the optimized gcc build, on this CPU's clone.
PARSE_TESTS := json json_fields frame entities tokenize fmt_x1 fmt_x2 \
               fmt_jetstream fmt_mastodon fmt_github

check: deps-test check-gcc build
	@CC=clang cmake -S . -B $(ASAN) -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_BUILD_TYPE=Debug -DROOST_SANITIZE=ON -DROOST_WERROR=ON \
	    >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)
	@scripts/checksrc.sh
	@for t in $(PARSE_TESTS); do \
	    $(REL)/tests/test_$$t >$(REL)/test_$$t.log 2>&1 || \
	        { cat $(REL)/test_$$t.log; echo "FAIL test_$$t (optimized build)"; \
	          exit 1; }; \
	done; echo "parse tests on the optimized build: ok"
	@scripts/run-tests.sh $(ASAN)

demo: build
	@scripts/demo.sh $(REL)/roost

bench: build
	@bench/run-normalize.sh $(REL)

fuzz: deps-test
	@cmake -S . -B $(FUZZB) -DCMAKE_C_COMPILER=clang -DROOST_FUZZ=ON \
	    -DROOST_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZB) -j $(JOBS) --target fuzz_$(T)
	@mkdir -p $(FUZZB)/corpus-$(T)
	$(FUZZB)/fuzz/fuzz_$(T) -max_total_time=$(SECS) \
	    $(FUZZB)/corpus-$(T) tests/fuzz/corpus/$(T)

golden: build
	@ROOST_GOLDEN_UPDATE=1 scripts/run-tests.sh $(REL) >/dev/null || true
	@git status --short tests/data

fmt:
	@clang-format -i $$(git ls-files '*.c' '*.h')

fmt-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

lint:
	@scripts/checksrc.sh

clean:
	rm -rf build
