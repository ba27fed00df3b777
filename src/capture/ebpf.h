/* The eBPF backend: loads the programs of bpf/ (the build and hooks that
 * this kernel takes, program by program), attaches them, seeds owners of
 * existing sockets and drains the ring buffer. Used only by the backend
 * switch (backend.c); callers use capture.h. */
#ifndef PIDCAP_CAPTURE_EBPF_H
#define PIDCAP_CAPTURE_EBPF_H

#include "capture/capture.h"

struct pc_ebpf;

/* As pc_capture_open, eBPF only: a negative errno and why in errbuf. */
int pc_ebpf_open(struct pc_ebpf **out, const struct pc_capture_opts *opts, pc_record_fn fn,
		 void *ctx, char *errbuf, size_t errlen);
void pc_ebpf_close(struct pc_ebpf *cap);
int pc_ebpf_fd(const struct pc_ebpf *cap);
int pc_ebpf_consume(struct pc_ebpf *cap);
int pc_ebpf_counters(const struct pc_ebpf *cap, uint64_t out[PC_CNT_MAX]);
int pc_ebpf_add_pid(struct pc_ebpf *cap, uint32_t pid);
int pc_ebpf_flows_fd(const struct pc_ebpf *cap);
int pc_ebpf_flows_fold_fd(const struct pc_ebpf *cap);
const char *pc_ebpf_method(const struct pc_ebpf *cap);
/* As pc_capture_filter_where. */
int pc_ebpf_filter_where(const struct pc_ebpf *cap, const char **where);

#endif
