/* Translates a classic BPF filter (libpcap's output) into an eBPF
 * cgroup_skb program that runs it in the kernel. Not for loading or
 * attaching the result (capture/kfilter.c) nor for compiling expressions
 * (pktfilter.c). */
#ifndef PIDCAP_BPFCONV_H
#define PIDCAP_BPFCONV_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "packet/pktfilter.h"

/* Helper numbers the generated code calls (linux/bpf.h's enum). */
#define PC_BPFCONV_TAIL_CALL 12
#define PC_BPFCONV_SKB_LOAD_BYTES 26

/* Translates the n instructions of prog. The program it makes takes the
 * __sk_buff of a packet that starts at the IP header, runs prog with the
 * classic semantics (A, X, 16 scratch words, big-endian loads, a load
 * past the end rejects the packet, a division by a zero X rejects it)
 * and, when prog accepts the packet, tail-calls slot `slot` of the
 * program array map_fd; it returns 1 (let the packet pass) either way.
 * Returns 0 with *out (free it) and *nout, or -EINVAL / -E2BIG / -ENOMEM
 * with the reason in err (an instruction it cannot translate, a backward
 * jump, a scratch word read before some path writes it, jumps too long for
 * eBPF's 16-bit offsets): the filter then belongs in user space. */
int pc_bpfconv(const struct pc_cbpf_insn *prog, size_t n, int map_fd, uint32_t slot,
	       struct bpf_insn **out, size_t *nout, char *err, size_t errlen);

#endif
