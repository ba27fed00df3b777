/* The fallback capture backend, for machines where eBPF cannot load:
 * libpcap on "any" (TPACKET_V3, the filter expression compiled into the
 * kernel), the owner of each TCP/UDP packet looked up in sock_diag and
 * /proc/PID/fd, process events from the proc connector. It hands the same
 * records as the eBPF backend to the same callback; what it cannot
 * attribute has no owner. Not for callers: capture/ebpf.c dispatches to it. */
#ifndef PIDCAP_PCAPBACK_H
#define PIDCAP_PCAPBACK_H

#include <stdint.h>
#include "capture/capture.h"

struct pc_pcapback;

/* Same contract as pc_capture_open; needs CAP_NET_RAW (capture) and
 * CAP_NET_ADMIN (sock_diag destroy notifications, proc connector). */
int pc_pcapback_open(struct pc_pcapback **out, const struct pc_capture_opts *o,
		     pc_record_fn fn, void *ctx, char *errbuf, size_t errlen);
void pc_pcapback_close(struct pc_pcapback *b);
int pc_pcapback_fd(const struct pc_pcapback *b);
int pc_pcapback_consume(struct pc_pcapback *b);
int pc_pcapback_counters(const struct pc_pcapback *b, uint64_t out[PC_CNT_MAX]);
int pc_pcapback_add_pid(struct pc_pcapback *b, uint32_t pid);
const char *pc_pcapback_method(const struct pc_pcapback *b);

#endif
