/* Loads the generated filter program (one per direction) that the capture
 * programs tail-call before anything else, and knows PIDCAP_BPF_REJECT.
 * Not for translating (packet/bpfconv.c) or for the capture programs'
 * own loading (ebpf.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "capture/kfilter.h"
#include "packet/bpfconv.h"

int pc_bpf_rejected_by_env(const char *name)
{
	const char *list = getenv("PIDCAP_BPF_REJECT"), *p;
	size_t n = strlen(name);

	for (p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return 1;
	}
	return 0;
}

#define LOG_SIZE (1 << 20)

int pc_kfilter_load(const struct pc_pktfilter *f, int map_fd, uint32_t slot, int egress,
		    int verbose, char *err, size_t errlen)
{
	const struct pc_cbpf_insn *cbpf;
	struct bpf_insn *insns = NULL;
	char why[256], *log = NULL;
	size_t ncbpf, n;
	int fd;

	pc_pktfilter_cbpf(f, &cbpf, &ncbpf);
	fd = pc_bpfconv(cbpf, ncbpf, map_fd, slot, &insns, &n, why, sizeof(why));
	if (fd) {
		snprintf(err, errlen, "cannot translate the filter: %s", why);
		return fd;
	}
	if (pc_bpf_rejected_by_env(PC_KFILTER_PROG)) {
		snprintf(err, errlen, "the kernel refused the generated program: %s "
			 "(PIDCAP_BPF_REJECT names it)", strerror(EACCES));
		fd = -EACCES;
		goto out;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, opts,
			    .expected_attach_type = egress ? BPF_CGROUP_INET_EGRESS :
							     BPF_CGROUP_INET_INGRESS);

		fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, PC_KFILTER_PROG, "GPL", insns, n,
				   &opts);
		if (fd >= 0)
			goto out;
		fd = -errno;
		/* again with the verifier's log, for -vv */
		if (verbose >= 2 && (log = malloc(LOG_SIZE))) {
			log[0] = 0;
			opts.log_buf = log;
			opts.log_size = LOG_SIZE;
			opts.log_level = 1;
			bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, PC_KFILTER_PROG, "GPL", insns, n,
				      &opts);
			fprintf(stderr, "pidcap: verifier log of %s (%zu instructions):\n%s\n",
				PC_KFILTER_PROG, n, log);
		}
		snprintf(err, errlen, "the kernel refused the generated program: %s%s",
			 strerror(-fd), verbose >= 2 ? "" : " (pidcap -vv shows the verifier's reason)");
	}
out:
	free(log);
	free(insns);
	return fd;
}
