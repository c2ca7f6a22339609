# SyncBit: see README.md. `make` builds build/syncbit; `make test` runs every test.

VERSION = 0.1.0
PKG_CONFIG ?= pkg-config
PKGS = libcurl libcjson libmicrohttpd libprotobuf-c snappy libxml-2.0
CC ?= cc
BUILD ?= build
SAN ?=

CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral \
	-DSYNCBIT_VERSION='"$(VERSION)"' -Iexporter -I$(BUILD)/gen \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
ifneq ($(SAN),)
override CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SAN)
endif

# exporter/ and its folders (README: Architecture).
# Each source's folder below exporter/source/ is picked up by itself.
SRC_DIRS = exporter exporter/config exporter/auth exporter/source \
	$(patsubst %/,%,$(wildcard exporter/source/*/)) exporter/sync \
	exporter/expose exporter/remote
LIB_SRC = $(filter-out exporter/main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_HDR = $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h))
LIB_OBJ = $(LIB_SRC:exporter/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/remote.pb-c.o
GEN_HDR = $(BUILD)/gen/remote.pb-c.h
# The compiler and flags of this build: every object depends on them, so
# `make CC=clang` or other CFLAGS rebuild everything (git's GIT-CFLAGS).
FLAGS_FILE = $(BUILD)/.build-flags
BUILD_FLAGS = $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
TEST_SRC = $(wildcard tests/unit/test_*.c)
TEST_OBJ = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tobj/%.o) $(BUILD)/tobj/main.o \
	$(BUILD)/tobj/helpers.o $(BUILD)/tobj/rwfake.o
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY = $(FUZZ_NAMES:%=$(BUILD)/fuzz_replay/%)
FUZZ_SECONDS ?= 60
# A harness that #includes a module's .c (to reach its static parsers)
# links without that module's object.
FUZZ_OWN_oauth = auth/oauth_token
fuzz_objs = $(filter-out $(FUZZ_OWN_$(1):%=$(BUILD)/obj/%.o),$(LIB_OBJ))

.PHONY: all check test asan tsan valgrind bench fuzz demo deps clean install \
	image image-deps image-test FORCE

all: $(BUILD)/syncbit

# Rewritten only when the flags changed, so its date says when they did.
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(BUILD_FLAGS)' ]; then \
		echo '$(BUILD_FLAGS)' > $@; fi

# One protoc-c run writes both files (a grouped target: parallel jobs
# do not run it twice).
$(BUILD)/gen/remote.pb-c.c $(BUILD)/gen/remote.pb-c.h &: proto/remote.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/remote.proto

$(BUILD)/obj/remote.pb-c.o: $(BUILD)/gen/remote.pb-c.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-error -c -o $@ $<

# -MMD: each object's header dependencies, read back below.
$(BUILD)/obj/%.o: exporter/%.c $(GEN_HDR) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libsyncbit.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/syncbit: $(BUILD)/obj/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gen/suites.h: $(TEST_SRC)
	@mkdir -p $(@D)
	@for f in $(TEST_SRC); do n=$${f##*/test_}; echo "SUITE($${n%.c})"; done > $@.tmp
	@mv $@.tmp $@

$(BUILD)/tobj/%.o: tests/unit/%.c $(GEN_HDR) $(BUILD)/gen/suites.h \
    $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -MMD -MP -c -o $@ $<

$(BUILD)/unit_tests: $(TEST_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# SyncBit with the tests' synthetic source (tests/source/): proves that a
# source built outside exporter/source/ joins through the driver table.
$(BUILD)/syncbit-synthetic: $(BUILD)/obj/main.o $(LIB_OBJ) \
    tests/source/synthetic.c $(LIB_HDR)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/source/synthetic.c \
		$(BUILD)/obj/main.o $(LIB_OBJ) $(LDLIBS)

# Unit tests only: fast, no server started. SUITE=name runs one suite
# (tests/unit/test_name.c).
check: $(BUILD)/unit_tests
	$(BUILD)/unit_tests $(SUITE)

# Unit + integration tests; the last line is "N passed, M failed".
test: $(BUILD)/syncbit $(BUILD)/syncbit-synthetic $(BUILD)/unit_tests \
    $(FUZZ_REPLAY)
	tests/run.sh $(BUILD)

asan:
	$(MAKE) BUILD=build/asan SAN=address,undefined CFLAGS="-O1 -g" test

tsan:
	$(MAKE) BUILD=build/tsan SAN=thread CFLAGS="-O1 -g" test

valgrind: $(BUILD)/unit_tests $(BUILD)/syncbit
	valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		$(BUILD)/unit_tests

# Each fuzz harness with a plain main that replays its corpus and crash
# inputs (tests/fuzz/replay.c): part of `make test`, in any build.
$(BUILD)/fuzz_replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
    tests/fuzz/fuzz.h $(LIB_OBJ) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/fuzz -DFUZZ_TARGET='"$*"' -o $@ \
		$< tests/fuzz/replay.c $(call fuzz_objs,$*) $(LDLIBS)

# The same harnesses under libFuzzer, built with BUILD=build/fuzz (below).
$(BUILD)/fuzzer/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB_OBJ) \
    $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
		$(call fuzz_objs,$*) $(LDLIBS)

# clang libFuzzer with ASan and UBSan: each target for FUZZ_SECONDS, one
# after the other; new crash inputs land in tests/fuzz/crashes/NAME/.
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang SAN=fuzzer-no-link,address,undefined \
		CFLAGS="-O1 -g" $(FUZZ_NAMES:%=build/fuzz/fuzzer/%)
	tests/fuzz/fuzz.sh run build/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

$(BUILD)/bench_rw: tests/bench/bench_rw.c $(BUILD)/libsyncbit.a
	$(CC) $(CFLAGS) -Itests -o $@ $^ $(LDLIBS)

# Numbers, not pass/fail: one table (/metrics vs nginx and python3-prometheus-
# client under wrk, service RSS/CPU, remote-write encoding, backfills), about
# 10 minutes. Installs nothing: a missing peer is an n/a row, and
# `tests/bench/deps.sh` (as root) installs wrk, nginx, python3-prometheus-client.
bench: $(BUILD)/syncbit $(BUILD)/bench_rw
	@tests/bench/deps.sh --check || true
	SYNCBIT_BIN=$(BUILD)/syncbit BUILD=$(BUILD) \
		$$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3) tests/bench/bench.py

# SyncBit against a local fake API and a local VictoriaMetrics (Ctrl-C stops).
demo: $(BUILD)/syncbit
	SYNCBIT_BIN=$(BUILD)/syncbit deploy/demo.sh

# Debian packages for building and testing (run as root; idempotent).
deps:
	tests/deps.sh

# The container image (README: Container image), built with podman from the
# Dockerfile on base images made here (tests/image/base_images.sh);
# `make image-test` runs it against the fakes and VictoriaMetrics, then runs
# docker-compose.yml under podman's Docker API (tests/image/test_stack.py) with
# VictoriaMetrics and vmagent from VM_IMAGE (Debian's package; no registry
# here) and the fake in FAKES_IMAGE. Each step prints its time ("# time:").
# `make image-deps` (as root) installs podman, runc, mmdebstrap and the rest.
IMAGE ?= localhost/syncbit:$(VERSION)
IMAGE_DIR = $(BUILD)/image
VM_IMAGE ?= localhost/syncbit-test-vm:bookworm
FAKES_IMAGE ?= localhost/syncbit-test-fakes:bookworm
TIMED = IMAGE_BUILD=$(IMAGE_DIR) tests/image/timed
PODMAN_BUILD = tests/image/podman build --format docker

image-deps:
	tests/deps.sh --image

image:
	$(TIMED) 'base images' tests/image/base_images.sh $(IMAGE_DIR)
	$(TIMED) 'image build' $(PODMAN_BUILD) --tag $(IMAGE) .

image-test: image
	$(TIMED) 'VictoriaMetrics image build' $(PODMAN_BUILD) --quiet \
		--tag $(VM_IMAGE) tests/image/victoria-metrics
	$(TIMED) 'fakes image build' $(PODMAN_BUILD) --quiet \
		--tag $(FAKES_IMAGE) tests/image/fakes
	IMAGE=$(IMAGE) VM_IMAGE=$(VM_IMAGE) FAKES_IMAGE=$(FAKES_IMAGE) IMAGE_BUILD=$(IMAGE_DIR) \
		$$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3) tests/image/run.py

clean:
	rm -rf build

install: $(BUILD)/syncbit
	install -D -m 0755 $(BUILD)/syncbit $(DESTDIR)/usr/local/bin/syncbit

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d $(TEST_OBJ:.o=.d)
