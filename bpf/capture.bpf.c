/* Packet capture: cgroup_skb ingress/egress on the cgroup v2 root. Reads
 * the owner that owner.bpf.c stored on the socket (and, on loopback, the
 * receiving socket's owner), names the sender itself where the packet
 * leaves in its sender's context, applies the in-kernel process filters
 * and sends the packet with both owners to user space through the ring
 * buffer. Not for other owner hooks (owner.bpf.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "owner.bpf.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define LOOPBACK_IFINDEX 1
#define SOCK_STREAM_ 1
#define SOCK_DGRAM_ 2
#define SOCK_RAW_ 3


#ifndef PC_COMPAT
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* Interface name and namespace through BTF pointers: plain loads. */
static __always_inline void read_dev(struct __sk_buff *skb, struct pc_packet *hdr)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct net_device *dev = kskb ? kskb->dev : NULL;

	if (!dev)
		return;
	__builtin_memcpy(hdr->ifname, dev->name, sizeof(hdr->ifname));
	hdr->netns = dev->nd_net.net->ns.inum;
}

static __always_inline __u32 read_netns(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct net_device *dev = kskb ? kskb->dev : NULL;

	return dev ? dev->nd_net.net->ns.inum : 0;
}

/* Is the packet's socket locked by a process (lock_sock), as in sendmsg,
 * recvmsg, connect and close, and when the backlog is processed on
 * release? Then that process is "current": TCP sends from softirq and
 * timers defer while a process holds the lock. */
static __always_inline int sock_owned_by_user(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct sock *sk = kskb ? kskb->sk : NULL;

	return sk && sk->sk_lock.owned;
}

/* Does the packet's socket belong to a file, as every socket a process
 * made does (kernel sockets, such as those that send resets and ICMP
 * errors, have none)? */
static __always_inline int sock_has_file(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct sock *sk = kskb ? kskb->sk : NULL;
	struct socket *sock = sk ? sk->sk_socket : NULL;

	return sock && sock->file;
}
#else
/* Kernels before 6.2 lack bpf_cast_to_kern_ctx: the context is the
 * kernel's sk_buff all the same, read through probe reads. */
static __always_inline void read_dev(struct __sk_buff *skb, struct pc_packet *hdr)
{
	struct sk_buff *kskb = (struct sk_buff *)skb;
	struct net_device *dev = BPF_CORE_READ(kskb, dev);

	if (!dev)
		return;
	BPF_CORE_READ_STR_INTO(&hdr->ifname, dev, name);
	hdr->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

static __always_inline __u32 read_netns(struct __sk_buff *skb)
{
	struct sk_buff *kskb = (struct sk_buff *)skb;

	return BPF_CORE_READ(kskb, dev, nd_net.net, ns.inum);
}

static __always_inline int sock_owned_by_user(struct __sk_buff *skb)
{
	struct sk_buff *kskb = (struct sk_buff *)skb;

	return BPF_CORE_READ(kskb, sk, sk_lock.owned) != 0;
}

static __always_inline int sock_has_file(struct __sk_buff *skb)
{
	struct sk_buff *kskb = (struct sk_buff *)skb;

	return BPF_CORE_READ(kskb, sk, sk_socket, file) != NULL;
}
#endif

/* What the packet hook knows about the L3/L4 header, enough for a socket
 * lookup on loopback. */
struct flow {
	struct bpf_sock_tuple tuple;
	__u16 hdr_len;  /* IP + L4 header bytes: the rest is payload */
	__u8 proto;
	__u8 parsed;    /* addresses (and ports for TCP/UDP) are valid */
	__u8 ok;        /* TCP or UDP: a socket lookup can find the peer */
};

/* Walks IPv6 extension headers (hop-by-hop, as BIG TCP's jumbo option on
 * loopback, routing, fragment, destination options) to the upper layer.
 * Returns nonzero when there is no L4 header to read. */
static __always_inline int skip_ipv6_ext(struct __sk_buff *skb, __u8 nexthdr, __u8 *proto,
					 __u16 *off)
{
	struct {
		__u8 nexthdr;
		__u8 len;
		__u16 frag_off; /* fragment header only */
	} h;
	__u16 at = 40;

	for (int i = 0; i < 6; i++) {
		if (nexthdr != 0 && nexthdr != 43 && nexthdr != 44 && nexthdr != 60)
			break;
		if (bpf_skb_load_bytes(skb, at, &h, sizeof(h)))
			return 1;
		if (nexthdr == 44) {
			if (h.frag_off & bpf_htons(0xfff8))
				return 1;
			at += 8;
		} else {
			at += (h.len + 1) * 8;
		}
		nexthdr = h.nexthdr;
	}
	*proto = nexthdr;
	*off = at;
	return 0;
}

static __always_inline void parse_flow(struct __sk_buff *skb, __u16 l3proto,
				       struct flow *f)
{
	__u16 l4_off;
	__u8 doff;

	f->ok = f->parsed = 0;
	f->hdr_len = 0;
	if (l3proto == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return;
		if (ip.ihl < 5)
			return;
		l4_off = ip.ihl * 4;
		f->proto = ip.protocol;
		f->tuple.ipv4.saddr = ip.saddr;
		f->tuple.ipv4.daddr = ip.daddr;
		f->tuple.ipv4.sport = f->tuple.ipv4.dport = 0;
		f->parsed = 1;
		f->hdr_len = l4_off;
		if (ip.frag_off & bpf_htons(0x1fff))
			return; /* not the first fragment: no L4 header */
	} else {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return;
		__builtin_memcpy(f->tuple.ipv6.saddr, &ip6.saddr, 16);
		__builtin_memcpy(f->tuple.ipv6.daddr, &ip6.daddr, 16);
		f->tuple.ipv6.sport = f->tuple.ipv6.dport = 0;
		f->parsed = 1;
		f->proto = ip6.nexthdr;
		f->hdr_len = sizeof(ip6);
		if (skip_ipv6_ext(skb, ip6.nexthdr, &f->proto, &l4_off))
			return; /* not the first fragment, or cut */
		f->hdr_len = l4_off;
	}
	if (f->proto == IPPROTO_TCP_) {
		if (bpf_skb_load_bytes(skb, l4_off + 12, &doff, 1))
			return;
		f->hdr_len = l4_off + (doff >> 4) * 4;
	} else if (f->proto == IPPROTO_UDP_ || f->proto == 1 || f->proto == 58) {
		f->hdr_len = l4_off + 8; /* UDP, ICMP, ICMPv6 headers */
	}
	if (f->proto != IPPROTO_TCP_ && f->proto != IPPROTO_UDP_)
		return;
	if (l3proto == ETH_P_IP) {
		if (bpf_skb_load_bytes(skb, l4_off, &f->tuple.ipv4.sport, 4))
			return;
	} else if (bpf_skb_load_bytes(skb, l4_off, &f->tuple.ipv6.sport, 4)) {
		return;
	}
	f->ok = 1;
}

static __always_inline void swap_flow(struct flow *f, __u16 l3proto)
{
	__u16 port = f->tuple.ipv4.sport;

	if (l3proto == ETH_P_IP) {
		__u32 a = f->tuple.ipv4.saddr;

		f->tuple.ipv4.saddr = f->tuple.ipv4.daddr;
		f->tuple.ipv4.daddr = a;
		f->tuple.ipv4.sport = f->tuple.ipv4.dport;
		f->tuple.ipv4.dport = port;
	} else {
		__u32 a[4];

		__builtin_memcpy(a, f->tuple.ipv6.saddr, 16);
		__builtin_memcpy(f->tuple.ipv6.saddr, f->tuple.ipv6.daddr, 16);
		__builtin_memcpy(f->tuple.ipv6.daddr, a, 16);
		port = f->tuple.ipv6.sport;
		f->tuple.ipv6.sport = f->tuple.ipv6.dport;
		f->tuple.ipv6.dport = port;
	}
}

/* The local socket that receives f (a packet-direction tuple), or NULL.
 * Sizes are constants in each branch, as the verifier requires. */
static __always_inline struct bpf_sock *lookup_peer(struct __sk_buff *skb, struct flow *f,
						    __u16 l3proto)
{
	if (f->proto == IPPROTO_TCP_) {
		if (l3proto == ETH_P_IP)
			return (struct bpf_sock *)bpf_sk_lookup_tcp(
				skb, &f->tuple, sizeof(f->tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
		return (struct bpf_sock *)bpf_sk_lookup_tcp(
			skb, &f->tuple, sizeof(f->tuple.ipv6), BPF_F_CURRENT_NETNS, 0);
	}
	if (l3proto == ETH_P_IP)
		return (struct bpf_sock *)bpf_sk_lookup_udp(
			skb, &f->tuple, sizeof(f->tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	return (struct bpf_sock *)bpf_sk_lookup_udp(skb, &f->tuple, sizeof(f->tuple.ipv6),
						    BPF_F_CURRENT_NETNS, 0);
}

/* The owner of sk: the value stored on the socket, else the one the
 * iterator found for a socket older than pidcap; with pc_sys_enter, the
 * last syscall's user when it is newer. A value copied from a
 * listener (BPF_F_CLONE) that no process of the connection has replaced
 * yet names the listener's process: flagged so that user space can wait
 * for the claim. */
static __always_inline int read_owner(struct bpf_sock *sk, struct pc_owner *out,
				      __u64 *sk_addr)
{
	struct pc_owner *o, *u;
	__u64 key = (__u64)sk;

	*sk_addr = key;
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (!o)
		o = bpf_map_lookup_elem(&seeds, &key);
	if (settings.syscall_owners) {
		u = bpf_map_lookup_elem(&users, &key);
		if (u && (!o || u->written_ns > o->written_ns))
			o = u;
	}
	if (!o)
		return 0;
	*out = *o;
	if (owner_is_listeners(o, key))
		return PC_PKT_OWNER | PC_PKT_OWNER_LISTENER;
	return PC_PKT_OWNER;
}

/* Does this packet leave in its sender's context? UDP, ping and raw
 * sockets send only from the sending call; TCP sends from softirq and
 * timers too, but never while a process holds the socket's lock: then it
 * is that process. Only user sockets (those with an owner) qualify:
 * kernel sockets (ICMP errors, resets) send for nobody. */
static __always_inline int sent_by_current(struct __sk_buff *skb, struct bpf_sock *sk)
{
	if (sk->type == SOCK_DGRAM_ || sk->type == SOCK_RAW_)
		return 1;
	return sk->type == SOCK_STREAM_ && sk->protocol == IPPROTO_TCP_ &&
	       sock_owned_by_user(skb);
}

/* A packet leaving in its sender's context names the sender, even on the
 * first packet after a hand-over (fork, exec, SCM_RIGHTS, io_uring,
 * splice), and the socket remembers it for the packets that follow. */
static __always_inline void owner_from_sender(struct __sk_buff *skb, struct bpf_sock *sk,
					      __u16 l3proto)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pc_claim_addrs a = {};
	struct flow f;
	struct pc_owner *o;
	__u64 key = (__u64)sk;
	int was_listener;

	if (sk->family != AF_INET && sk->family != AF_INET6)
		return;
	/* the same thread again, as on nearly every packet: one lookup and
	 * plain loads from the task, where bpf_get_current_comm and a probe
	 * read for the kernel-thread test cost about 100 ns */
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (o && owner_is_task_exactly(o, key, t))
		return;
	if (!o && !sock_has_file(skb))
		return; /* not a socket a process made */
	if (!sent_by_current(skb, sk) || (t->flags & PF_KTHREAD))
		return;
	if (!o)
		o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	was_listener = owner_is_listeners(o, key);
	owner_from_current(o, PC_HOOK_EGRESS, key);
	if (!was_listener)
		return;
	/* the connection's addresses from the packet: local is the source */
	parse_flow(skb, l3proto, &f);
	if (!f.ok)
		return;
	if (l3proto == ETH_P_IP) {
		a.family = AF_INET;
		__builtin_memcpy(a.laddr, &f.tuple.ipv4.saddr, 4);
		__builtin_memcpy(a.raddr, &f.tuple.ipv4.daddr, 4);
		a.lport = bpf_ntohs(f.tuple.ipv4.sport);
		a.rport = bpf_ntohs(f.tuple.ipv4.dport);
	} else {
		a.family = AF_INET6;
		__builtin_memcpy(a.laddr, f.tuple.ipv6.saddr, 16);
		__builtin_memcpy(a.raddr, f.tuple.ipv6.daddr, 16);
		a.lport = bpf_ntohs(f.tuple.ipv6.sport);
		a.rport = bpf_ntohs(f.tuple.ipv6.dport);
	}
	a.netns = read_netns(skb);
	emit_claim(o, key, &a);
}

/* Is cgroup id in the cgroup filter? enum pc_cgroup_verdict: the first
 * time an id is met it is ASKED, and user space answers. */
static __always_inline int cgroup_verdict(__u64 id)
{
	__u8 asked = PC_CG_ASKED, *v;
	struct pc_cgroup_cache *c;
	struct pc_cgroup_ask *r;
	__u32 zero = 0;

	if (!id)
		return PC_CG_NO;
	c = bpf_map_lookup_elem(&cgroup_cache, &zero);
	if (c) {
		__u64 e0 = c->entry[0], e1 = c->entry[1];

		/* id is not 0: an empty entry never matches */
		if (e0 >> 8 == id)
			return e0 & 0xff;
		if (e1 >> 8 == id)
			return e1 & 0xff;
	}
	v = bpf_map_lookup_elem(&cgroup_verdicts, &id);
	if (v) {
		__u8 verdict = *v;

		if (c && verdict != PC_CG_ASKED && !(id >> 56)) {
			c->entry[1] = c->entry[0];
			c->entry[0] = id << 8 | verdict;
		}
		return verdict;
	}
	if (bpf_map_update_elem(&cgroup_verdicts, &id, &asked, BPF_NOEXIST))
		return PC_CG_ASKED; /* another CPU asked first */
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		/* lost: the next packet asks again */
		bpf_map_delete_elem(&cgroup_verdicts, &id);
		count(PC_CNT_EVENT_DROPPED);
		return PC_CG_ASKED;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->type = PC_REC_CGROUP;
	r->cgroup_id = id;
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return PC_CG_ASKED;
}

/* A socket's own cgroup (where it was made), for a socket without an
 * owner: the owner's cgroup decides otherwise. Only a known YES counts (an
 * unknown one is asked about for the next packets). */
static __always_inline int sock_in_cgroup(struct bpf_sock *sk)
{
	if (!settings.filter_cgroup_on || !sk)
		return 0;
	return cgroup_verdict(bpf_sk_cgroup_id(sk)) == PC_CG_YES;
}

/* Names the local socket that receives f (a packet-direction tuple) as the
 * packet's peer. Returns whether that socket is in the --cgroup filter. */
static __always_inline int add_peer(struct __sk_buff *skb, struct flow *f, __u16 l3proto,
				    struct pc_packet *hdr)
{
	struct bpf_sock *peer = lookup_peer(skb, f, l3proto);
	int pf, in_cgroup;

	if (!peer)
		return 0;
	pf = read_owner(peer, &hdr->peer, &hdr->peer_sk);
	if (pf & PC_PKT_OWNER)
		hdr->flags |= PC_PKT_PEER;
	if (pf & PC_PKT_OWNER_LISTENER)
		hdr->flags |= PC_PKT_PEER_LISTENER;
	/* its owner's cgroup decides; the socket's only without one */
	in_cgroup = !(pf & PC_PKT_OWNER) && sock_in_cgroup(peer);
	bpf_sk_release(peer);
	return in_cgroup;
}

/* f is an ICMP or ICMPv6 error (destination unreachable, time exceeded,
 * parameter problem, packet too big) quoting a TCP or UDP packet: fills
 * `quoted` with the tuple of a packet arriving at the socket that sent the
 * quoted one (the error's receiver). Returns nonzero otherwise. */
static __always_inline int icmp_error_quote(struct __sk_buff *skb, __u16 l3proto,
					    const struct flow *f, struct flow *quoted)
{
	__u16 l4_off = f->hdr_len - 8, in_off = f->hdr_len;
	__u16 ports[2];
	__u8 type;

	if (bpf_skb_load_bytes(skb, l4_off, &type, 1))
		return 1;
	quoted->ok = quoted->parsed = 0;
	if (l3proto == ETH_P_IP) {
		struct iphdr in;

		if (f->proto != 1 || (type != 3 && type != 11 && type != 12) ||
		    bpf_skb_load_bytes(skb, in_off, &in, sizeof(in)) || in.ihl < 5 ||
		    (in.frag_off & bpf_htons(0x1fff)))
			return 1;
		if (bpf_skb_load_bytes(skb, in_off + in.ihl * 4, ports, sizeof(ports)))
			return 1;
		quoted->proto = in.protocol;
		quoted->tuple.ipv4.saddr = in.daddr;
		quoted->tuple.ipv4.daddr = in.saddr;
		quoted->tuple.ipv4.sport = ports[1];
		quoted->tuple.ipv4.dport = ports[0];
	} else {
		struct ipv6hdr in;

		if (f->proto != 58 || type < 1 || type > 4 ||
		    bpf_skb_load_bytes(skb, in_off, &in, sizeof(in)) ||
		    bpf_skb_load_bytes(skb, in_off + sizeof(in), ports, sizeof(ports)))
			return 1;
		quoted->proto = in.nexthdr;
		__builtin_memcpy(quoted->tuple.ipv6.saddr, &in.daddr, 16);
		__builtin_memcpy(quoted->tuple.ipv6.daddr, &in.saddr, 16);
		quoted->tuple.ipv6.sport = ports[1];
		quoted->tuple.ipv6.dport = ports[0];
	}
	if (quoted->proto != IPPROTO_TCP_ && quoted->proto != IPPROTO_UDP_)
		return 1;
	quoted->ok = quoted->parsed = 1;
	return 0;
}

/* Counting mode, flows full: the entry of the key's process and direction
 * in flows_fold (NULL, counted, when that is full too). */
static __always_inline struct pc_flow_val *count_fold(const struct pc_flow_key *k,
						      const struct pc_flow_val *init)
{
	struct pc_flow_key fk = {};
	struct pc_flow_val *v;

	fk.pid = k->pid;
	fk.dir = k->dir;
	v = bpf_map_lookup_elem(&flows_fold, &fk);
	if (v)
		return v;
	bpf_map_update_elem(&flows_fold, &fk, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&flows_fold, &fk);
	if (!v)
		count(PC_CNT_FLOWS_LOST);
	return v;
}

/* Counting mode: adds the packet to the owner's connection. `local_is_src`
 * says which end of the packet is the owner's. */
static __always_inline void count_flow(struct __sk_buff *skb, const struct flow *f,
				       __u16 l3proto, const struct pc_owner *o, __u8 dir,
				       int local_is_src, __u32 netns)
{
	struct pc_flow_key key = {};
	struct pc_flow_val *v, init = {};
	__u32 segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	__u64 bytes = skb->len + (__u64)(segs - 1) * f->hdr_len;
	__u64 payload = skb->len > f->hdr_len ? skb->len - f->hdr_len : 0;

	key.pid = o ? o->pid : 0;
	key.netns = netns;
	key.dir = dir;
	key.proto = f->proto;
	if (l3proto == ETH_P_IP) {
		key.family = 4;
		__builtin_memcpy(key.laddr, local_is_src ? &f->tuple.ipv4.saddr : &f->tuple.ipv4.daddr, 4);
		__builtin_memcpy(key.raddr, local_is_src ? &f->tuple.ipv4.daddr : &f->tuple.ipv4.saddr, 4);
		key.lport = bpf_ntohs(local_is_src ? f->tuple.ipv4.sport : f->tuple.ipv4.dport);
		key.rport = bpf_ntohs(local_is_src ? f->tuple.ipv4.dport : f->tuple.ipv4.sport);
	} else {
		key.family = 6;
		__builtin_memcpy(key.laddr, local_is_src ? f->tuple.ipv6.saddr : f->tuple.ipv6.daddr, 16);
		__builtin_memcpy(key.raddr, local_is_src ? f->tuple.ipv6.daddr : f->tuple.ipv6.saddr, 16);
		key.lport = bpf_ntohs(local_is_src ? f->tuple.ipv6.sport : f->tuple.ipv6.dport);
		key.rport = bpf_ntohs(local_is_src ? f->tuple.ipv6.dport : f->tuple.ipv6.sport);
	}
	if (!o) { /* kernel-generated: one entry, not one per remote end */
		__builtin_memset(key.laddr, 0, sizeof(key.laddr));
		__builtin_memset(key.raddr, 0, sizeof(key.raddr));
		key.lport = key.rport = 0;
	}
	v = bpf_map_lookup_elem(&flows, &key);
	if (!v) {
		if (o) {
			init.uid = o->uid;
			init.tid = o->tid;
			__builtin_memcpy(init.comm, o->comm, sizeof(init.comm));
		}
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&flows, &key);
		if (!v) { /* full: the process's total instead of the connection */
			count(PC_CNT_FLOWS_FULL);
			v = count_fold(&key, &init);
			if (!v)
				return;
		}
	}
	v->bytes += bytes;
	v->payload += payload;
	v->packets += segs;
	v->last_ns = bpf_ktime_get_ns();
	if (o)
		v->tid = o->tid;
}

/* Does o pass the process filters? enum pc_cgroup_verdict: ASKED when
 * only the cgroup filter is undecided. */
static __always_inline int owner_matches(const struct pc_owner *o)
{
	if (!o->pid)
		return PC_CG_NO;
	if (settings.filter_pids_on && !bpf_map_lookup_elem(&filter_pids, &o->pid))
		return PC_CG_NO;
	if (settings.filter_uid_on && o->uid != settings.filter_uid)
		return PC_CG_NO;
	if (settings.filter_comm_on) {
		for (int i = 0; i < PC_COMM_LEN; i++) {
			if (o->comm[i] != settings.filter_comm[i])
				return PC_CG_NO;
			if (!settings.filter_comm[i])
				break;
		}
	}
	if (settings.filter_cgroup_on)
		return cgroup_verdict(o->cgroup_id);
	return PC_CG_YES;
}

static __always_inline int filters_on(void)
{
	return settings.filter_pids_on || settings.filter_comm_on || settings.filter_uid_on || settings.filter_cgroup_on;
}

#define EMIT_BUCKET(size)                                                     \
	if (caplen <= (size)) {                                               \
		struct pc_packet *r;                                          \
		r = bpf_ringbuf_reserve(&events, sizeof(*r) + (size), 0);     \
		if (!r)                                                       \
			goto dropped;                                         \
		__builtin_memcpy(r, hdr, sizeof(*r));                         \
		if (load_packet(skb, r->data, caplen, (size)))                \
			r->caplen = 0;                                        \
		bpf_ringbuf_submit(r, wakeup_flags());                        \
		return;                                                       \
	}

/* Copies len bytes from the IP header on. The bound is checked on len - 1
 * (wrapping for 0) in the register that is passed on, so that verifiers
 * older than 6.18 also see len in [1, max]. */
static __always_inline int load_packet(struct __sk_buff *skb, void *dst, __u64 len, __u64 max)
{
	__u64 n = len - 1;

	asm volatile("" : "+r"(n));
	if (n >= max)
		return 0;
	return bpf_skb_load_bytes(skb, 0, dst, n + 1);
}

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= settings.wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct __sk_buff *skb, struct pc_packet *hdr)
{
	__u32 caplen = hdr->caplen;

	if (caplen > 65536)
		caplen = hdr->caplen = 65536;
	EMIT_BUCKET(128)
	EMIT_BUCKET(512)
	EMIT_BUCKET(2048)
	EMIT_BUCKET(16384)
	EMIT_BUCKET(65536)
	return;
dropped:
	count(PC_CNT_DROPPED);
}

static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	struct pc_packet hdr = {};
	struct bpf_sock *sk, *full;
	__u16 l3proto = bpf_ntohs(skb->protocol);
	struct flow f;
	int is_lo, peer_in_cgroup = 0;

	if (l3proto != ETH_P_IP && l3proto != ETH_P_IPV6)
		return;
	is_lo = skb->ifindex == LOOPBACK_IFINDEX;
	f.ok = f.parsed = 0;
	if (is_lo || settings.count_mode)
		parse_flow(skb, l3proto, &f);
	if (is_lo) {
		/* Each loopback TCP/UDP packet is reported once, at egress,
		 * with the receiving socket's owner as the peer. */
		if (dir == PC_DIR_IN && f.ok && settings.want_out)
			return;
	}

	sk = skb->sk;
	if (sk) {
		full = bpf_sk_fullsock(sk);
		if (!full)
			full = bpf_get_listener_sock(sk);
		if (full)
			hdr.flags |= read_owner(full, &hdr.owner, &hdr.owner_sk);
		hdr.cookie = bpf_get_socket_cookie(skb);
	} else {
		hdr.flags |= PC_PKT_NO_SOCKET;
	}

	if (f.ok && is_lo) {
		struct flow rev = f;

		if (dir == PC_DIR_IN)
			swap_flow(&rev, l3proto);
		peer_in_cgroup = add_peer(skb, &rev, l3proto, &hdr);
	} else if (is_lo && dir == PC_DIR_OUT && f.parsed) {
		/* a loopback ICMP error goes to the socket that sent the
		 * packet it quotes: its owner receives it */
		struct flow quoted;

		if (!icmp_error_quote(skb, l3proto, &f, &quoted))
			peer_in_cgroup = add_peer(skb, &quoted, l3proto, &hdr);
	}

	if (filters_on()) {
		int om = (hdr.flags & PC_PKT_OWNER) ? owner_matches(&hdr.owner) : PC_CG_NO;
		int pm = (hdr.flags & PC_PKT_PEER) ? owner_matches(&hdr.peer) : PC_CG_NO;

		if (om != PC_CG_YES && pm != PC_CG_YES && !peer_in_cgroup &&
		    ((hdr.flags & PC_PKT_OWNER) || !sock_in_cgroup(sk ? bpf_sk_fullsock(sk) : 0))) {
			if (om != PC_CG_ASKED && pm != PC_CG_ASKED) {
				count(PC_CNT_FILTERED);
				return;
			}
			/* user space decides, once it knows the cgroup */
			if (om == PC_CG_ASKED)
				hdr.flags |= PC_PKT_OWNER_CG_PENDING;
			if (pm == PC_CG_ASKED)
				hdr.flags |= PC_PKT_PEER_CG_PENDING;
		}
	}
	if ((dir == PC_DIR_IN && !settings.want_in) || (dir == PC_DIR_OUT && !settings.want_out))
		return;

	count(PC_CNT_SEEN);
	if (!(hdr.flags & PC_PKT_OWNER))
		count(PC_CNT_NO_OWNER);
	read_dev(skb, &hdr);
	if (settings.count_mode) {
		if (!f.parsed)
			return;
		count_flow(skb, &f, l3proto, (hdr.flags & PC_PKT_OWNER) ? &hdr.owner : 0, dir,
			   dir == PC_DIR_OUT, hdr.netns);
		/* the receiving end of a loopback packet is counted here too */
		if (hdr.flags & PC_PKT_PEER)
			count_flow(skb, &f, l3proto, &hdr.peer, PC_DIR_IN, dir != PC_DIR_OUT,
				   hdr.netns);
		return;
	}
	hdr.type = PC_REC_PACKET;
	hdr.dir = dir;
	hdr.ifindex = skb->ifindex;
	hdr.ts_ns = bpf_ktime_get_ns();
	hdr.len = skb->len;
	hdr.gso_segs = skb->gso_segs ? skb->gso_segs : 1;
	hdr.l3proto = l3proto;
	hdr.caplen = skb->len < settings.snaplen ? skb->len : settings.snaplen;
	emit(skb, &hdr);
}

/* A listener older than pidcap has its owner in `seeds`, not in socket
 * storage, so the connections it accepts would start with no copy of it
 * (BPF_F_CLONE copies storage): at its first SYN or SYN-ACK, the seed
 * becomes its storage, marked as a listener's, before any connection is
 * cloned from it. Before the filter expression, which may drop these. */
static __always_inline void adopt_listener_seed(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk, *l;
	struct pc_owner *seed, *o;
	__u64 key;

	/* the state is readable on any socket: other packets end here,
	 * without a helper call */
	if (!sk || (sk->state != 10 /* TCP_LISTEN */ && sk->state != 12 /* TCP_NEW_SYN_RECV */))
		return;
	l = bpf_sk_fullsock(sk);
	if (!l)
		l = bpf_get_listener_sock(sk); /* a SYN-ACK's request socket */
	if (!l || l->state != 10 /* TCP_LISTEN */ || bpf_sk_storage_get(&owners, l, 0, 0))
		return;
	key = (__u64)l;
	seed = bpf_map_lookup_elem(&seeds, &key);
	if (!seed)
		return;
	o = bpf_sk_storage_get(&owners, l, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	*o = *seed;
	o->listener = 1;
}

/* With a filter expression, its program (generated in user space from
 * libpcap's classic BPF) runs first, before anything is read or reserved,
 * and tail-calls pc_egress_cont / pc_ingress_cont for the packets it
 * accepts; the others end there. Where the kernel refused that program its
 * slot is empty, the tail call falls through and user space filters. */
SEC("cgroup_skb/egress")
int pc_egress(struct __sk_buff *skb)
{
	adopt_listener_seed(skb);
	if (settings.kfilter_on && settings.want_out)
		bpf_tail_call(skb, &kfilter_out, PC_KF_FILTER);
	capture(skb, PC_DIR_OUT);
	return 1;
}

/* The capture of packets the filter expression accepted: reached only by
 * tail call (slot PC_KF_CAPTURE), never attached; loaded only with one. */
SEC("cgroup_skb/egress")
int pc_egress_cont(struct __sk_buff *skb)
{
	capture(skb, PC_DIR_OUT);
	return 1;
}

/* Runs before pc_egress (attached first): names the sender of a packet
 * that leaves in its sender's context. A program of its own because
 * kernels before 6.18 do not let cgroup_skb programs read "current":
 * there pidcap runs without it (and with pc_sys_enter instead). */
SEC("cgroup_skb/egress")
int pc_egress_sender(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk, *full;
	__u16 l3proto = bpf_ntohs(skb->protocol);

	if (!sk || (l3proto != ETH_P_IP && l3proto != ETH_P_IPV6))
		return 1;
	full = bpf_sk_fullsock(sk);
	if (full)
		owner_from_sender(skb, full, l3proto);
	return 1;
}

SEC("cgroup_skb/ingress")
int pc_ingress(struct __sk_buff *skb)
{
	adopt_listener_seed(skb);
	if (settings.kfilter_on && settings.want_in)
		bpf_tail_call(skb, &kfilter_in, PC_KF_FILTER);
	capture(skb, PC_DIR_IN);
	return 1;
}

SEC("cgroup_skb/ingress")
int pc_ingress_cont(struct __sk_buff *skb)
{
	capture(skb, PC_DIR_IN);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
