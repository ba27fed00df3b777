/* Offline mode (-r): capture file -> the filters of live capture (-i, -Q,
 * pcap expression, --pid, --comm, --uid, --cgroup, -c) -> the live printer.
 * Process filters match the owner or the peer, as in the kernel.
 * Not for file parsing or line formatting. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pcapfile/capfile_read.h"
#include "cmd/offline.h"
#include "packet/pktfilter.h"
#include "cmd/print.h"
#include "proc/cgroups.h"
#include "proc/container.h"

struct offline {
	const struct pc_options *opt;
	struct pc_pktfilter *filter;
	struct pc_printer pr;
	struct pc_capfile_stats st;
	uint64_t printed;
	int said_no_info, flush_each;
};

static int iface_ok(const struct pc_options *o, const char *ifname)
{
	size_t i;

	if (!o->nifaces)
		return 1;
	for (i = 0; i < o->nifaces; i++)
		if (!strcmp(o->ifaces[i], "any") || !strncmp(o->ifaces[i], ifname, PC_IFNAME_LEN))
			return 1;
	return 0;
}

static int who_ok(const struct pc_options *o, const struct pc_meta_who *w)
{
	size_t i;
	int ok = 0;

	if (!w->known || !w->pid)
		return 0;
	if (o->npids) {
		for (i = 0; i < o->npids && !ok; i++)
			ok = o->pids[i] == w->pid;
		if (!ok)
			return 0;
	}
	if (o->comm && strcmp(o->comm, w->comm))
		return 0;
	if (o->uid_set && (!w->has_uid || w->uid != o->uid))
		return 0;
	if (o->cgroup && (!w->has_cgroup || !pc_cgroup_under(w->cgroup, o->cgroup)))
		return 0;
	/* the recorded keys: a name, or a prefix of the id */
	if ((o->container || o->pod) &&
	    (!w->has_container || pc_container_wanted(&w->ct, o->pod ? o->pod : o->container,
						      !!o->pod) <= 0))
		return 0;
	return 1;
}

static int on_packet(void *ctx, const struct pc_capfile_pkt *p)
{
	struct offline *off = ctx;
	const struct pc_options *o = off->opt;
	unsigned int flags = 0;

	if (!iface_ok(o, p->rec->ifname))
		return 0;
	if (!(o->want_in && o->want_out) &&
	    (!p->dir_known || (p->rec->dir == PC_DIR_OUT ? !o->want_out : !o->want_in)))
		return 0;
	if (!pc_pktfilter_match(off->filter, p->ip, p->rec->caplen, p->rec->len))
		return 0;
	if ((o->npids || o->comm || o->uid_set || o->cgroup || o->container || o->pod) &&
	    !(p->meta && (who_ok(o, &p->meta->owner) || who_ok(o, &p->meta->peer))))
		return 0;
	if (!p->meta && !off->st.pidcap_section) {
		flags |= PC_FMT_NO_PROCESS;
		if (!off->said_no_info) {
			fflush(stdout);
			fprintf(stderr, "pidcap: %s: (no process information in this file)\n",
				o->read_file);
			off->said_no_info = 1;
		}
	}
	if (!p->dir_known)
		flags |= PC_FMT_NO_DIR;
	pc_print_packet_meta(&off->pr, p->rec, p->meta, flags);
	if (off->flush_each)
		fflush(stdout);
	off->printed++;
	return o->count && off->printed >= (uint64_t)o->count;
}

int pc_offline_run(const struct pc_options *opt)
{
	struct offline off = { .opt = opt };
	const char *name = opt->read_file;
	char err[1024];
	FILE *f;
	int ret, status = 1;

	if (opt->filter && pc_pktfilter_new(&off.filter, opt->filter, 262144, err, sizeof(err))) {
		fprintf(stderr, "pidcap: %s\n", err);
		return 1;
	}
	if (!strcmp(name, "-")) {
		f = stdin;
		off.flush_each = 1; /* a live pipe: `pidcap -w - | pidcap -r -` */
	} else {
		f = fopen(name, "rb");
		if (!f) {
			fprintf(stderr, "pidcap: cannot open %s: %s\n", name, strerror(errno));
			goto out;
		}
	}
	off.pr.out = stdout;
	if (opt->linebuf)
		off.flush_each = 1; /* -l: each line as it is printed */
	off.pr.json = opt->json;
	off.pr.verbose = opt->verbose;
	off.pr.quiet = opt->quiet;
	off.pr.link = opt->link;
	off.pr.tstamp = opt->tstamp;
	off.pr.nano = opt->nano;
	off.pr.hex = opt->hex;
	off.pr.hexascii = opt->hexascii;
	off.pr.ascii = opt->ascii;
	off.pr.number = opt->number;
	fprintf(stderr, "pidcap: reading from file %s\n", name);
	ret = pc_capfile_read(f, on_packet, &off, &off.st, err, sizeof(err));
	fflush(stdout);
	if (ret < 0) {
		fprintf(stderr, "pidcap: %s: %s\n", name, err);
	} else {
		if (ret == PC_CAPFILE_TRUNCATED)
			fprintf(stderr, "pidcap: %s: warning: %s\n", name, err);
		status = 0;
	}
	if (off.st.skipped)
		fprintf(stderr, "pidcap: %s: %llu packets skipped: not IP, or a link type pidcap does not decode\n",
			name, (unsigned long long)off.st.skipped);
	if (f != stdin)
		fclose(f);
out:
	pc_pktfilter_free(off.filter);
	return status;
}
