/* Loads the generated filter program (one per direction) that the capture
 * programs tail-call before anything else, and knows PIDCAP_BPF_REJECT.
 * Not for translating (packet/bpfconv.c) or for the capture programs'
 * own loading (ebpf.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "records.h"
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

static const struct {
	const char *map, *cont;
	int egress;
} dirs[2] = {
	{ "kfilter_out", "pc_egress_cont", 1 },
	{ "kfilter_in", "pc_ingress_cont", 0 },
};

int pc_kfilter_is_cont(const char *prog_name)
{
	return !strcmp(prog_name, dirs[0].cont) || !strcmp(prog_name, dirs[1].cont);
}

int pc_kfilter_install(struct bpf_object *obj, const struct pc_pktfilter *f, int verbose,
		       int fds[2], char *err, size_t errlen)
{
	uint32_t filter = PC_KF_FILTER, capture = PC_KF_CAPTURE;
	int map_fd[2] = { -1, -1 }, i, cont_fd, ret = 0;

	fds[0] = fds[1] = -1;
	for (i = 0; i < 2; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, dirs[i].map);
		struct bpf_program *cont = bpf_object__find_program_by_name(obj, dirs[i].cont);

		map_fd[i] = map ? bpf_map__fd(map) : -1;
		cont_fd = cont ? bpf_program__fd(cont) : -1;
		if (map_fd[i] < 0 || cont_fd < 0) {
			ret = -ENOENT;
			snprintf(err, errlen, "the eBPF object has no %s", map_fd[i] < 0 ?
				 dirs[i].map : dirs[i].cont);
			goto fail;
		}
		if (bpf_map_update_elem(map_fd[i], &capture, &cont_fd, BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "cannot put %s into %s: %s", dirs[i].cont,
				 dirs[i].map, strerror(-ret));
			goto fail;
		}
		fds[i] = pc_kfilter_load(f, map_fd[i], PC_KF_CAPTURE, dirs[i].egress, verbose, err,
					 errlen);
		if (fds[i] < 0) {
			ret = fds[i];
			goto fail;
		}
	}
	/* both or neither: the filter slots last */
	for (i = 0; i < 2; i++) {
		if (bpf_map_update_elem(map_fd[i], &filter, &fds[i], BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "cannot put %s into %s: %s", PC_KFILTER_PROG,
				 dirs[i].map, strerror(-ret));
			goto fail;
		}
	}
	return 0;
fail:
	for (i = 0; i < 2; i++) {
		if (map_fd[i] >= 0)
			bpf_map_delete_elem(map_fd[i], &filter);
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	return ret;
}
