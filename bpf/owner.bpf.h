/* The owner record as the kernel programs write it: from "current" in the
 * hooks that run in the owner's context (owner.bpf.c, and the sender's
 * context in capture.bpf.c), and the claim record that names the process
 * taking over an accepted connection. Not for the decision of which hook
 * may trust "current": that stays with each hook. */
#ifndef PIDCAP_OWNER_BPF_H
#define PIDCAP_OWNER_BPF_H

#include "maps.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define PF_KTHREAD 0x00200000

static __always_inline void owner_from_current(struct pc_owner *o, __u8 hook, __u64 sk)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	o->pid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->uid = (__u32)uid_gid;
	o->gid = uid_gid >> 32;
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->hook = hook;
	o->listener = 0;
	o->sk = sk;
	o->written_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* Was o copied from the listener that accepted sk (and not yet written
 * for sk itself)? (Addresses compared whole: cgroup_skb programs may
 * not do arithmetic on a socket pointer.) Then it names the listener's process, not the one that
 * takes the connection. Marked by sockops at listen() or seen from the
 * tag, so that either alone is enough. */
static __always_inline int owner_is_listeners(const struct pc_owner *o, __u64 sk)
{
	return o->listener || o->sk != sk;
}

/* Is the stored owner already task t, the current thread, with its
 * command name? Plain loads (bpf_get_current_task_btf): no other helper
 * call, a few ns (bpf_get_current_comm alone costs about 50). A kernel
 * thread (kTLS's worker, ksoftirqd) never owns a user's socket: callers
 * test t->flags & PF_KTHREAD before writing. The command name is compared
 * raw: the kernel pads task->comm with zeros (strscpy_pad) as
 * bpf_get_current_comm pads the stored copy, so equal bytes are the same
 * name, and a rename or exec (same pid, new comm) differs. */
static __always_inline int owner_is_task(const struct pc_owner *o, __u64 sk,
					 const struct task_struct *t)
{
	return o->pid == (__u32)t->tgid && o->tid == (__u32)t->pid &&
	       !owner_is_listeners(o, sk) &&
	       *(const __u64 *)&t->comm[0] == *(const __u64 *)&o->comm[0] &&
	       *(const __u64 *)&t->comm[8] == *(const __u64 *)&o->comm[8];
}

/* owner_is_task, and the rest that owner_from_current would write is the
 * same too (uid and gid, which setuid() changes, and the cgroup, which a
 * move changes): rewriting o would change nothing but written_ns. */
static __always_inline int owner_is_task_exactly(const struct pc_owner *o, __u64 sk,
						 const struct task_struct *t)
{
	return owner_is_task(o, sk, t) && o->uid == t->cred->uid.val &&
	       o->gid == t->cred->gid.val && o->cgroup_id == t->cgroups->dfl_cgrp->kn->id;
}

/* The connection a claim names, host byte order for the ports. */
struct pc_claim_addrs {
	__u8 family;
	__u16 lport, rport;
	__u32 netns;
	__u8 laddr[16], raddr[16];
};

/* A socket accepted from a listener was used by a process for the first
 * time: user space resolves the packets it held for it. */
static __always_inline void emit_claim(const struct pc_owner *o, __u64 sk,
				       const struct pc_claim_addrs *a)
{
	struct pc_claim *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(PC_CNT_EVENT_DROPPED);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = PC_REC_CLAIM;
	ev->family = a->family;
	ev->lport = a->lport;
	ev->rport = a->rport;
	ev->netns = a->netns;
	ev->sk = sk;
	ev->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(ev->laddr, a->laddr, 16);
	__builtin_memcpy(ev->raddr, a->raddr, 16);
	ev->owner = *o;
	bpf_ringbuf_submit(ev, 0);
}

#endif
