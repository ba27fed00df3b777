/* tcpdump's text of DNS messages (port 53, UDP and TCP): the header flags,
 * the questions ("A? example.com.") and the answers ("A 192.0.2.1").
 * Not for mDNS, LLMNR or the additional sections of -vv. */
#include <stdio.h>
#include "packet/nd.h"

static const char *type_name(uint16_t t)
{
	switch (t) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 13:
		return "HINFO";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 17:
		return "RP";
	case 28:
		return "AAAA";
	case 29:
		return "LOC";
	case 33:
		return "SRV";
	case 35:
		return "NAPTR";
	case 39:
		return "DNAME";
	case 41:
		return "OPT";
	case 43:
		return "DS";
	case 44:
		return "SSHFP";
	case 46:
		return "RRSIG";
	case 47:
		return "NSEC";
	case 48:
		return "DNSKEY";
	case 50:
		return "NSEC3";
	case 52:
		return "TLSA";
	case 99:
		return "SPF";
	case 249:
		return "TKEY";
	case 250:
		return "TSIG";
	case 251:
		return "IXFR";
	case 252:
		return "AXFR";
	case 255:
		return "ANY";
	case 256:
		return "URI";
	case 257:
		return "CAA";
	default:
		return NULL;
	}
}

static void put_type(struct pc_nd *nd, uint16_t t)
{
	const char *n = type_name(t);

	if (n)
		nd_printf(nd, " %s", n);
	else
		nd_printf(nd, " Type%u", t);
}

static void put_class(struct pc_nd *nd, uint16_t c)
{
	if (c == 3)
		nd_puts(nd, " CHAOS");
	else if (c == 4)
		nd_puts(nd, " HS");
	else if (c == 255)
		nd_puts(nd, " ANY");
	else
		nd_printf(nd, " (Class %u)", c);
}

/* A label's bytes as tcpdump shows them: M- for the high bit, ^X for controls. */
static void put_label(struct pc_nd *nd, const uint8_t *cp, uint32_t l)
{
	uint32_t i;
	uint8_t c;

	nd_need(nd, cp, l);
	for (i = 0; i < l; i++) {
		c = cp[i];
		if (c & 0x80) {
			nd_puts(nd, "M-");
			c &= 0x7f;
		}
		if (c < 0x20 || c == 0x7f)
			nd_printf(nd, "^%c", c ^ 0x40);
		else
			nd_printf(nd, "%c", c);
	}
}

/* The name at cp (pointers into the message at bp); returns the byte after
 * it in the record, NULL for a bad pointer or label. */
static const uint8_t *name_print(struct pc_nd *nd, const uint8_t *cp, const uint8_t *bp)
{
	const uint8_t *rp = NULL;
	uint32_t max_off = (uint32_t)(cp - bp), off;
	uint8_t i;
	int hops = 0;

	i = nd_u8(nd, cp++);
	if (!i) {
		nd_puts(nd, ".");
		return cp;
	}
	while (i) {
		if ((i & 0xc0) == 0xc0) {
			off = (uint32_t)(i & 0x3f) << 8 | nd_u8(nd, cp);
			if (!rp)
				rp = cp + 1;
			if (off >= max_off || ++hops > 128) {
				nd_puts(nd, "<BAD PTR>");
				return NULL;
			}
			max_off = off;
			cp = bp + off;
			i = nd_u8(nd, cp++);
			continue;
		}
		if (i & 0xc0) {
			nd_printf(nd, "<ELT %d>", i >> 6);
			return NULL;
		}
		put_label(nd, cp, i);
		cp += i;
		nd_puts(nd, ".");
		i = nd_u8(nd, cp++);
	}
	return rp ? rp : cp;
}

static const uint8_t *name_skip(struct pc_nd *nd, const uint8_t *cp)
{
	uint8_t i;

	for (;;) {
		i = nd_u8(nd, cp++);
		if ((i & 0xc0) == 0xc0)
			return cp + 1;
		if (i & 0xc0)
			return NULL;
		if (!i)
			return cp;
		cp += i;
	}
}

static const uint8_t *question(struct pc_nd *nd, const uint8_t *cp, const uint8_t *bp)
{
	const uint8_t *np = cp;
	uint16_t c;

	cp = name_skip(nd, cp);
	if (!cp || !nd_have(nd, cp, 4))
		return NULL;
	put_type(nd, nd_be16(nd, cp));
	c = nd_be16(nd, cp + 2);
	if (c != 1)
		put_class(nd, c);
	nd_puts(nd, "? ");
	cp = name_print(nd, np, bp);
	return cp ? cp + 4 : NULL;
}

static const uint8_t *answer(struct pc_nd *nd, const uint8_t *cp, const uint8_t *bp)
{
	uint16_t typ, c, len;
	const uint8_t *rp;
	char a[46];

	if (nd->vflag) {
		nd_puts(nd, " ");
		cp = name_print(nd, cp, bp);
	} else {
		cp = name_skip(nd, cp);
	}
	if (!cp || !nd_have(nd, cp, 10))
		return nd->end;
	typ = nd_be16(nd, cp);
	c = nd_be16(nd, cp + 2);
	if (c != 1 && typ != 41)
		put_class(nd, c);
	len = nd_be16(nd, cp + 8);
	cp += 10;
	rp = cp + len;
	put_type(nd, typ);
	if (!nd_have(nd, cp, len))
		return NULL;
	switch (typ) {
	case 1:
		nd_printf(nd, " %s", nd_ip4(nd, cp, a));
		break;
	case 28:
		nd_printf(nd, " %s", nd_ip6(nd, cp, a));
		break;
	case 2:
	case 5:
	case 12:
	case 39:
		nd_puts(nd, " ");
		if (!name_print(nd, cp, bp))
			return NULL;
		break;
	case 15:
		nd_puts(nd, " ");
		if (!name_print(nd, cp + 2, bp))
			return NULL;
		nd_printf(nd, " %u", nd_be16(nd, cp));
		break;
	default:
		break;
	}
	return rp;
}

static const char *rcode(uint8_t r)
{
	static const char *const names[] = {"",		" FormErr", " ServFail", " NXDomain",
					    " NotImp",	" Refused", " YXDomain", " YXRRSet",
					    " NXRRSet", " NotAuth", " NotZone"};
	static char buf[16];

	if (r < sizeof(names) / sizeof(names[0]))
		return names[r];
	snprintf(buf, sizeof(buf), " Resp%u", r);
	return buf;
}

static const char *opname(uint8_t op)
{
	static const char *const names[] = {"",		" inv_q",    " stat",	  " op3",
					    " notify",	" update",   " op6",	  " op7",
					    " op8",	" updateA",  " updateD",  " updateDA",
					    " updateM", " updateMA", " zoneInit", " zoneRef"};

	return names[op & 15];
}

static void message(struct pc_nd *nd, const uint8_t *bp, uint32_t length)
{
	const uint8_t *cp = bp + 12;
	uint16_t qd, an, ns, ar, b2;
	uint8_t f1, f2;

	nd->proto = "domain";
	if (length < 12) {
		nd_printf(nd, " [DNS header length %u < 12] (invalid)", length);
		return;
	}
	nd_need(nd, bp, 12);
	f1 = bp[2];
	f2 = bp[3];
	qd = nd_be16(nd, bp + 4);
	an = nd_be16(nd, bp + 6);
	ns = nd_be16(nd, bp + 8);
	ar = nd_be16(nd, bp + 10);
	if (f1 & 0x80) {
		nd_printf(nd, "%u%s%s%s%s%s%s", nd_be16(nd, bp), opname(f1 >> 3 & 15),
			  rcode(f2 & 15), f1 & 0x04 ? "*" : "", f2 & 0x80 ? "" : "-",
			  f1 & 0x02 ? "|" : "", f2 & 0x20 ? "$" : "");
		if (qd != 1)
			nd_printf(nd, " [%uq]", qd);
		while (qd--) {
			if (nd->vflag > 1) {
				nd_puts(nd, " q:");
				cp = question(nd, cp, bp);
			} else {
				cp = name_skip(nd, cp);
				cp = cp ? cp + 4 : NULL;
			}
			if (!cp)
				nd_trunc(nd);
		}
		nd_printf(nd, " %u/%u/%u", an, ns, ar);
		if (an) {
			if (!(cp = answer(nd, cp, bp)))
				nd_trunc(nd);
			an--;
			while (cp < nd->end && an) {
				nd_puts(nd, ",");
				if (!(cp = answer(nd, cp, bp)))
					nd_trunc(nd);
				an--;
			}
		}
		if (an)
			nd_trunc(nd);
	} else {
		nd_printf(nd, "%u%s%s%s", nd_be16(nd, bp), opname(f1 >> 3 & 15),
			  f1 & 0x01 ? "+" : "", f2 & 0x10 ? "%" : "");
		b2 = (uint16_t)(f1 << 8 | f2);
		if (b2 & 0x6cf)
			nd_printf(nd, " [b2&3=0x%x]", b2);
		if (qd != 1)
			nd_printf(nd, " [%uq]", qd);
		if (an)
			nd_printf(nd, " [%ua]", an);
		if (ns)
			nd_printf(nd, " [%un]", ns);
		if (ar)
			nd_printf(nd, " [%uau]", ar);
		if (qd) {
			if (!(cp = question(nd, cp, bp)))
				nd_trunc(nd);
			qd--;
			while (cp < nd->end && qd) {
				if (!(cp = question(nd, cp, bp)))
					nd_trunc(nd);
				qd--;
			}
		}
		if (qd)
			nd_trunc(nd);
	}
	nd_printf(nd, " (%u)", length);
}

void nd_dns_print(struct pc_nd *nd, const uint8_t *p, uint32_t len, int over_tcp)
{
	uint16_t plen;

	if (over_tcp) {
		if (len < 2) {
			nd_printf(nd, " [DNS over TCP: length %u < 2] (invalid)", len);
			return;
		}
		len -= 2;
		plen = nd_be16(nd, p);
		if (plen != len) {
			nd_printf(nd, " [prefix length(%u) != length(%u)] (invalid)", plen, len);
			return;
		}
		p += 2;
		nd_puts(nd, " ");
	}
	message(nd, p, len);
}
