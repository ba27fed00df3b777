/* Builds pcapng blocks (SHB, IDB, Darwin process blocks, EPB) in memory, in
 * the host's byte order, and writes each with one fwrite so a reader never
 * sees half a block unless the process is killed. Not for naming, rotating
 * or flushing files, nor for looking up processes: callers pass names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/escape.h"
#include "lib/hash.h"
#include "lib/htab.h"
#include "pcapfile/pcapng_write.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_EPB 6u
#define BT_DPIB 0x80000001u /* Darwin Process Information Block (Apple) */
#define DPIB_NAME 2
#define EPB_DARWIN_PIB 0x8001
#define EPB_DARWIN_EPIB 0x8003
#define BOM 0x1A2B3C4Du
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2
#define EPB_PID_TID 8
#define ARPHRD_ETHER_ 1
#define ARPHRD_LOOPBACK_ 772
#define PACKET_HOST_ 0
#define PACKET_OUTGOING_ 4

struct iface {
	uint32_t netns;
	char name[PC_IFNAME_LEN + 1];
};

/* A process block written to the current file. */
struct proc_ent {
	uint32_t pid, index;
	char name[PC_COMM_LEN + 1];
	struct proc_ent *next; /* same hash */
};

struct blk {
	uint8_t *p;
	size_t len, cap;
	int err;
};

struct pc_pcapng_w {
	FILE *f;
	char *hardware, *os, *userappl;
	uint32_t snaplen;
	struct iface *ifs;
	size_t nifs, capifs;
	size_t last; /* index of the last interface used, a cheap cache */
	uint64_t bytes;
	uint64_t ends[256];    /* where the last blocks ended (a ring), for the
			        * cut after a failed write */
	unsigned int nends;
	struct blk b;
	struct pc_htab procs;  /* hash of (pid, name) -> chain of proc_ent */
	uint32_t nprocs;       /* process blocks in this file */
	struct proc_ent *recent[2]; /* the last two asked for: a packet's owner
				     * and peer alternate */
};

/* Room for n more bytes. */
static void reserve(struct blk *b, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void put(struct blk *b, const void *data, size_t n)
{
	reserve(b, n);
	if (b->err)
		return;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put32(struct blk *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put16(struct blk *b, uint16_t v)
{
	put(b, &v, 2);
}

static void pad4(struct blk *b)
{
	static const uint8_t zero[4];

	put(b, zero, (4 - b->len % 4) % 4);
}

static void begin(struct blk *b, uint32_t type)
{
	b->len = 0;
	b->err = 0;
	put32(b, type);
	put32(b, 0); /* total length, set by finish() */
}

static void opt(struct blk *b, uint16_t code, const void *data, size_t n)
{
	if (n > 0xffff) {
		b->err = -EINVAL;
		return;
	}
	put16(b, code);
	put16(b, (uint16_t)n);
	put(b, data, n);
	pad4(b);
}

static void opt_str(struct blk *b, uint16_t code, const char *s)
{
	if (s)
		opt(b, code, s, strlen(s));
}

static void block_written(struct pc_pcapng_w *w, size_t len)
{
	w->bytes += len;
	w->ends[w->nends++ % 256] = w->bytes;
}

/* Ends the options and the block, writes it with one fwrite. */
static int finish(struct pc_pcapng_w *w, int with_opts)
{
	struct blk *b = &w->b;
	uint32_t total;

	if (with_opts)
		put32(b, OPT_END); /* code 0, length 0 */
	pad4(b);
	put32(b, 0);
	if (b->err)
		return b->err;
	total = (uint32_t)b->len;
	memcpy(b->p + 4, &total, 4);
	memcpy(b->p + b->len - 4, &total, 4);
	errno = 0;
	if (fwrite(b->p, 1, b->len, w->f) != b->len)
		return errno ? -errno : -EIO;
	block_written(w, b->len);
	return 0;
}

static int write_shb(struct pc_pcapng_w *w)
{
	struct blk *b = &w->b;
	uint64_t section_len = UINT64_MAX; /* unknown */

	begin(b, BT_SHB);
	put32(b, BOM);
	put16(b, 1); /* major */
	put16(b, 0); /* minor */
	put(b, &section_len, 8);
	opt_str(b, SHB_HARDWARE, w->hardware);
	opt_str(b, SHB_OS, w->os);
	opt_str(b, SHB_USERAPPL, w->userappl);
	return finish(w, 1);
}

static int write_idb(struct pc_pcapng_w *w, const struct iface *ifc)
{
	struct blk *b = &w->b;
	char descr[32];
	uint8_t tsresol = 9; /* nanoseconds */

	begin(b, BT_IDB);
	put16(b, PC_LINKTYPE_LINUX_SLL2);
	put16(b, 0);
	put32(b, w->snaplen + PC_SLL2_HDR_LEN);
	opt_str(b, IF_NAME, ifc->name);
	snprintf(descr, sizeof(descr), "netns %u", ifc->netns);
	opt_str(b, IF_DESCRIPTION, descr);
	opt(b, IF_TSRESOL, &tsresol, 1);
	return finish(w, 1);
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

int pc_pcapng_w_new(struct pc_pcapng_w **out, FILE *f, const struct pc_pcapng_section *sec,
		    uint32_t snaplen)
{
	struct pc_pcapng_w *w;
	int err = 0;

	*out = NULL;
	if (snaplen > UINT32_MAX - PC_SLL2_HDR_LEN)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->f = f;
	w->snaplen = snaplen;
	w->hardware = dup_or_null(sec->hardware, &err);
	w->os = dup_or_null(sec->os, &err);
	w->userappl = dup_or_null(sec->userappl, &err);
	if (!err && f)
		err = write_shb(w);
	if (err) {
		pc_pcapng_w_free(w);
		return err;
	}
	*out = w;
	return 0;
}

/* Forgets the process blocks written (they stay in the file). */
static void procs_forget(struct pc_pcapng_w *w)
{
	struct proc_ent *e, *next;
	size_t i;

	for (i = 0; i < w->procs.cap; i++) {
		for (e = w->procs.slots[i].val; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(w->procs.slots);
	memset(&w->procs, 0, sizeof(w->procs));
	w->recent[0] = w->recent[1] = NULL;
}

static void procs_clear(struct pc_pcapng_w *w)
{
	procs_forget(w);
	w->nprocs = 0;
}

static int write_dpib(struct pc_pcapng_w *w, uint32_t pid, const char *name)
{
	struct blk *b = &w->b;
	char esc[4 * PC_COMM_LEN + 1];
	size_t n;

	begin(b, BT_DPIB);
	put32(b, pid);
	/* Wireshark refuses a DPIB option other than the name (2) and UUID (4),
	 * and skips an empty name, so an unnamed process gets no option */
	n = pc_escape_text(esc, sizeof(esc), name, strlen(name), 0);
	if (n)
		opt(b, DPIB_NAME, esc, n);
	return finish(w, 1);
}

static int same_proc(const struct proc_ent *e, uint32_t pid, const char *key)
{
	return e && e->pid == pid && !memcmp(e->name, key, sizeof(e->name));
}

static void remember(struct pc_pcapng_w *w, struct proc_ent *e)
{
	if (w->recent[0] != e) {
		w->recent[1] = w->recent[0];
		w->recent[0] = e;
	}
}

int pc_pcapng_w_process(struct pc_pcapng_w *w, uint32_t pid, const char *name, uint32_t *index)
{
	char key[PC_COMM_LEN + 1] = { 0 };
	struct proc_ent *e, *head;
	uint64_t h;
	int err, i;

	/* the hot path of -w: no printf, two comparisons */
	memcpy(key, name, strnlen(name, PC_COMM_LEN));
	for (i = 0; i < 2; i++) {
		if (same_proc(w->recent[i], pid, key)) {
			*index = w->recent[i]->index;
			return 0;
		}
	}
	h = pc_hash_bytes(key, sizeof(key)) ^ pc_hash_mix64(pid);
	head = pc_htab_get(&w->procs, h);
	for (e = head; e; e = e->next) {
		if (same_proc(e, pid, key)) {
			remember(w, e);
			*index = e->index;
			return 0;
		}
	}
	if (w->procs.len >= PC_PCAPNG_MAX_PROCS) {
		procs_forget(w); /* bounded memory: blocks seen again are repeated */
		head = NULL;
	}
	err = write_dpib(w, pid, key);
	if (err)
		return err;
	*index = w->nprocs++;
	/* out of memory from here on costs only a repeated block later */
	e = calloc(1, sizeof(*e));
	if (!e)
		return 0;
	e->pid = pid;
	e->index = *index;
	memcpy(e->name, key, sizeof(key));
	e->next = head;
	if (pc_htab_put(&w->procs, h, e)) {
		free(e);
		return 0;
	}
	remember(w, e);
	return 0;
}

int pc_pcapng_w_restart(struct pc_pcapng_w *w, FILE *f)
{
	size_t i;
	int err;

	w->f = f;
	w->bytes = 0;
	w->nends = 0;
	procs_clear(w); /* indexes count per file */
	err = write_shb(w);
	for (i = 0; !err && i < w->nifs; i++)
		err = write_idb(w, &w->ifs[i]);
	return err;
}

/* Interface id of (netns, ifname), writing its IDB when it is new. */
static int iface_id(struct pc_pcapng_w *w, uint32_t netns, const char *name, uint32_t *id)
{
	struct iface *ifc;
	size_t i;
	int err;

	if (w->last < w->nifs && w->ifs[w->last].netns == netns &&
	    !strcmp(w->ifs[w->last].name, name)) {
		*id = (uint32_t)w->last;
		return 0;
	}
	for (i = 0; i < w->nifs; i++) {
		if (w->ifs[i].netns == netns && !strcmp(w->ifs[i].name, name)) {
			w->last = i;
			*id = (uint32_t)i;
			return 0;
		}
	}
	if (w->nifs >= PC_PCAPNG_MAX_IFACES)
		return -ENOSPC;
	if (w->nifs == w->capifs) {
		size_t cap = w->capifs ? w->capifs * 2 : 8;

		ifc = realloc(w->ifs, cap * sizeof(*ifc));
		if (!ifc)
			return -ENOMEM;
		w->ifs = ifc;
		w->capifs = cap;
	}
	ifc = &w->ifs[w->nifs];
	ifc->netns = netns;
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	err = write_idb(w, ifc);
	if (err)
		return err;
	w->last = w->nifs;
	*id = (uint32_t)w->nifs++;
	return 0;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

void pc_sll2_header(const struct pc_packet *rec, uint8_t out[PC_SLL2_HDR_LEN])
{
	memset(out, 0, PC_SLL2_HDR_LEN);
	be16(out, rec->l3proto);       /* protocol type */
	be32(out + 4, rec->ifindex);   /* interface index; out+2: reserved */
	be16(out + 8, strcmp(rec->ifname, "lo") ? ARPHRD_ETHER_ : ARPHRD_LOOPBACK_);
	out[10] = rec->dir == PC_DIR_OUT ? PACKET_OUTGOING_ : PACKET_HOST_;
	out[11] = 0;                   /* address length; out+12: address */
}

static uint8_t *opt32(uint8_t *p, uint16_t code, uint32_t v)
{
	uint16_t h[2] = { code, 4 };

	memcpy(p, h, 4);
	memcpy(p + 4, &v, 4);
	return p + 8;
}

/* The hot path of -w: the block's size is known before it is built, so it
 * is built with one capacity check and plain copies. */
int pc_pcapng_w_packet(struct pc_pcapng_w *w, const struct pc_packet *rec, uint64_t ts_real_ns,
		       const struct pc_pcapng_pkt *o)
{
	char ifname[PC_IFNAME_LEN + 1];
	struct blk *b = &w->b;
	size_t clen = 0, total, ipad;
	uint32_t id, hdr[7], pt[2], flags;
	uint16_t oh[2];
	uint8_t *p;
	int err;

	if (o->comment)
		clen = o->comment_len >= 0 ? (size_t)o->comment_len : strlen(o->comment);
	if (rec->caplen > w->snaplen || rec->len > UINT32_MAX - PC_SLL2_HDR_LEN || clen > 0xffff)
		return -EINVAL;
	memcpy(ifname, rec->ifname, PC_IFNAME_LEN);
	ifname[PC_IFNAME_LEN] = 0;
	err = iface_id(w, rec->netns, ifname, &id);
	if (err)
		return err;
	ipad = (4 - (PC_SLL2_HDR_LEN + rec->caplen) % 4) % 4;
	total = 28 + PC_SLL2_HDR_LEN + rec->caplen + ipad + 8 /* flags */ + 4 /* end */ + 4;
	if (o->pid)
		total += 12;
	if (o->proc != PC_PCAPNG_NO_PROC)
		total += 8;
	if (o->eproc != PC_PCAPNG_NO_PROC)
		total += 8;
	if (o->comment)
		total += 4 + ((clen + 3) & ~(size_t)3);
	b->len = 0;
	b->err = 0;
	reserve(b, total);
	if (b->err)
		return b->err;
	p = b->p;
	hdr[0] = BT_EPB;
	hdr[1] = (uint32_t)total;
	hdr[2] = id;
	hdr[3] = (uint32_t)(ts_real_ns >> 32);
	hdr[4] = (uint32_t)ts_real_ns;
	hdr[5] = rec->caplen + PC_SLL2_HDR_LEN;
	hdr[6] = rec->len + PC_SLL2_HDR_LEN;
	memcpy(p, hdr, 28);
	p += 28;
	pc_sll2_header(rec, p);
	p += PC_SLL2_HDR_LEN;
	memcpy(p, rec->data, rec->caplen);
	p += rec->caplen;
	memset(p, 0, ipad);
	p += ipad;
	flags = rec->dir == PC_DIR_OUT ? 2 : 1;
	p = opt32(p, EPB_FLAGS, flags);
	if (o->pid) {
		oh[0] = EPB_PID_TID;
		oh[1] = 8;
		pt[0] = o->pid;
		pt[1] = o->tid;
		memcpy(p, oh, 4);
		memcpy(p + 4, pt, 8);
		p += 12;
	}
	if (o->proc != PC_PCAPNG_NO_PROC)
		p = opt32(p, EPB_DARWIN_PIB, o->proc);
	if (o->eproc != PC_PCAPNG_NO_PROC)
		p = opt32(p, EPB_DARWIN_EPIB, o->eproc);
	if (o->comment) {
		oh[0] = OPT_COMMENT;
		oh[1] = (uint16_t)clen;
		memcpy(p, oh, 4);
		memcpy(p + 4, o->comment, clen);
		memset(p + 4 + clen, 0, ((clen + 3) & ~(size_t)3) - clen);
		p += 4 + ((clen + 3) & ~(size_t)3);
	}
	memset(p, 0, 4); /* opt_endofopt */
	memcpy(p + 4, &hdr[1], 4);
	errno = 0;
	if (fwrite(b->p, 1, total, w->f) != total)
		return errno ? -errno : -EIO;
	block_written(w, total);
	return 0;
}

uint64_t pc_pcapng_w_whole_end(const struct pc_pcapng_w *w, uint64_t size, uint64_t known)
{
	unsigned int i, n = w->nends < 256 ? w->nends : 256;

	for (i = 1; i <= n; i++) {
		uint64_t end = w->ends[(w->nends - i) % 256];

		if (end <= size)
			return end > known ? end : known;
	}
	return known;
}

uint64_t pc_pcapng_w_bytes(const struct pc_pcapng_w *w)
{
	return w->bytes;
}

void pc_pcapng_w_free(struct pc_pcapng_w *w)
{
	if (!w)
		return;
	procs_clear(w);
	free(w->b.p);
	free(w->ifs);
	free(w->hardware);
	free(w->os);
	free(w->userappl);
	free(w);
}
