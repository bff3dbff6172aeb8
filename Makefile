# clobvault -- see README.md.  Programs land in $(BUILD)/.
#
# For a packager: CFLAGS, CPPFLAGS and LDFLAGS are yours (default
# CFLAGS -O2 -g); the flags clobvault needs are in CV_CFLAGS, CV_CPPFLAGS
# and CV_LDFLAGS and are always added.  `make test` builds and runs the
# tests (no network, installs nothing); `make install` takes PREFIX,
# DESTDIR and the directories below.
BUILD	?= build
CC	?= cc
INSTALL	?= install
VERSION	:= $(shell sed -n 's/^\#define CLOBVAULT_VERSION[^"]*"\([^"]*\)".*/\1/p' common/version.h)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system

# The libraries, per program: each links only what it uses.
PKGS_VAULTD	= libsodium msgpack jansson
PKGS_SIGNERD	= libsodium nettle libsecp256k1 msgpack libseccomp jansson
PKGS_NETD	= libsodium msgpack libseccomp jansson libcurl libmicrohttpd \
		  libssl libcrypto
PKGS_VAULTCTL	= libsodium msgpack jansson libcurl
PKGS_TX		= libsodium nettle libsecp256k1 jansson libmicrohttpd
PKGS		= libsodium nettle libsecp256k1 msgpack libseccomp jansson libcurl \
		  libmicrohttpd libssl libcrypto
pkglibs	= -Wl,--as-needed $(shell pkg-config --libs $(1) 2>/dev/null)

WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wno-unused-parameter
CFLAGS	?= -O2 -g
CV_CPPFLAGS = -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -I. -I$(BUILD)/gen
CV_CFLAGS = -std=c11 -fstack-protector-strong -fPIE $(WARN) $(SANFLAGS)
ifeq ($(CI),true)
CV_CFLAGS += -Werror
endif
CV_LDFLAGS = -pie -Wl,-z,relro,-z,now $(SANFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
COMPILE	= $(CC) $(CV_CPPFLAGS) $(CPPFLAGS) $(CV_CFLAGS) $(CFLAGS) $(PKG_CFLAGS)
LINK	= $(CC) $(CV_CFLAGS) $(CFLAGS) $(CV_LDFLAGS) $(LDFLAGS)
LDLIBS	= $(call pkglibs,$(PKGS))
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

INSTALLED = $(BUILD)/vaultd $(BUILD)/signerd $(BUILD)/netd $(BUILD)/vaultctl
PROGS	= $(INSTALLED) $(if $(TX_SRC),$(BUILD)/testexchange)
TESTS	= $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
REPLAYS	= $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))
BENCHES	= $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRC))
HOSTILE	= $(BUILD)/tests/hostile_netd

# Objects that only pattern rules name would be intermediate, deleted
# after each build and so rebuilt by the next: keep them all.
.SECONDARY:

.PHONY: all programs deps check test unit integration san valgrind fuzz \
	demo bench soak clean install deb FORCE
all: $(PROGS) $(TESTS) $(REPLAYS) $(HOSTILE)
programs: $(INSTALLED)

deps:
	@scripts/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(COMPILE) -MMD -MP -c $< -o $@

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBPOLICY): $(call obj,$(POLICY_SRC)) $(BUILD)/obj/gen/policy/parse.o
$(LIBVAULTD): $(call obj,$(VAULTD_SRC)) $(BUILD)/obj/gen/vaultd/conf.o
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
# The configuration grammar (vaultd/conf.y, vaultd.conf(5)): a pure
# parser with its lexer in the same file, so no header to share.
$(BUILD)/gen/vaultd/conf.c: vaultd/conf.y
	@mkdir -p $(dir $@)
	bison -Wall -Werror -o $@ $<
$(BUILD)/obj/gen/vaultd/conf.o: $(BUILD)/gen/vaultd/conf.c
	@mkdir -p $(dir $@)
	$(COMPILE) -Wno-missing-prototypes -MMD -MP -c $< -o $@
$(BUILD)/obj/gen/policy/parse.o: $(POLICY_GEN)
	@mkdir -p $(dir $@)
	$(COMPILE) -Wno-missing-prototypes -MMD -MP -c $< -o $@

# The install layout compiled into vaultd (vaultd(8), FILES): where it
# runs signerd and netd from, and its configuration file.  vaultd's
# objects are rebuilt when SBINDIR, LIBEXECDIR or SYSCONFDIR change
# ($(BUILD)/gen/paths is rewritten only then), so `make install` with
# other directories than the last build's installs a vaultd that agrees.
PATHS_DEF = -DCLOBVAULT_SBINDIR='"$(SBINDIR)"' \
	    -DCLOBVAULT_LIBEXECDIR='"$(LIBEXECDIR)"' \
	    -DCLOBVAULT_SYSCONFDIR='"$(SYSCONFDIR)"'
$(BUILD)/gen/paths: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SBINDIR) $(LIBEXECDIR) $(SYSCONFDIR)' | cmp -s - $@ 2>/dev/null || \
	    echo '$(SBINDIR) $(LIBEXECDIR) $(SYSCONFDIR)' > $@
$(call obj,$(wildcard vaultd/*.c)) $(BUILD)/obj/gen/vaultd/conf.o: $(BUILD)/gen/paths
$(BUILD)/obj/vaultd/%.o $(BUILD)/obj/gen/vaultd/%.o: CV_CPPFLAGS += $(PATHS_DEF)

$(BUILD)/vaultd: $(BUILD)/obj/vaultd/vaultd.o $(LIBVAULTD) $(LIBPOLICY) $(LIBCOMMON)
	$(LINK) -o $@ $^ $(call pkglibs,$(PKGS_VAULTD))
$(BUILD)/signerd: $(BUILD)/obj/signerd/signerd.o $(LIBSIGNERD) $(LIBCOMMON)
	$(LINK) -o $@ $^ $(call pkglibs,$(PKGS_SIGNERD))
# netd keeps GnuTLS, which it loads only as a dependency of libcurl and
# libmicrohttpd, from initialising (netd/netd.c): the libraries must see
# netd's definitions.
NETD_LDFLAGS = -Wl,--export-dynamic-symbol=_gnutls_global_init_skip \
	       -Wl,--export-dynamic-symbol=gnutls_global_init \
	       -Wl,--export-dynamic-symbol=gnutls_global_deinit
$(BUILD)/netd: $(BUILD)/obj/netd/netd.o $(LIBNETD) $(LIBCOMMON)
	$(LINK) $(NETD_LDFLAGS) -o $@ $^ $(call pkglibs,$(PKGS_NETD))
$(BUILD)/vaultctl: $(BUILD)/obj/vaultctl/vaultctl.o $(LIBVAULTCTL) $(LIBPOLICY) $(LIBCOMMON)
	$(LINK) -o $@ $^ $(call pkglibs,$(PKGS_VAULTCTL))
$(BUILD)/testexchange: $(call obj,$(TX_SRC)) $(LIBCOMMON)
	$(LINK) -o $@ $^ $(call pkglibs,$(PKGS_TX))

# Unit and integration tests link every folder's library.
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(DAEMONLIBS) $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS) $(TESTLIBS)

# A stand-in netd that attacks vaultd (tests/test_it_hostile.c runs it
# with vaultd -T -N); built for the tests only, never installed.
$(HOSTILE): $(BUILD)/obj/tests/hostile/hostile_netd.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS)

# Each fuzz target is also built with a plain driver that replays its
# corpus, so `make check` runs every saved input without clang.
$(BUILD)/tests/replay_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o \
    $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS)
# netd's and signerd's targets link their folder's library.
$(BUILD)/tests/replay_fuzz_netd_%: $(BUILD)/obj/tests/fuzz/fuzz_netd_%.o \
    $(BUILD)/obj/tests/fuzz/replay.o $(LIBNETD) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/replay_fuzz_signerd_%: \
    $(BUILD)/obj/tests/fuzz/fuzz_signerd_%.o \
    $(BUILD)/obj/tests/fuzz/replay.o $(LIBSIGNERD) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS)
# The configuration file's parser is vaultd's.
$(BUILD)/tests/replay_fuzz_conf_parse: $(BUILD)/obj/tests/fuzz/fuzz_conf_parse.o \
    $(BUILD)/obj/tests/fuzz/replay.o $(LIBVAULTD) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS)

# check: what a fresh machine needs (scripts/install-deps), then every
# test set.  test: the same build and the tests that need no network
# and install nothing, for packagers (dh_auto_test runs it).
check: deps
	$(MAKE) -j2 all
	BUILD=$(BUILD) tests/run-tests

test: all
	BUILD=$(BUILD) tests/run-tests unit integration replay

unit: all
	BUILD=$(BUILD) tests/run-tests unit

integration: all
	BUILD=$(BUILD) tests/run-tests integration

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
san: deps
	$(MAKE) -j2 BUILD=build-san SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" all
	BUILD=build-san ASAN_OPTIONS=detect_leaks=1 tests/run-tests unit integration replay interop

valgrind: all
	BUILD=$(BUILD) VALGRIND=1 tests/run-tests unit

# libFuzzer targets over common/, policy/, vaultd.conf's parser,
# netd's reading of what the exchange and bots send (fuzz_netd_*) and
# signerd's gate and signatures (fuzz_signerd_*; fuzz_netd_gw and
# fuzz_netd_call include the files of the gateway and of the calls
# themselves, for their callbacks), FUZZTIME seconds each (default 60);
# new inputs land in $(BUILD)/fuzz/NAME.new, to be added to the corpus.
FUZZTIME ?= 60
FUZZFLAGS = -O1 -g -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -I. \
	    -I$(BUILD)/gen
CONF_SRC = vaultd/vaultd_conf.c $(BUILD)/gen/vaultd/conf.c
FUZZ_NETD_SRC = netd/netd_parse.c netd/netd_negrisk.c netd/netd_mem.c
FUZZ_SIGNERD_SRC = signerd/signerd_sign.c signerd/signerd_bearer.c
fuzz: deps $(POLICY_GEN) $(BUILD)/gen/vaultd/conf.c
	@mkdir -p $(BUILD)/fuzz
	@set -e; for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang $(FUZZFLAGS) $(PKG_CFLAGS) -o $(BUILD)/fuzz/$$n $$f \
	        $(COMMON_SRC) $(POLICY_SRC) $(POLICY_GEN) \
	        $$([ $$n = fuzz_conf_parse ] && echo $(CONF_SRC)) \
	        $$(case $$n in fuzz_netd_*) echo $(FUZZ_NETD_SRC);; \
	        fuzz_signerd_*) echo $(FUZZ_SIGNERD_SRC);; esac) \
	        $(LDLIBS); \
	    mkdir -p $(BUILD)/fuzz/$$n.new; \
	    $(BUILD)/fuzz/$$n -max_total_time=$(FUZZTIME) $(BUILD)/fuzz/$$n.new tests/fuzz/corpus/$$n; \
	done

demo: deps
	$(MAKE) -j2 all
	BUILD=$(BUILD) scripts/demo

# Benchmarks: figures, never timed tests.
# bench_path starts the daemons built here, as the integration tests do.
# `make bench QUICK=1`: every benchmark's --quick, short windows.
# bench_gateway runs twice: against the local test exchange, and against
# the same exchange answering 20 ms late (--latency 20), as one across a
# network does: the gateway's cost beside a round trip bots pay anyway.
# bench_path runs three times: as it is, with everything on one core
# (--one-core: each wake-up on the core that is running), and (as root)
# with vaultd's --cpu-latency 0: idle cores polling instead of halting;
# and, as root, bench_gateway 20 ms late a third time with it.
$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBVAULTD) $(LIBSIGNERD) $(LIBPOLICY) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(LINK) -o $@ $^ $(LDLIBS) -pthread

# A long, randomized run of the rotation crash test (tests/test_it_rotate.c):
# SOAK_ROUNDS rotations, each stopped and killed at random, then resumed.
SOAK_ROUNDS ?= 40
soak: deps
	$(MAKE) -j2 $(PROGS) $(BUILD)/tests/test_it_rotate
	ROTATE_SOAK=$(SOAK_ROUNDS) CLOBVAULT_BUILD=$(BUILD) \
	    $(BUILD)/tests/test_it_rotate

bench: deps
	$(MAKE) -j2 $(PROGS) $(BENCHES)
	@for b in $(BENCHES); do \
	    CLOBVAULT_BUILD=$(BUILD) $$b $(if $(QUICK),--quick) || exit 1; done
	@CLOBVAULT_BUILD=$(BUILD) $(BUILD)/tests/bench/bench_path \
	    $(if $(QUICK),--quick) --one-core
	@if [ "$$(id -u)" = 0 ]; then CLOBVAULT_BUILD=$(BUILD) \
	    $(BUILD)/tests/bench/bench_path $(if $(QUICK),--quick) \
	    --cpu-latency; else echo "bench_path --cpu-latency: skipped: it" \
	    "needs root (/dev/cpu_dma_latency)"; fi
	@CLOBVAULT_BUILD=$(BUILD) $(BUILD)/tests/bench/bench_gateway \
	    $(if $(QUICK),--quick) --latency 20 --soak 5
	@if [ "$$(id -u)" = 0 ]; then CLOBVAULT_BUILD=$(BUILD) \
	    $(BUILD)/tests/bench/bench_gateway $(if $(QUICK),--quick) \
	    --latency 20 --soak 5 --cpu-latency; else echo "bench_gateway" \
	    "--cpu-latency: skipped: it needs root (/dev/cpu_dma_latency)"; fi
	@CLOBVAULT_BUILD=$(BUILD) tests/bench/bench_calls.sh $(if $(QUICK),--quick)
	@CLOBVAULT_BUILD=$(BUILD) tests/bench/bench_mem.sh

# Installation (README.md, "Deploying"): vaultd in SBINDIR, vaultctl in
# BINDIR, the children in LIBEXECDIR/clobvault, where vaultd runs them,
# vaultctl's bash completion where bash-completion looks under DATADIR.
# The children are 0711: a vaultd that is not root runs them but cannot
# read them, so the kernel makes them not dumpable from their execve
# (ARCHITECTURE.md, "Supervision").
# Man pages and the configuration example are installed when present.
MAN1	= $(wildcard doc/vaultctl.1)
MAN5	= $(wildcard doc/clobvault-policy.5 doc/vaultd.conf.5)
MAN8	= $(wildcard doc/vaultd.8)
CONF_EXAMPLE = $(wildcard dist/vaultd.conf.example)
install: $(INSTALLED)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR)/clobvault $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BUILD)/vaultd $(DESTDIR)$(SBINDIR)/vaultd
	$(INSTALL) -m 0755 $(BUILD)/vaultctl $(DESTDIR)$(BINDIR)/vaultctl
	$(INSTALL) -m 0711 $(BUILD)/signerd $(BUILD)/netd \
	    $(DESTDIR)$(LIBEXECDIR)/clobvault
	sed 's|/usr/sbin/vaultd|$(SBINDIR)/vaultd|; s|/etc/clobvault|$(SYSCONFDIR)/clobvault|' \
	    dist/vaultd.service > $(BUILD)/vaultd.service
	$(INSTALL) -m 0644 $(BUILD)/vaultd.service $(DESTDIR)$(UNITDIR)/vaultd.service
	sed 's|/usr/bin/vaultctl|$(BINDIR)/vaultctl|' \
	    dist/clobvault-rotate.service > $(BUILD)/clobvault-rotate.service
	$(INSTALL) -m 0644 $(BUILD)/clobvault-rotate.service \
	    dist/clobvault-rotate.timer $(DESTDIR)$(UNITDIR)
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/bash-completion/completions
	$(INSTALL) -m 0644 dist/clobvault.bash-completion \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions/vaultctl
	$(if $(MAN1),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 && \
	    $(INSTALL) -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN5),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man5 && \
	    $(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN8),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8 && \
	    $(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8)
	$(if $(CONF_EXAMPLE),$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/clobvault && \
	    $(INSTALL) -m 0644 $(CONF_EXAMPLE) $(DESTDIR)$(SYSCONFDIR)/clobvault)

# The Debian package, built with dpkg-buildpackage in a copy of the tree
# under $(BUILD)/deb (the source's debian/ stays clean); the package
# lands in $(BUILD)/deb/clobvault_$(VERSION)_amd64.deb.  Its tests are
# `make check`'s, so they are skipped here unless DEB_BUILD_OPTIONS says
# otherwise.  scripts/install-deps --deb installs the tools.
DEB_BUILD_OPTIONS ?= nocheck
deb:
	@scripts/install-deps --deb
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	tar -cf - --exclude=./.git --exclude='./build*' --exclude=./$(BUILD) \
	    --exclude=./tests/interop/node_modules . | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
	    dpkg-buildpackage -b -us -uc
	@ls $(BUILD)/deb/*.deb

clean:
	rm -rf -- '$(or $(BUILD),build)' build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
