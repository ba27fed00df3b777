/* Streaming parser of pcap and pcapng files from a FILE* (pipes included):
 * checks every length against its block and a 16 MiB cap, finds the IP
 * header per link type and turns pidcap's comments, Darwin process blocks
 * and option 8 back into processes. Not for printing, filtering or writing. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/dlt.h>
#include "packet/linkhdr.h"
#include "pcapfile/capfile_read.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_SPB 3u
#define BT_EPB 6u
#define BT_DPIB 0x80000001u
#define EPB_DARWIN_PIB 0x8001
#define EPB_DARWIN_EPIB 0x8003
#define BOM 0x1A2B3C4Du
#define MIN_BLOCK 12u
#define MIN_SHB 28u

/* link types (LINKTYPE_*, as stored in files) */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

struct iface {
	uint32_t linktype, snaplen, netns;
	uint8_t tsresol;
	int64_t tsoffset;
	char name[PC_IFNAME_LEN];
};

/* A Darwin Process Information Block of the current section. */
struct dproc {
	uint32_t pid;
	char name[PC_COMM_LEN + 1]; /* cut to comm's 16 bytes */
};

struct rd {
	FILE *f;
	uint64_t off;          /* bytes consumed so far */
	int swap;              /* file byte order differs from the host's */
	char *err;
	size_t errlen;
	uint8_t *blk;          /* current block or record */
	size_t blkcap;
	struct pc_packet *rec; /* followed by room for the IP bytes */
	size_t reccap;
	struct pc_meta *meta;
	struct iface *ifs;
	size_t nifs, capifs;
	struct dproc *procs;   /* process blocks of this section, in order */
	size_t nprocs, capprocs;
	int pidcap_section;    /* this section was written by pidcap */
	pc_capfile_fn fn;
	void *ctx;
	struct pc_capfile_stats *st;
};

static int fail(struct rd *r, int ret, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct rd *r, int ret, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, r->errlen, "offset %llu: ", (unsigned long long)off);
	if (n < 0 || (size_t)n >= r->errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return ret;
}

static uint16_t get16(const struct rd *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const struct rd *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

/* Reads n bytes to dst. Returns the count read (< n at end of file), or
 * -EIO with the error set. */
static long long get(struct rd *r, void *dst, size_t n)
{
	size_t got = n ? fread(dst, 1, n, r->f) : 0;

	if (got < n && ferror(r->f))
		return fail(r, -EIO, r->off + got, "read error: %s", strerror(errno ? errno : EIO));
	r->off += got;
	return (long long)got;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = need;
	return 0;
}

static int truncated(struct rd *r, uint64_t start, const char *what, uint64_t want, uint64_t got)
{
	return fail(r, PC_CAPFILE_TRUNCATED, start,
		    "file ends inside %s (%llu of %llu bytes): the last packet may be lost", what,
		    (unsigned long long)got, (unsigned long long)want);
}

/* ---- link layers ---------------------------------------------------- */

struct l2 {
	uint32_t off;     /* IP header offset in the frame */
	uint16_t l3proto; /* 0x0800 or 0x86DD */
	int dir_known, dir;
	uint32_t ifindex;
};

/* Finds the IP header of a frame (packet/linkhdr.c, after mapping the
 * file's LINKTYPE_ to libpcap's DLT_). Returns 0, or -1 when it is not IP. */
static int find_ip(uint32_t linktype, const uint8_t *p, uint32_t n, struct l2 *l)
{
	struct pc_linkhdr lh;
	int dlt;

	memset(l, 0, sizeof(*l));
	switch (linktype) {
	case LT_NULL:
		dlt = DLT_NULL;
		break;
	case LT_EN10MB:
		dlt = DLT_EN10MB;
		break;
	case LT_RAW:
		dlt = DLT_RAW;
		break;
	case LT_LOOP:
		dlt = DLT_LOOP;
		break;
	case LT_LINUX_SLL:
		dlt = DLT_LINUX_SLL;
		break;
	case LT_IPV4:
		dlt = DLT_IPV4;
		break;
	case LT_IPV6:
		dlt = DLT_IPV6;
		break;
	case LT_LINUX_SLL2:
		dlt = DLT_LINUX_SLL2;
		break;
	default:
		return -1;
	}
	if (pc_linkhdr_parse(dlt, p, n, &lh) || lh.off > n)
		return -1;
	l->off = lh.off;
	l->l3proto = lh.l3proto;
	l->ifindex = lh.ifindex;
	if (lh.pkttype != PC_PKTTYPE_UNKNOWN) {
		l->dir_known = 1;
		l->dir = lh.pkttype == PC_PKTTYPE_OUTGOING ? PC_DIR_OUT : PC_DIR_IN;
	}
	return 0;
}

/* ---- handing a packet over ------------------------------------------- */

static int deliver(struct rd *r, uint64_t off, uint32_t linktype, const uint8_t *frame,
		   uint32_t caplen, uint32_t origlen, uint64_t ts_ns, const struct iface *ifc,
		   int epb_dir, const struct pc_meta *meta)
{
	struct pc_capfile_pkt pkt = { 0 };
	struct pc_packet *rec;
	struct l2 l;
	uint32_t ipcap;
	int ret;

	if (find_ip(linktype, frame, caplen, &l)) {
		if (r->st)
			r->st->skipped++;
		return 0;
	}
	ipcap = caplen - l.off;
	ret = grow((uint8_t **)&r->rec, &r->reccap, sizeof(*rec) + ipcap);
	if (ret)
		return fail(r, ret, off, "out of memory for a %u-byte packet", caplen);
	rec = r->rec;
	memset(rec, 0, sizeof(*rec));
	rec->type = PC_REC_PACKET;
	rec->ifindex = l.ifindex;
	rec->ts_ns = ts_ns;
	rec->caplen = ipcap;
	rec->len = origlen >= l.off && origlen - l.off > ipcap ? origlen - l.off : ipcap;
	rec->l3proto = l.l3proto;
	rec->gso_segs = meta && meta->segs ? (uint16_t)(meta->segs > 0xffff ? 0xffff : meta->segs)
					   : 1;
	if (ifc) {
		rec->netns = ifc->netns;
		memcpy(rec->ifname, ifc->name, sizeof(rec->ifname));
	}
	memcpy(rec->data, frame + l.off, ipcap);
	pkt.dir_known = l.dir_known;
	rec->dir = (uint8_t)l.dir;
	if (epb_dir == 1 || epb_dir == 2) { /* epb_flags: inbound 1, outbound 2 */
		pkt.dir_known = 1;
		rec->dir = epb_dir == 2 ? PC_DIR_OUT : PC_DIR_IN;
	}
	if (meta) {
		const struct pc_meta_who *w[2] = { &meta->owner, &meta->peer };
		struct pc_owner *o[2] = { &rec->owner, &rec->peer };
		int i;

		for (i = 0; i < 2; i++) {
			if (!w[i]->known || !w[i]->pid)
				continue;
			rec->flags |= i ? PC_PKT_PEER : PC_PKT_OWNER;
			o[i]->pid = w[i]->pid;
			o[i]->tid = w[i]->tid;
			o[i]->uid = w[i]->uid;
			memcpy(o[i]->comm, w[i]->comm, PC_COMM_LEN);
		}
		if (meta->listener)
			rec->flags |= PC_PKT_OWNER_LISTENER;
	}
	pkt.rec = rec;
	pkt.ip = rec->data;
	pkt.meta = meta;
	pkt.linktype = linktype;
	pkt.offset = off;
	if (r->st)
		r->st->packets++;
	return r->fn(r->ctx, &pkt) ? PC_CAPFILE_STOPPED : 0;
}

/* ---- pcap ------------------------------------------------------------ */

static int read_pcap(struct rd *r, const uint8_t magic[4])
{
	uint8_t h[24], *rh;
	uint32_t m, linktype, caplen, origlen, frac;
	uint64_t start, ts;
	long long got;
	int nano, ret;

	memcpy(h, magic, 4);
	got = get(r, h + 4, 20);
	if (got < 0)
		return (int)got;
	if (got < 20)
		return truncated(r, 0, "the 24-byte pcap file header", 24, (uint64_t)got + 4);
	memcpy(&m, h, 4);
	r->swap = m == 0xd4c3b2a1 || m == 0x4d3cb2a1;
	nano = m == 0xa1b23c4d || m == 0x4d3cb2a1;
	if (get16(r, h + 4) != 2)
		return fail(r, -EINVAL, 4, "pcap version %u.%u is not supported (want 2.x)",
			    get16(r, h + 4), get16(r, h + 6));
	linktype = get32(r, h + 20) & 0x03FFFFFF;
	if (r->st)
		r->st->format = PC_CAPFILE_PCAP;
	if ((ret = grow(&r->blk, &r->blkcap, 16)))
		return fail(r, ret, r->off, "out of memory");
	for (;;) {
		start = r->off;
		rh = r->blk;
		got = get(r, rh, 16);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return 0;
		if (got < 16)
			return truncated(r, start, "a 16-byte record header", 16, (uint64_t)got);
		caplen = get32(r, rh + 8);
		origlen = get32(r, rh + 12);
		if (caplen > PC_CAPFILE_MAX_BLOCK)
			return fail(r, -EINVAL, start,
				    "captured length %u is larger than the %u-byte limit", caplen,
				    PC_CAPFILE_MAX_BLOCK);
		frac = get32(r, rh + 4);
		ts = (uint64_t)get32(r, rh) * 1000000000u + (nano ? frac : (uint64_t)frac * 1000);
		if ((ret = grow(&r->blk, &r->blkcap, 16 + (size_t)caplen)))
			return fail(r, ret, start, "out of memory for a %u-byte record", caplen);
		got = get(r, r->blk + 16, caplen);
		if (got < 0)
			return (int)got;
		if ((uint64_t)got < caplen)
			return truncated(r, start, "a record", 16 + (uint64_t)caplen, 16 + (uint64_t)got);
		ret = deliver(r, start, linktype, r->blk + 16, caplen, origlen, ts, NULL, 0, NULL);
		if (ret)
			return ret;
	}
}

/* ---- pcapng ---------------------------------------------------------- */

/* Calls fn for every option of body[0..n) (n a multiple of 4, base its
 * file offset) until opt_endofopt or the end. */
typedef int (*opt_fn)(struct rd *r, void *arg, uint16_t code, const uint8_t *v, uint16_t len,
		      uint64_t off);

static int walk_opts(struct rd *r, const uint8_t *p, size_t n, uint64_t base, opt_fn fn,
		     void *arg)
{
	size_t i = 0, need;
	uint16_t code, len;
	int ret;

	while (n - i >= 4) {
		code = get16(r, p + i);
		len = get16(r, p + i + 2);
		if (code == 0)
			return 0;
		need = 4 + (((size_t)len + 3) & ~(size_t)3);
		if (need > n - i)
			return fail(r, -EINVAL, base + i,
				    "option %u of %u bytes runs past the end of its block (%zu bytes left)",
				    code, len, n - i - 4);
		ret = fn(r, arg, code, p + i + 4, len, base + i);
		if (ret)
			return ret;
		i += need;
	}
	return 0;
}

static int shb_opt(struct rd *r, void *arg, uint16_t code, const uint8_t *v, uint16_t len,
		   uint64_t off)
{
	(void)arg;
	(void)off;
	if (code == 4 && len >= 7 && !memcmp(v, "pidcap ", 7)) {
		r->pidcap_section = 1;
		if (r->st)
			r->st->pidcap_section = 1;
	}
	return 0;
}

static int idb_opt(struct rd *r, void *arg, uint16_t code, const uint8_t *v, uint16_t len,
		   uint64_t off)
{
	struct iface *ifc = arg;
	char descr[32];
	unsigned int ns;
	char extra;
	int64_t o;

	switch (code) {
	case 2: /* if_name */
		memset(ifc->name, 0, sizeof(ifc->name));
		memcpy(ifc->name, v, len < PC_IFNAME_LEN - 1 ? len : PC_IFNAME_LEN - 1);
		break;
	case 3: /* if_description: pidcap's "netns N" */
		if (len >= sizeof(descr))
			break;
		memcpy(descr, v, len);
		descr[len] = 0;
		if (sscanf(descr, "netns %u%c", &ns, &extra) == 1)
			ifc->netns = ns;
		break;
	case 9: /* if_tsresol */
		if (len != 1)
			return fail(r, -EINVAL, off, "if_tsresol has %u bytes, want 1", len);
		if ((v[0] & 0x80 && (v[0] & 0x7f) > 63) || (!(v[0] & 0x80) && v[0] > 19))
			return fail(r, -EINVAL, off, "if_tsresol 0x%02x is not supported", v[0]);
		ifc->tsresol = v[0];
		break;
	case 14: /* if_tsoffset, seconds */
		if (len != 8)
			return fail(r, -EINVAL, off, "if_tsoffset has %u bytes, want 8", len);
		memcpy(&o, v, 8);
		ifc->tsoffset = r->swap ? (int64_t)__builtin_bswap64((uint64_t)o) : o;
		break;
	}
	return 0;
}

struct epb_opts {
	uint32_t flags;
	int have_flags;
	int have_pidtid;
	uint32_t pid, tid;
	int have_comment;
	const struct dproc *proc, *eproc; /* options 0x8001, 0x8003 */
};

/* The process block an EPB option names. */
static int proc_ref(struct rd *r, uint16_t code, const uint8_t *v, uint16_t len, uint64_t off,
		    const struct dproc **out)
{
	uint32_t i;

	if (len != 4)
		return fail(r, -EINVAL, off, "option 0x%04x has %u bytes, want 4", code, len);
	i = get32(r, v);
	if (i >= r->nprocs)
		return fail(r, -EINVAL, off,
			    "packet names process block %u, but the section has %zu before it", i,
			    r->nprocs);
	*out = &r->procs[i];
	return 0;
}

static int epb_opt(struct rd *r, void *arg, uint16_t code, const uint8_t *v, uint16_t len,
		   uint64_t off)
{
	struct epb_opts *e = arg;

	if (code == EPB_DARWIN_PIB)
		return proc_ref(r, code, v, len, off, &e->proc);
	if (code == EPB_DARWIN_EPIB)
		return proc_ref(r, code, v, len, off, &e->eproc);
	if (code == 2 && len == 4) {
		e->flags = get32(r, v);
		e->have_flags = 1;
	} else if (code == 8 && len == 8) {
		e->pid = get32(r, v);
		e->tid = get32(r, v + 4);
		e->have_pidtid = 1;
	} else if (code == 1 && !e->have_comment) {
		/* the first comment that is pidcap's; others are someone else's */
		e->have_comment = !pc_comment_parse((const char *)v, len, r->meta);
	}
	return 0;
}

static uint64_t pow10u(unsigned int n)
{
	uint64_t v = 1;

	while (n--)
		v *= 10;
	return v;
}

/* Timestamp in if_tsresol units -> nanoseconds, saturated to INT64_MAX. */
static uint64_t to_ns(uint64_t ts, const struct iface *ifc)
{
	unsigned __int128 ns;
	unsigned int n = ifc->tsresol & 0x7f;

	if (ifc->tsresol & 0x80)
		ns = ((unsigned __int128)ts * 1000000000u) >> n;
	else if (n <= 9)
		ns = (unsigned __int128)ts * pow10u(9 - n);
	else
		ns = ts / pow10u(n - 9);
	if (ifc->tsoffset >= 0)
		ns += (unsigned __int128)ifc->tsoffset * 1000000000u;
	else if (ns >= (unsigned __int128)(-(__int128)ifc->tsoffset) * 1000000000u)
		ns -= (unsigned __int128)(-(__int128)ifc->tsoffset) * 1000000000u;
	else
		ns = 0;
	return ns > INT64_MAX ? INT64_MAX : (uint64_t)ns;
}

static int on_shb(struct rd *r, const uint8_t *b, uint32_t len, uint64_t start)
{
	uint16_t major = get16(r, b + 12), minor = get16(r, b + 14);

	if (major != 1)
		return fail(r, -EINVAL, start + 12, "pcapng version %u.%u is not supported (want 1.x)",
			    major, minor);
	r->nifs = 0; /* a new section: interfaces and processes start again */
	r->nprocs = 0;
	r->pidcap_section = 0;
	return walk_opts(r, b + 24, len - 28, start + 24, shb_opt, NULL);
}

static int on_idb(struct rd *r, const uint8_t *b, uint32_t len, uint64_t start)
{
	struct iface *ifc;
	int ret;

	if (len < 20)
		return fail(r, -EINVAL, start,
			    "interface description block of %u bytes is shorter than the 20-byte minimum",
			    len);
	if (r->nifs >= PC_CAPFILE_MAX_IFACES)
		return fail(r, -EINVAL, start, "more than %u interfaces in one section",
			    PC_CAPFILE_MAX_IFACES);
	if (r->nifs == r->capifs) {
		size_t cap = r->capifs ? r->capifs * 2 : 8;

		ifc = realloc(r->ifs, cap * sizeof(*ifc));
		if (!ifc)
			return fail(r, -ENOMEM, start, "out of memory");
		r->ifs = ifc;
		r->capifs = cap;
	}
	ifc = &r->ifs[r->nifs];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = get16(r, b + 8);
	ifc->snaplen = get32(r, b + 12);
	ifc->tsresol = 6;
	ret = walk_opts(r, b + 16, len - 20, start + 16, idb_opt, ifc);
	if (ret)
		return ret;
	r->nifs++;
	return 0;
}

static int dpib_opt(struct rd *r, void *arg, uint16_t code, const uint8_t *v, uint16_t len,
		    uint64_t off)
{
	struct dproc *p = arg;
	char name[4 * PC_COMM_LEN + 1];
	size_t n;

	(void)off;
	if (code != 2) /* dpib_name; the UUID (4) and others are not needed */
		return 0;
	memset(p->name, 0, sizeof(p->name));
	/* pidcap escapes names (pc_escape_text); others' are raw bytes */
	n = len < sizeof(name) - 1 ? len : sizeof(name) - 1;
	memcpy(name, v, n);
	name[n] = 0;
	if (!r->pidcap_section || pc_comment_unescape(name, n, p->name, sizeof(p->name)) < 0)
		memcpy(p->name, v, len < PC_COMM_LEN ? len : PC_COMM_LEN);
	return 0; /* a NUL inside the name ends it */
}

static int on_dpib(struct rd *r, const uint8_t *b, uint32_t len, uint64_t start)
{
	struct dproc *p;

	if (len < 16)
		return fail(r, -EINVAL, start,
			    "process information block of %u bytes is shorter than the 16-byte minimum",
			    len);
	if (r->nprocs >= PC_CAPFILE_MAX_PROCS)
		return fail(r, -EINVAL, start, "more than %u process blocks in one section",
			    PC_CAPFILE_MAX_PROCS);
	if (r->nprocs == r->capprocs) {
		size_t cap = r->capprocs ? r->capprocs * 2 : 64;

		p = realloc(r->procs, cap * sizeof(*p));
		if (!p)
			return fail(r, -ENOMEM, start, "out of memory");
		r->procs = p;
		r->capprocs = cap;
	}
	p = &r->procs[r->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = get32(r, b + 8);
	r->nprocs++; /* counted even if its options are bad: indexes stay right */
	return walk_opts(r, b + 12, len - 16, start + 12, dpib_opt, p);
}

/* One end of the packet from a process block (no comment for it). */
static void who_from_dproc(struct pc_meta_who *w, const struct dproc *p)
{
	memset(w, 0, sizeof(*w));
	w->known = p->pid != 0;
	w->pid = p->pid;
	memcpy(w->comm, p->name, sizeof(w->comm));
}

static int on_epb(struct rd *r, const uint8_t *b, uint32_t len, uint64_t start)
{
	struct epb_opts e = { 0 };
	const struct iface *ifc;
	uint32_t id, caplen, origlen, padded;
	uint64_t ts;
	int ret;

	if (len < 32)
		return fail(r, -EINVAL, start,
			    "enhanced packet block of %u bytes is shorter than the 32-byte minimum", len);
	id = get32(r, b + 8);
	caplen = get32(r, b + 20);
	origlen = get32(r, b + 24);
	if (id >= r->nifs)
		return fail(r, -EINVAL, start + 8,
			    "packet on interface %u, but the section describes %zu interface%s", id,
			    r->nifs, r->nifs == 1 ? "" : "s");
	if (caplen > len - 32)
		return fail(r, -EINVAL, start + 20,
			    "captured length %u runs past the end of its %u-byte block", caplen, len);
	padded = (caplen + 3) & ~3u;
	ifc = &r->ifs[id];
	ts = (uint64_t)get32(r, b + 12) << 32 | get32(r, b + 16);
	ret = walk_opts(r, b + 28 + padded, len - 32 - padded, start + 28 + padded, epb_opt, &e);
	if (ret)
		return ret;
	if (!e.have_comment && (e.have_pidtid || e.proc || e.eproc)) {
		/* the comment says everything; without it, the process blocks
		 * name the processes and option 8 adds the thread */
		memset(r->meta, 0, sizeof(*r->meta));
		if (e.proc)
			who_from_dproc(&r->meta->owner, e.proc);
		if (e.have_pidtid && (!e.proc || e.proc->pid == e.pid)) {
			r->meta->owner.known = e.pid != 0;
			r->meta->owner.pid = e.pid;
			r->meta->owner.tid = e.tid;
		}
		/* pidcap's 0x8003 is the local peer; Apple's "effective"
		 * process is someone the owner works for: not a peer */
		if (e.eproc && r->pidcap_section)
			who_from_dproc(&r->meta->peer, e.eproc);
	} else if (e.have_pidtid) {
		r->meta->owner.known = e.pid != 0;
		r->meta->owner.pid = e.pid;
		r->meta->owner.tid = e.tid;
	}
	return deliver(r, start, ifc->linktype, b + 28, caplen, origlen, to_ns(ts, ifc), ifc,
		       e.have_flags ? (int)(e.flags & 3) : 0,
		       e.have_pidtid || e.have_comment || e.proc || e.eproc ? r->meta : NULL);
}

static int on_spb(struct rd *r, const uint8_t *b, uint32_t len, uint64_t start)
{
	uint32_t origlen, caplen;

	if (len < 16)
		return fail(r, -EINVAL, start,
			    "simple packet block of %u bytes is shorter than the 16-byte minimum", len);
	if (!r->nifs)
		return fail(r, -EINVAL, start, "simple packet block before any interface description");
	origlen = get32(r, b + 8);
	caplen = len - 16;
	if (origlen < caplen)
		caplen = origlen;
	if (r->ifs[0].snaplen && r->ifs[0].snaplen < caplen)
		caplen = r->ifs[0].snaplen;
	return deliver(r, start, r->ifs[0].linktype, b + 12, caplen, origlen, 0, &r->ifs[0], 0,
		       NULL);
}

static int read_pcapng(struct rd *r, const uint8_t magic[4])
{
	uint8_t h[12];
	uint32_t type, len, bom, trail;
	uint64_t start;
	size_t have;
	long long got;
	int ret, first = 1;

	if (r->st)
		r->st->format = PC_CAPFILE_PCAPNG;
	for (;;) {
		start = r->off - (first ? 4 : 0);
		have = 0;
		if (first) {
			memcpy(h, magic, 4);
			have = 4;
		}
		got = get(r, h + have, 8 - have);
		if (got < 0)
			return (int)got;
		if (!first && got == 0)
			return 0;
		if ((size_t)got < 8 - have)
			return truncated(r, start, "a block header", 8, have + (uint64_t)got);
		memcpy(&type, h, 4);
		if (type == BT_SHB) {
			got = get(r, h + 8, 4);
			if (got < 0)
				return (int)got;
			if (got < 4)
				return truncated(r, start, "a section header block", 12, 8 + (uint64_t)got);
			memcpy(&bom, h + 8, 4);
			if (bom == BOM)
				r->swap = 0;
			else if (bom == __builtin_bswap32(BOM))
				r->swap = 1;
			else
				return fail(r, -EINVAL, start + 8,
					    "byte-order magic 0x%08x is neither 0x1a2b3c4d nor 0x4d3c2b1a",
					    bom);
			have = 12;
		} else {
			have = 8;
		}
		first = 0;
		type = get32(r, h);
		len = get32(r, h + 4);
		if (len < MIN_BLOCK)
			return fail(r, -EINVAL, start,
				    "block length %u is shorter than the 12-byte minimum", len);
		if (len % 4)
			return fail(r, -EINVAL, start, "block length %u is not a multiple of 4", len);
		if (type == BT_SHB && len < MIN_SHB)
			return fail(r, -EINVAL, start,
				    "section header block of %u bytes is shorter than the 28-byte minimum",
				    len);
		if (len > PC_CAPFILE_MAX_BLOCK)
			return fail(r, -EINVAL, start,
				    "block length %u is larger than the %u-byte limit", len,
				    PC_CAPFILE_MAX_BLOCK);
		if ((ret = grow(&r->blk, &r->blkcap, len)))
			return fail(r, ret, start, "out of memory for a %u-byte block", len);
		memcpy(r->blk, h, have);
		got = get(r, r->blk + have, len - have);
		if (got < 0)
			return (int)got;
		if ((uint64_t)got < len - have)
			return truncated(r, start, "a block", len, have + (uint64_t)got);
		trail = get32(r, r->blk + len - 4);
		if (trail != len)
			return fail(r, -EINVAL, start + len - 4,
				    "trailing block length %u differs from the leading %u", trail, len);
		switch (type) {
		case BT_SHB:
			ret = on_shb(r, r->blk, len, start);
			break;
		case BT_IDB:
			ret = on_idb(r, r->blk, len, start);
			break;
		case BT_EPB:
			ret = on_epb(r, r->blk, len, start);
			break;
		case BT_SPB:
			ret = on_spb(r, r->blk, len, start);
			break;
		case BT_DPIB:
			ret = on_dpib(r, r->blk, len, start);
			break;
		default: /* NRB, ISB, DSB, custom, obsolete...: skipped */
			ret = 0;
		}
		if (ret)
			return ret;
	}
}

int pc_capfile_read(FILE *f, pc_capfile_fn fn, void *ctx, struct pc_capfile_stats *st, char *err,
		    size_t errlen)
{
	struct rd r = { .f = f, .err = err, .errlen = errlen, .fn = fn, .ctx = ctx, .st = st };
	uint8_t magic[4];
	uint32_t m;
	long long got;
	int ret;

	if (errlen)
		err[0] = 0;
	if (st)
		memset(st, 0, sizeof(*st));
	r.meta = calloc(1, sizeof(*r.meta));
	if (!r.meta)
		return fail(&r, -ENOMEM, 0, "out of memory");
	got = get(&r, magic, 4);
	if (got < 0) {
		ret = (int)got;
		goto out;
	}
	if (got < 4) {
		ret = fail(&r, -EINVAL, 0, "%s, not a pcap or pcapng file",
			   got ? "file too short for a magic number" : "empty file");
		goto out;
	}
	memcpy(&m, magic, 4);
	if (m == BT_SHB) {
		ret = read_pcapng(&r, magic);
	} else if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) {
		ret = read_pcap(&r, magic);
	} else {
		ret = fail(&r, -EINVAL, 0,
			   "not a pcap or pcapng file (magic bytes %02x %02x %02x %02x)", magic[0],
			   magic[1], magic[2], magic[3]);
	}
out:
	free(r.blk);
	free(r.rec);
	free(r.meta);
	free(r.ifs);
	free(r.procs);
	return ret;
}
