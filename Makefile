# pidcap build: kernel programs (bpf/) -> skeleton -> user space (src/) -> tests.
# `make` builds, `make run` installs packages, builds and captures,
# `make check` runs every test. `V=1` shows the commands.

OUT      ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS   ?= -O2 -g
# Flags the code needs, kept apart so that `make CFLAGS=...` cannot drop them.
PC_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -Ibpf -I$(OUT)
PC_LDLIBS := -lbpf -lelf -lz -lpcap -lncurses -lmicrohttpd -lcap -ljansson
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(OUT) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
# The same programs without kfuncs, for kernels before 6.2 (chosen at run time)
BPF_COMPAT_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.compat.bpf.o,$(BPF_SRCS))
# src/ is one directory per stage (docs/ARCHITECTURE.md); objects mirror it
# under $(OUT)/obj/.
SRCS     := $(wildcard src/*/*.c)
HDRS     := $(wildcard src/*/*.h)
LIB_SRCS := $(filter-out src/cmd/main.c,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# Pure parsers and formatters: the code the unit tests and fuzzers link.
# (not the event loops, the curses view and the HTTP server: top, exporter,
# counting)
PURE_SRCS := $(filter-out src/capture/ebpf.c src/cmd/main.c src/cmd/live.c src/cmd/session.c \
	src/cmd/top.c src/cmd/topview.c src/cmd/exporter.c src/cmd/counting.c,$(SRCS))

.PHONY: all deps test-deps run check check-kernels unit e2e fuzz clean bench install
# a recipe that fails (a refused link, an interrupted bpftool) leaves no
# half-written target that the next make would take as up to date
.DELETE_ON_ERROR:

PREFIX   ?= /usr/local
UNITDIR  ?= /etc/systemd/system
# Wireshark's global profiles: its own data directory (Debian's wireshark
# package), not under PREFIX, or Wireshark would not find the profile.
WSPROFILEDIR ?= /usr/share/wireshark/profiles

all: $(OUT)/pidcap

deps:
	$(Q)scripts/install-deps.sh

test-deps:
	$(Q)scripts/install-deps.sh --test

$(OUT)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(OUT)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/records.h bpf/maps.bpf.h $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bpf/%.compat.bpf.o: bpf/%.bpf.c bpf/records.h bpf/maps.bpf.h $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DPC_COMPAT -c $< -o $@

$(OUT)/pidcap.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUT)/pidcap_compat.bpf.o: $(BPF_COMPAT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUT)/pidcap.skel.h: $(OUT)/pidcap.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pidcap_bpf > $@

$(OUT)/pidcap_compat.skel.h: $(OUT)/pidcap_compat.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pidcap_compat_bpf > $@

$(OUT)/obj/%.o: src/%.c $(HDRS) bpf/records.h $(OUT)/pidcap.skel.h $(OUT)/pidcap_compat.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PC_CFLAGS) -c $< -o $@

$(OUT)/pidcap: $(OUT)/obj/cmd/main.o $(LIB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(PC_CFLAGS) $^ -o $@ $(PC_LDLIBS) $(LDLIBS)

run: deps all
	$(OUT)/pidcap $(ARGS)

# Unit tests: the pure sources are compiled once with ASan and UBSan into
# one static library that every test links (only the objects it uses).
SAN_OBJS := $(patsubst src/%.c,$(OUT)/san/obj/%.o,$(PURE_SRCS))
SAN_LIB  := $(OUT)/san/libpidcap_pure.a

$(OUT)/san/obj/%.o: src/%.c $(HDRS) bpf/records.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(PC_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(SAN_LIB): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/tests/test_%: tests/unit/test_%.c $(SAN_LIB) $(HDRS) tests/unit/unit.h tests/unit/pcapng_pkt.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O1 -g $(PC_CFLAGS) $(SAN_FLAGS) -Itests/unit $< $(SAN_LIB) -o $@ $(PC_LDLIBS)

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

# Longer fuzzing of every parser than make check's short run.
FUZZ_SECONDS ?= 300
fuzz:
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(OUT)/fuzz

# The hand-over client of the e2e workload (io_uring, splice after fork);
# liburing linked statically so that the qemu guests need no copy of it.
HANDOVER := $(OUT)/tests/handover
$(HANDOVER): tests/e2e/handover.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@ -l:liburing.a

e2e: all $(HANDOVER)
	$(Q)python3 tests/e2e/run.py --pidcap $(OUT)/pidcap

# The accuracy test on other kernels (tests/kernels/kernels.txt) under qemu;
# images are cached in PIDCAP_KERNEL_CACHE (default /var/cache/pidcap-kernels).
check-kernels: test-deps all $(HANDOVER)
	$(Q)python3 tests/kernels/run.py --pidcap $(OUT)/pidcap --out $(OUT)/kernels

check: test-deps deps
	$(Q)$(MAKE) --no-print-directory all $(HANDOVER)
	$(Q)tests/check.sh $(OUT)

# The binary in PREFIX/sbin, its man page in PREFIX/share/man/man8 and the
# exporter's systemd unit (ExecStart follows PREFIX), the Wireshark profile in
# WSPROFILEDIR. DESTDIR stages them for
# packaging.
install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/sbin/pidcap)
	$(Q)install -D -m 0755 $(OUT)/pidcap $(DESTDIR)$(PREFIX)/sbin/pidcap
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX)/share/man/man8/pidcap.8)
	$(Q)install -D -m 0644 docs/pidcap.8 $(DESTDIR)$(PREFIX)/share/man/man8/pidcap.8
	$(call msg,INSTALL,$(DESTDIR)$(UNITDIR)/pidcap-exporter.service)
	$(Q)mkdir -p $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|/usr/local/sbin/pidcap|$(PREFIX)/sbin/pidcap|' dist/pidcap-exporter.service \
		> $(DESTDIR)$(UNITDIR)/pidcap-exporter.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/pidcap-exporter.service
	$(call msg,INSTALL,$(DESTDIR)$(WSPROFILEDIR)/pidcap/)
	$(Q)install -D -m 0644 -t $(DESTDIR)$(WSPROFILEDIR)/pidcap \
		dist/wireshark/profiles/pidcap/preferences dist/wireshark/profiles/pidcap/recent

# Benchmark against tcpdump, nethogs and ss: about 13 minutes, as root, not
# part of check (bench/README.md). Writes bench/results/DATE.md; BENCH_ARGS
# passes options to bench/run.py.
$(OUT)/bench/%: bench/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror $< -o $@

bench: all $(OUT)/bench/udpflood $(OUT)/bench/connstorm $(OUT)/bench/syscalls
	$(Q)scripts/install-deps.sh --bench
	$(Q)python3 bench/run.py --pidcap $(OUT)/pidcap --bindir $(OUT)/bench $(BENCH_ARGS)

clean:
	$(Q)rm -rf $(OUT)
