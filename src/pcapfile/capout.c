/* Capture files for -w: rotation by size (-C, ring of -W files) and time
 * (-G, strftime names), one pcapng writer carried across files so interface
 * ids stay the same, and each packet's processes: process block indexes,
 * pid/tid and the comment. Not for the block layout (pcapng_write.c) or
 * the event loop (cmd/live.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "pcapfile/capout.h"
#include "pcapfile/pcapng_write.h"
#include "proc/owner_desc.h"
#include "proc/procinfo.h"

#define COMMENT_SLOTS 16 /* direct-mapped by owner, peer and flags */

struct pc_capout {
	struct pc_capout_opts o;
	char *pattern;
	int use_strftime;
	FILE *f;
	int is_stdout;
	char name[PATH_MAX];
	struct pc_pcapng_w *w;
	uint64_t interval_start;  /* seconds, -G */
	uint32_t files;           /* files opened so far */
	uint32_t in_interval;     /* files opened in the current -G interval */
	uint64_t flushed;         /* bytes of the current file known on disk */
	int failed;               /* a write failed: the file was cut, no more */
	struct pc_meta meta;
	char comment[PC_META_COMMENT_MAX];
	struct comment_slot {     /* recent comments and what they were made from */
		struct pc_owner owner, peer;
		uint16_t flags, segs;
		char *text;       /* NULL: empty slot */
		int len;          /* -1: no comment */
	} comments[COMMENT_SLOTS];
};

int pc_capout_name(char *buf, size_t len, const char *pattern, int use_strftime, time_t t,
		   uint32_t n, uint32_t ring)
{
	char base[PATH_MAX];
	int digits = 0, w;
	uint32_t x;
	struct tm tm;

	if (use_strftime) {
		localtime_r(&t, &tm);
		if (!strftime(base, sizeof(base), pattern, &tm))
			return -EINVAL;
	} else if ((size_t)snprintf(base, sizeof(base), "%s", pattern) >= sizeof(base)) {
		return -ENAMETOOLONG;
	}
	for (x = ring ? ring - 1 : 0; x; x /= 10)
		digits++;
	if (ring)
		n %= ring;
	if (!n && !digits)
		w = snprintf(buf, len, "%s", base);
	else
		w = snprintf(buf, len, "%s%0*u", base, digits, n);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

static void fill_who(struct pc_meta_who *w, const struct pc_owner *ow, int valid,
		     struct pc_procs *procs, uint64_t now_ns)
{
	/* the same lookups, in the same order, as the live printer's */
	static struct pc_owner_desc d;

	pc_owner_describe(procs, ow, valid, now_ns, PC_DESC_ALL, &d);
	w->known = d.known;
	w->has_uid = w->has_exe = w->has_cmdline = w->has_user = w->has_cgroup = 0;
	w->has_container = 0;
	if (!d.known)
		return;
	w->pid = d.pid;
	w->tid = d.tid;
	w->uid = d.uid;
	w->has_uid = 1;
	memcpy(w->comm, d.comm, sizeof(w->comm));
	if (d.have_exe)
		w->has_exe = snprintf(w->exe, sizeof(w->exe), "%s", d.exe) >= 0;
	if (d.have_cmdline)
		w->has_cmdline = snprintf(w->cmdline, sizeof(w->cmdline), "%s", d.cmdline) >= 0;
	if (d.have_cgroup)
		w->has_cgroup = snprintf(w->cgroup, sizeof(w->cgroup), "%s", d.cgroup) >= 0;
	if (d.have_user)
		w->has_user = snprintf(w->user, sizeof(w->user), "%s", d.user) >= 0;
	if (d.have_container) {
		w->has_container = 1;
		w->ct = d.ct;
	}
}

void pc_meta_from_procs(struct pc_meta *m, const struct pc_packet *rec, struct pc_procs *procs,
			uint64_t now_ns)
{
	fill_who(&m->owner, &rec->owner, rec->flags & PC_PKT_OWNER, procs, now_ns);
	fill_who(&m->peer, &rec->peer, rec->flags & PC_PKT_PEER, procs, now_ns);
	m->segs = rec->gso_segs;
	m->listener = !!(rec->flags & (PC_PKT_OWNER_LISTENER | PC_PKT_PEER_LISTENER));
}

/* Opens the next file (c->files is its number) and starts its section. */
static int next_file(struct pc_capout *c, uint64_t now_s, char *err, size_t errlen)
{
	uint32_t ring = c->o.rotate_bytes ? c->o.ring_files : 0;
	uint32_t n = c->use_strftime ? c->in_interval : c->files;
	FILE *f;
	int ret;

	ret = pc_capout_name(c->name, sizeof(c->name), c->pattern, c->use_strftime, (time_t)now_s,
			     n, ring);
	if (ret) {
		snprintf(err, errlen, "cannot name the capture file from '%s': %s", c->pattern,
			 ret == -EINVAL ? "strftime gave an empty name" : strerror(-ret));
		return ret;
	}
	f = fopen(c->name, "wb");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", c->name, strerror(errno));
		return ret;
	}
	if (c->f && fclose(c->f)) {
		ret = -errno;
		fclose(f);
		c->f = NULL;
		snprintf(err, errlen, "cannot close the previous capture file: %s", strerror(-ret));
		return ret;
	}
	c->f = f;
	c->flushed = 0;
	c->files++;
	c->in_interval++;
	ret = pc_pcapng_w_restart(c->w, f);
	if (ret)
		snprintf(err, errlen, "cannot write %s: %s", c->name, strerror(-ret));
	return ret;
}

int pc_capout_open(struct pc_capout **out, const struct pc_capout_opts *o, uint64_t now_real_ns,
		   char *err, size_t errlen)
{
	struct pc_pcapng_section sec = { 0 };
	char hw[sizeof(((struct utsname *)0)->machine)], os[512];
	struct pc_capout *c;
	struct utsname u;
	int ret;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->o = *o;
	c->pattern = strdup(o->path);
	if (!c->pattern) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->use_strftime = o->rotate_secs && strchr(o->path, '%');
	c->interval_start = now_real_ns / 1000000000u;
	if (!uname(&u)) {
		snprintf(hw, sizeof(hw), "%s", u.machine);
		snprintf(os, sizeof(os), "%s %s %s", u.sysname, u.release, u.version);
		sec.hardware = hw;
		sec.os = os;
	}
	sec.userappl = o->userappl;
	if (!strcmp(o->path, "-")) {
		c->is_stdout = 1;
		c->f = stdout;
		snprintf(c->name, sizeof(c->name), "stdout");
		ret = pc_pcapng_w_new(&c->w, c->f, &sec, o->snaplen);
		if (ret)
			snprintf(err, errlen, "cannot write to stdout: %s", strerror(-ret));
	} else {
		/* a writer on no file yet: next_file() starts it on the first */
		ret = pc_pcapng_w_new(&c->w, NULL, &sec, o->snaplen);
		if (ret)
			snprintf(err, errlen, "cannot set up the pcapng writer: %s", strerror(-ret));
		else
			ret = next_file(c, c->interval_start, err, errlen);
	}
	if (!ret)
		ret = pc_capout_flush(c, err, errlen);
	if (ret) {
		pc_capout_close(c, NULL, 0);
		return ret;
	}
	*out = c;
	return 0;
}

/* The comment of rec into c->comment; returns its length or -1. Packets of
 * a few flows alternate (a send and the ICMP error it causes, the two
 * directions of a connection): recent comments are kept by what they were
 * made from, since escaping them is most of the cost of -w. */
static int comment_for(struct pc_capout *c, const struct pc_packet *rec, struct pc_procs *procs,
		       uint64_t now_ns)
{
	uint32_t h = rec->owner.pid * 2654435761u ^ rec->owner.tid * 40503u ^
		     rec->peer.pid * 2246822519u ^ rec->flags;
	struct comment_slot *slot = &c->comments[h % COMMENT_SLOTS];
	char *text;
	int n;

	if (slot->text && slot->flags == rec->flags && slot->segs == rec->gso_segs &&
	    !memcmp(&slot->owner, &rec->owner, sizeof(rec->owner)) &&
	    !memcmp(&slot->peer, &rec->peer, sizeof(rec->peer))) {
		if (slot->len >= 0)
			memcpy(c->comment, slot->text, slot->len + 1);
		return slot->len;
	}
	pc_meta_from_procs(&c->meta, rec, procs, now_ns);
	n = pc_comment_format(&c->meta, c->comment, sizeof(c->comment));
	text = realloc(slot->text, n >= 0 ? (size_t)n + 1 : 1);
	if (!text)
		return n;
	if (n >= 0)
		memcpy(text, c->comment, n + 1);
	slot->text = text;
	slot->len = n;
	slot->owner = rec->owner;
	slot->peer = rec->peer;
	slot->flags = rec->flags;
	slot->segs = rec->gso_segs;
	return n;
}

/* Index of the process block of one end of rec (written first if new). */
static int proc_index(struct pc_capout *c, const struct pc_owner *ow, uint32_t *index)
{
	char comm[PC_COMM_LEN + 1];

	memcpy(comm, ow->comm, PC_COMM_LEN);
	comm[PC_COMM_LEN] = 0;
	return pc_pcapng_w_process(c->w, ow->pid, comm, index);
}

/* Option 8 and the process block indexes: the owner in 0x8001, the local
 * peer (the receiver of a loopback packet) in 0x8003. */
static int packet_opts(struct pc_capout *c, const struct pc_packet *rec, struct pc_pcapng_pkt *po)
{
	int ret = 0;

	po->proc = po->eproc = PC_PCAPNG_NO_PROC;
	if ((rec->flags & PC_PKT_OWNER) && rec->owner.pid) {
		po->pid = rec->owner.pid;
		po->tid = rec->owner.tid;
		ret = proc_index(c, &rec->owner, &po->proc);
	}
	if (!ret && (rec->flags & PC_PKT_PEER) && rec->peer.pid)
		ret = proc_index(c, &rec->peer, &po->eproc);
	return ret;
}

/* A write failed (a full disk, an I/O error): the file keeps only its whole
 * blocks, so that readers see every packet before the failure and no half
 * of one, and nothing more is written to it. */
static void cut_at_whole_block(struct pc_capout *c)
{
	struct stat st;
	int fd;

	if (c->failed || !c->f)
		return;
	c->failed = 1;
	__fpurge(c->f); /* what stdio still holds would end inside a block */
	fd = fileno(c->f);
	if (c->is_stdout || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	if (ftruncate(fd, (off_t)pc_pcapng_w_whole_end(c->w, (uint64_t)st.st_size, c->flushed)))
		return; /* the reader's warning about a cut block stays true */
}

int pc_capout_packet(struct pc_capout *c, const struct pc_packet *rec, struct pc_procs *procs,
		     uint64_t now_ns, uint64_t ts_real_ns, char *err, size_t errlen)
{
	struct pc_pcapng_pkt po = { .comment_len = -1 };
	uint64_t sec = ts_real_ns / 1000000000u;
	int ret, n;

	if (c->o.rotate_secs && sec >= c->interval_start + c->o.rotate_secs) {
		if (c->o.ring_files && !c->o.rotate_bytes && c->files >= c->o.ring_files)
			return 1;
		c->interval_start = sec;
		c->in_interval = 0;
		ret = next_file(c, sec, err, errlen);
		if (ret)
			return ret;
	} else if (c->o.rotate_bytes && pc_pcapng_w_bytes(c->w) > c->o.rotate_bytes) {
		ret = next_file(c, c->interval_start, err, errlen);
		if (ret)
			return ret;
	}
	ret = packet_opts(c, rec, &po);
	if (!ret && !c->o.no_comments) {
		n = comment_for(c, rec, procs, now_ns);
		if (n >= 0) {
			po.comment = c->comment;
			po.comment_len = n;
		}
	}
	if (c->failed)
		return -EIO;
	if (!ret)
		ret = pc_pcapng_w_packet(c->w, rec, ts_real_ns, &po);
	if (ret == -ENOSPC || ret == -EIO || ret == -EFBIG || ret == -EDQUOT)
		cut_at_whole_block(c);
	if (ret)
		snprintf(err, errlen, "cannot write %s: %s", c->name, strerror(-ret));
	return ret;
}

int pc_capout_flush(struct pc_capout *c, char *err, size_t errlen)
{
	int ret;

	if (!c->f || c->failed)
		return c->failed ? -EIO : 0;
	if (!fflush(c->f)) {
		c->flushed = pc_pcapng_w_bytes(c->w);
		return 0;
	}
	ret = -errno;
	if (err)
		snprintf(err, errlen, "cannot write %s: %s", c->name, strerror(errno));
	cut_at_whole_block(c);
	return ret;
}

int pc_capout_close(struct pc_capout *c, char *err, size_t errlen)
{
	int ret = 0, i;

	if (!c)
		return 0;
	if (c->f) {
		ret = c->failed ? 0 : pc_capout_flush(c, err, errlen);
		if (!c->is_stdout && fclose(c->f) && !ret) {
			ret = -errno;
			if (err)
				snprintf(err, errlen, "cannot close %s: %s", c->name, strerror(errno));
		}
	}
	pc_pcapng_w_free(c->w);
	for (i = 0; i < COMMENT_SLOTS; i++)
		free(c->comments[i].text);
	free(c->pattern);
	free(c);
	return ret;
}
