# clobvault -- see README.md.  Programs land in $(BUILD)/.
BUILD	?= build
CC	?= cc
PKGS	= libsodium libsecp256k1 msgpack libseccomp jansson libcurl libmicrohttpd

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	   -fPIE $(WARN) -I. -I$(BUILD)/gen $(SANFLAGS)
ifeq ($(CI),true)
CFLAGS	+= -Werror
endif
LDFLAGS	+= -pie -Wl,-z,relro,-z,now $(SANFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	= -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TESTLIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# One static library per folder; a daemon's entry file holds main().
COMMON_SRC	= $(wildcard common/*.c)
POLICY_SRC	= $(wildcard policy/*.c)
VAULTD_SRC	= $(filter-out vaultd/vaultd.c, $(wildcard vaultd/*.c))
SIGNERD_SRC	= $(filter-out signerd/signerd.c, $(wildcard signerd/*.c))
NETD_SRC	= $(filter-out netd/netd.c, $(wildcard netd/*.c))
VAULTCTL_SRC	= $(filter-out vaultctl/vaultctl.c, $(wildcard vaultctl/*.c))
TX_SRC		= $(wildcard tests/testexchange/*.c)
TEST_SRC	= $(wildcard tests/test_*.c)
FUZZ_SRC	= $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC	= $(wildcard tests/bench/bench_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBCOMMON	= $(BUILD)/libcommon.a
LIBPOLICY	= $(BUILD)/libpolicy.a
POLICY_GEN	= $(BUILD)/gen/policy/parse.c
POLICY_HDR	= $(BUILD)/gen/policy/parse.h
LIBVAULTD	= $(BUILD)/libvaultd.a
LIBSIGNERD	= $(BUILD)/libsignerd.a
LIBNETD		= $(BUILD)/libnetd.a
LIBVAULTCTL	= $(BUILD)/libvaultctl.a
DAEMONLIBS	= $(LIBVAULTD) $(LIBSIGNERD) $(LIBNETD) $(LIBVAULTCTL)

PROGS	= $(BUILD)/vaultd $(BUILD)/signerd $(BUILD)/netd $(BUILD)/vaultctl \
	  $(if $(TX_SRC),$(BUILD)/testexchange)
TESTS	= $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
REPLAYS	= $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))
BENCHES	= $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRC))
HOSTILE	= $(BUILD)/tests/hostile_netd

.PHONY: all deps check unit integration san valgrind fuzz demo bench clean
all: $(PROGS) $(TESTS) $(REPLAYS) $(HOSTILE)

deps:
	@scripts/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBPOLICY): $(call obj,$(POLICY_SRC)) $(BUILD)/obj/gen/policy/parse.o
$(LIBVAULTD): $(call obj,$(VAULTD_SRC))
$(LIBSIGNERD): $(call obj,$(SIGNERD_SRC))
$(LIBNETD): $(call obj,$(NETD_SRC))
$(LIBVAULTCTL): $(call obj,$(VAULTCTL_SRC))
$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The policy grammar (policy/parse.y): bison writes a pure parser and
# its header (the tokens, for the lexer policy/policy_lex.c and the
# helpers its actions call).  The generated file is compiled without
# -Wmissing-prototypes-style noise it cannot avoid, and with every other
# warning.
$(POLICY_GEN): policy/parse.y
	@mkdir -p $(dir $@)
	bison -Wall -Werror -o $@ $<
$(POLICY_HDR): $(POLICY_GEN) ;
$(call obj,policy/policy_lex.c policy/policy_build.c \
    policy/policy_build_rule.c): $(POLICY_HDR)
$(BUILD)/obj/gen/policy/parse.o: $(POLICY_GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Wno-missing-prototypes -MMD -MP -c $< -o $@

$(BUILD)/vaultd: $(BUILD)/obj/vaultd/vaultd.o $(LIBVAULTD) $(LIBPOLICY) $(LIBCOMMON)
$(BUILD)/signerd: $(BUILD)/obj/signerd/signerd.o $(LIBSIGNERD) $(LIBCOMMON)
$(BUILD)/netd: $(BUILD)/obj/netd/netd.o $(LIBNETD) $(LIBCOMMON)
$(BUILD)/vaultctl: $(BUILD)/obj/vaultctl/vaultctl.o $(LIBVAULTCTL) $(LIBPOLICY) $(LIBCOMMON)
$(BUILD)/testexchange: $(call obj,$(TX_SRC)) $(LIBCOMMON)
$(PROGS):
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit and integration tests link every folder's library.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(DAEMONLIBS) $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TESTLIBS)

# A stand-in netd that attacks vaultd (tests/test_it_hostile.c runs it
# with vaultd -T -N); built for the tests only, never installed.
$(HOSTILE): $(BUILD)/obj/tests/hostile/hostile_netd.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Each fuzz target is also built with a plain driver that replays its
# corpus, so `make check` runs every saved input without clang.
$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o \
    $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: deps
	$(MAKE) -j2 all
	BUILD=$(BUILD) tests/run-tests

unit: all
	BUILD=$(BUILD) tests/run-tests unit

integration: all
	BUILD=$(BUILD) tests/run-tests integration

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
san: deps
	$(MAKE) -j2 BUILD=build-san SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	BUILD=build-san ASAN_OPTIONS=detect_leaks=1 tests/run-tests

valgrind: all
	BUILD=$(BUILD) VALGRIND=1 tests/run-tests unit

# libFuzzer targets over common/, FUZZTIME seconds each (default 60);
# new inputs land in $(BUILD)/fuzz/NAME.new, to be added to the corpus.
FUZZTIME ?= 60
FUZZFLAGS = -O1 -g -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
	    -I$(BUILD)/gen
fuzz: deps $(POLICY_GEN)
	@mkdir -p $(BUILD)/fuzz
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang $(FUZZFLAGS) $(PKG_CFLAGS) -o $(BUILD)/fuzz/$$n $$f \
	        $(COMMON_SRC) $(POLICY_SRC) $(POLICY_GEN) $(LDLIBS); \
	    mkdir -p $(BUILD)/fuzz/$$n.new; \
	    $(BUILD)/fuzz/$$n -max_total_time=$(FUZZTIME) $(BUILD)/fuzz/$$n.new tests/fuzz/corpus/$$n; \
	done

demo: deps
	$(MAKE) -j2 all
	BUILD=$(BUILD) scripts/demo

# Benchmarks (DESIGN.md section 9): figures, never timed tests.
# bench_path starts the daemons built here, as the integration tests do.
$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBSIGNERD) $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps
	$(MAKE) -j2 $(PROGS) $(BENCHES)
	@for b in $(BENCHES); do CLOBVAULT_BUILD=$(BUILD) $$b || exit 1; done

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
