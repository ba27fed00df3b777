/* The filter expression in the kernel: libpcap's classic BPF, translated
 * (packet/bpfconv.c), loaded as a cgroup_skb program that the capture
 * programs tail-call. Not for the capture programs themselves (ebpf.c). */
#ifndef PIDCAP_CAPTURE_KFILTER_H
#define PIDCAP_CAPTURE_KFILTER_H

#include <stddef.h>
#include <stdint.h>
#include "packet/pktfilter.h"

/* The name under which the generated program loads, and which
 * PIDCAP_BPF_REJECT names to act as if the kernel refused it. */
#define PC_KFILTER_PROG "pc_filter"

/* Loads f for one direction (egress or ingress attach type): on a match the
 * program tail-calls slot `slot` of the program array map_fd. Returns the
 * program's fd, or a negative errno with the reason in err (translation,
 * the verifier's refusal, PIDCAP_BPF_REJECT). verbose >= 2 prints the
 * verifier's log of a refused program on stderr. */
int pc_kfilter_load(const struct pc_pktfilter *f, int map_fd, uint32_t slot, int egress,
		    int verbose, char *err, size_t errlen);

struct bpf_object;

/* Is this one of the capture programs that only the filter's tail call
 * reaches (never attached, loaded only with a filter)? */
int pc_kfilter_is_cont(const char *prog_name);

/* Loads f for both directions into the loaded object's program arrays
 * (kfilter_in, kfilter_out, enum pc_kfilter_slot) with the capture programs
 * behind it. fds[2] get the filter programs (close them after the object).
 * On error nothing is installed (the capture programs then see every
 * packet) and err says why. */
int pc_kfilter_install(struct bpf_object *obj, const struct pc_pktfilter *f, int verbose,
		       int fds[2], char *err, size_t errlen);

/* PIDCAP_BPF_REJECT=NAME[,NAME...] names this program: the loader acts as
 * if the kernel had refused it (tests of the degraded modes). */
int pc_bpf_rejected_by_env(const char *name);

#endif
