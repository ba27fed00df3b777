/* tcpdump's text of TCP: flags, sequence numbers relative to the first
 * ACK'd segment of each connection (as tcpdump keeps them), window, options,
 * length, and DNS over TCP. Not for reassembly or other payloads. */
#include <stdlib.h>
#include <string.h>
#include "packet/nd.h"

#define SEQ_BUCKETS 4096

struct seq_entry {
	struct seq_entry *next;
	uint8_t key[37]; /* v6, lower address, higher address, ports */
	uint32_t seq, ack;
};

struct pc_nd_tcpseq {
	struct seq_entry *b[SEQ_BUCKETS];
};

struct pc_nd_tcpseq *pc_nd_tcpseq_new(void)
{
	return calloc(1, sizeof(struct pc_nd_tcpseq));
}

void pc_nd_tcpseq_free(struct pc_nd_tcpseq *t)
{
	struct seq_entry *e, *n;
	size_t i;

	if (!t)
		return;
	for (i = 0; i < SEQ_BUCKETS; i++)
		for (e = t->b[i]; e; e = n) {
			n = e->next;
			free(e);
		}
	free(t);
}

/* The conversation's entry (made when missing, *isnew set); rev: this
 * packet goes from the higher end to the lower one. NULL without memory. */
static struct seq_entry *seq_find(struct pc_nd_tcpseq *t, const struct nd_ipinfo *ip,
				  uint16_t sport, uint16_t dport, int *rev, int *isnew)
{
	uint32_t alen = ip->v6 ? 16 : 4, h = 2166136261u, i;
	struct seq_entry *e;
	uint8_t key[37] = {0};
	int c = memcmp(ip->src, ip->dst, alen);

	*rev = c > 0 || (c == 0 && sport > dport);
	key[0] = (uint8_t)ip->v6;
	memcpy(key + 1, *rev ? ip->dst : ip->src, alen);
	memcpy(key + 17, *rev ? ip->src : ip->dst, alen);
	key[33] = (*rev ? dport : sport) >> 8;
	key[34] = (uint8_t)(*rev ? dport : sport);
	key[35] = (*rev ? sport : dport) >> 8;
	key[36] = (uint8_t)(*rev ? sport : dport);
	for (i = 0; i < sizeof(key); i++)
		h = (h ^ key[i]) * 16777619u;
	for (e = t->b[h % SEQ_BUCKETS]; e; e = e->next)
		if (!memcmp(e->key, key, sizeof(key))) {
			*isnew = 0;
			return e;
		}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->key, key, sizeof(key));
	e->next = t->b[h % SEQ_BUCKETS];
	t->b[h % SEQ_BUCKETS] = e;
	*isnew = 1;
	return e;
}

static const char *opt_name(uint8_t opt)
{
	switch (opt) {
	case 0:
		return "eol";
	case 1:
		return "nop";
	case 2:
		return "mss";
	case 3:
		return "wscale";
	case 4:
		return "sackOK";
	case 5:
		return "sack";
	case 6:
		return "echo";
	case 7:
		return "echoreply";
	case 8:
		return "TS";
	case 11:
		return "cc";
	case 12:
		return "ccnew";
	case 13:
		return "";
	case 19:
		return "md5";
	case 20:
		return "scps";
	case 28:
		return "uto";
	case 29:
		return "tcp-ao";
	case 30:
		return "mptcp";
	case 34:
		return "tfo";
	case 254:
		return "exp";
	default:
		return NULL;
	}
}

/* The options from cp, hlen bytes (tcpdump's loop, its [len N] and "bad
 * opt" included). */
static void tcp_options(struct pc_nd *nd, const uint8_t *cp, uint32_t hlen, int rev, uint32_t thseq,
			uint32_t thack)
{
	uint32_t len, datalen, i, s, e;
	uint8_t opt;
	const char *name;
	char ch = 0;

	nd_puts(nd, ", options [");
	while (hlen > 0) {
		if (ch)
			nd_printf(nd, "%c", ch);
		opt = nd_u8(nd, cp++);
		if (opt == 0 || opt == 1) {
			len = 1;
		} else {
			len = nd_u8(nd, cp++);
			if (len < 2 || len > hlen)
				goto bad;
			--hlen;
		}
		--hlen;
		name = opt_name(opt);
		if (name)
			nd_puts(nd, name);
		else
			nd_printf(nd, "unknown-%u", opt);
		datalen = 0;
#define LENCHECK(l)                   \
	do {                          \
		if ((l) > hlen)       \
			goto bad;     \
		nd_need(nd, cp, (l)); \
	} while (0)
		switch (opt) {
		case 2:
			datalen = 2;
			LENCHECK(datalen);
			nd_printf(nd, " %u", nd_be16(nd, cp));
			break;
		case 3:
			datalen = 1;
			LENCHECK(datalen);
			nd_printf(nd, " %u", nd_u8(nd, cp));
			break;
		case 5:
			datalen = len - 2;
			if (datalen % 8) {
				nd_puts(nd, " invalid sack");
			} else {
				nd_printf(nd, " %u ", datalen / 8);
				for (i = 0; i < datalen; i += 8) {
					LENCHECK(i + 8);
					s = nd_be32(nd, cp + i) - (rev ? thseq : thack);
					e = nd_be32(nd, cp + i + 4) - (rev ? thseq : thack);
					nd_printf(nd, "{%u:%u}", s, e);
				}
			}
			break;
		case 6:
		case 7:
		case 11:
		case 12:
		case 13:
			datalen = 4;
			LENCHECK(datalen);
			nd_printf(nd, " %u", nd_be32(nd, cp));
			break;
		case 8:
			datalen = 8;
			LENCHECK(datalen);
			nd_printf(nd, " val %u ecr %u", nd_be32(nd, cp), nd_be32(nd, cp + 4));
			break;
		case 28:
			datalen = 2;
			LENCHECK(datalen);
			{
				uint16_t uto = nd_be16(nd, cp);

				nd_printf(nd, " %u", uto & 0x7fff);
				if (uto & 0x8000)
					nd_puts(nd, " sec");
				else
					nd_puts(nd, " min");
			}
			break;
		case 0:
		case 1:
		case 4:
			break;
		default:
			datalen = len - 2;
			LENCHECK(datalen);
			if (datalen) {
				nd_puts(nd, " 0x");
				for (i = 0; i < datalen; i++)
					nd_printf(nd, "%02x", nd_u8(nd, cp + i));
			}
			break;
		}
#undef LENCHECK
		cp += datalen;
		hlen -= datalen;
		datalen++;
		if (opt != 0 && opt != 1)
			datalen++;
		if (datalen != len)
			nd_printf(nd, "[len %u]", len);
		ch = ',';
		if (opt == 0)
			break;
	}
	nd_puts(nd, "]");
	return;
bad:
	nd_puts(nd, "[bad opt]");
	if (ch)
		nd_puts(nd, "]");
}

static void tcp_flags(struct pc_nd *nd, uint8_t flags)
{
	static const char letters[] = "FSRP.UEW";
	char f[9];
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (flags & (1u << i))
			f[n++] = letters[i];
	f[n] = 0;
	nd_printf(nd, "Flags [%s]", n ? f : "none");
}

void nd_tcp_print(struct pc_nd *nd, const struct nd_ipinfo *ip, const uint8_t *p, uint32_t length)
{
	uint32_t hlen, seq, ack, thseq = 0, thack = 0;
	uint16_t sport, dport, win, urp;
	uint8_t flags;
	int rev = 0, isnew;

	nd->proto = "tcp";
	nd_ports_start(nd, ip, p);
	sport = nd_be16(nd, p);
	dport = nd_be16(nd, p + 2);
	nd_ports_print(nd, ip, sport, dport);
	nd_need(nd, p, 20);
	hlen = (uint32_t)(p[12] >> 4) * 4;
	if (hlen < 20) {
		nd_printf(nd, " tcp %u [bad hdr length %u - too short, < 20]", length - 20, hlen);
		return;
	}
	seq = nd_be32(nd, p + 4);
	ack = nd_be32(nd, p + 8);
	win = nd_be16(nd, p + 14);
	urp = nd_be16(nd, p + 18);
	if (nd->qflag) {
		nd_printf(nd, "tcp %u", length - hlen);
		if (hlen > length)
			nd_printf(nd, " [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}
	flags = p[13];
	tcp_flags(nd, flags);
	if (nd->seqs && (flags & 0x10)) {
		struct seq_entry *e = seq_find(nd->seqs, ip, sport, dport, &rev, &isnew);

		if (e && (isnew || (flags & 0x02))) {
			if (rev)
				e->ack = seq, e->seq = ack - 1;
			else
				e->seq = seq, e->ack = ack - 1;
		} else if (e) {
			if (rev)
				seq -= e->ack, ack -= e->seq;
			else
				seq -= e->seq, ack -= e->ack;
		}
		if (e)
			thseq = e->seq, thack = e->ack;
	}
	if (hlen > length) {
		nd_printf(nd, " [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}
	if (nd->vflag && !ip->fragmented && nd_have(nd, p, length)) {
		uint16_t sum = nd_l4_cksum(nd, ip, 6, p, length), tsum = nd_be16(nd, p + 16);

		nd_printf(nd, ", cksum 0x%04x", tsum);
		if (sum)
			nd_printf(nd, " (incorrect -> 0x%04x)", nd_cksum_shouldbe(tsum, sum));
		else
			nd_puts(nd, " (correct)");
	}
	length -= hlen;
	if (nd->vflag > 1 || length > 0 || (flags & 0x07)) {
		nd_printf(nd, ", seq %u", seq);
		if (length > 0)
			nd_printf(nd, ":%u", seq + length);
	}
	if (flags & 0x10)
		nd_printf(nd, ", ack %u", ack);
	nd_printf(nd, ", win %u", win);
	if (flags & 0x20)
		nd_printf(nd, ", urg %u", urp);
	if (hlen > 20)
		tcp_options(nd, p + 20, hlen - 20, rev, thseq, thack);
	nd_printf(nd, ", length %u", length);
	if (!length || (flags & 0x04))
		return;
	if (sport == 53 || dport == 53)
		nd_dns_print(nd, p + hlen, length, 1);
}
