/* The backend switch behind capture.h: eBPF (ebpf.c), the fallback without
 * it (fallback/backend.c), or eBPF and then the fallback (--backend auto),
 * and every call dispatched to the one in use.
 * Not for either backend's work. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "capture/capture.h"
#include "capture/ebpf.h"
#include "fallback/backend.h"

struct pc_capture {
	struct pc_ebpf *ebpf;     /* exactly one of the two is set */
	struct pc_pcapback *pb;
};

static int wrap(struct pc_capture **out, struct pc_ebpf *ebpf, struct pc_pcapback *pb,
		char *errbuf, size_t errlen)
{
	struct pc_capture *cap = calloc(1, sizeof(*cap));

	if (!cap) {
		pc_ebpf_close(ebpf);
		pc_pcapback_close(pb);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	cap->ebpf = ebpf;
	cap->pb = pb;
	*out = cap;
	return 0;
}

/* The one notice line says why eBPF was not used and what the fallback
 * misses. */
int pc_capture_open(struct pc_capture **out, const struct pc_capture_opts *o,
		    pc_record_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	struct pc_ebpf *ebpf = NULL;
	struct pc_pcapback *pb = NULL;
	char why[1024], line[1536];
	int err;

	*out = NULL;
	if (o->backend != PC_BACKEND_PCAP) {
		err = pc_ebpf_open(&ebpf, o, fn, ctx, errbuf, errlen);
		if (!err)
			return wrap(out, ebpf, NULL, errbuf, errlen);
		if (o->backend == PC_BACKEND_EBPF)
			return err;
		snprintf(why, sizeof(why), "%s", errbuf);
	}
	err = pc_pcapback_open(&pb, o, fn, ctx, errbuf, errlen);
	if (err) {
		if (o->backend != PC_BACKEND_PCAP) {
			snprintf(line, sizeof(line), "eBPF: %s; fallback: %s", why, errbuf);
			snprintf(errbuf, errlen, "%s", line);
		}
		return err;
	}
	if (o->backend != PC_BACKEND_PCAP && o->notice) {
		snprintf(line, sizeof(line),
			 "eBPF not used (%s); falling back to libpcap + sock_diag + /proc "
			 "(--backend pcap): packets of short-lived processes may have no process, "
			 "unbound UDP, raw and ping sockets have none, other network namespaces "
			 "are not captured", why);
		o->notice(o->notice_ctx, line);
	}
	return wrap(out, NULL, pb, errbuf, errlen);
}

void pc_capture_close(struct pc_capture *cap)
{
	if (!cap)
		return;
	pc_ebpf_close(cap->ebpf);
	pc_pcapback_close(cap->pb);
	free(cap);
}

int pc_capture_fd(const struct pc_capture *cap)
{
	return cap->pb ? pc_pcapback_fd(cap->pb) : pc_ebpf_fd(cap->ebpf);
}

int pc_capture_consume(struct pc_capture *cap)
{
	return cap->pb ? pc_pcapback_consume(cap->pb) : pc_ebpf_consume(cap->ebpf);
}

int pc_capture_counters(const struct pc_capture *cap, uint64_t out[PC_CNT_MAX])
{
	return cap->pb ? pc_pcapback_counters(cap->pb, out) : pc_ebpf_counters(cap->ebpf, out);
}

int pc_capture_add_pid(struct pc_capture *cap, uint32_t pid)
{
	return cap->pb ? pc_pcapback_add_pid(cap->pb, pid) : pc_ebpf_add_pid(cap->ebpf, pid);
}

int pc_capture_flows_fd(const struct pc_capture *cap)
{
	/* the fallback has no flows map: its packet records feed flowtab */
	return cap->pb ? -1 : pc_ebpf_flows_fd(cap->ebpf);
}

int pc_capture_flows_fold_fd(const struct pc_capture *cap)
{
	return cap->pb ? -1 : pc_ebpf_flows_fold_fd(cap->ebpf);
}

const char *pc_capture_method(const struct pc_capture *cap)
{
	return cap->pb ? pc_pcapback_method(cap->pb) : pc_ebpf_method(cap->ebpf);
}

int pc_capture_filter_where(const struct pc_capture *cap, const char **where)
{
	if (cap->ebpf)
		return pc_ebpf_filter_where(cap->ebpf, where);
	*where = "filter in the kernel"; /* libpcap's socket filter */
	return 1;
}
