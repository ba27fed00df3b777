/* Owner tracking: records on every inet socket the process that uses it,
 * written only from hooks that run in that process's context on socket
 * paths (cgroup sock hooks, sockops, sock_send/recv_length), never from a
 * syscall hook, so that processes off the network pay nothing.
 * Not for packets: capture.bpf.c reads what this file writes (and also
 * names the sender of a packet leaving in its sender's context). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "owner.bpf.h"

static __always_inline int claim_sock(struct bpf_sock *sk, __u8 hook)
{
	struct pc_owner *o;

	if (!sk || (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		owner_from_current(o, hook, (__u64)sk);
	return 1;
}

SEC("cgroup/sock_create")
int pc_sock_create(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	/* a socket freed before pidcap saw it go may have left its seeded
	 * owner at this address */
	bpf_map_delete_elem(&seeds, &key);
	return claim_sock(sk, PC_HOOK_SOCK_CREATE);
}

/* The seeded owner of a socket ends with it, before its memory can serve
 * another socket: at close() for every socket... */
SEC("cgroup/sock_release")
int pc_sock_release(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&seeds, &key);
	return 1;
}

/* ...and when a TCP socket reaches CLOSE, which also covers sockets that
 * were never accepted or that end in TIME_WAIT (a separate object). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(pc_sock_state, const void *skaddr, int oldstate, int newstate)
{
	__u64 key = (__u64)skaddr;

	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&seeds, &key);
	return 0;
}

SEC("cgroup/post_bind4")
int pc_post_bind4(struct bpf_sock *sk)
{
	return claim_sock(sk, PC_HOOK_POST_BIND);
}

SEC("cgroup/post_bind6")
int pc_post_bind6(struct bpf_sock *sk)
{
	return claim_sock(sk, PC_HOOK_POST_BIND);
}

SEC("cgroup/connect4")
int pc_connect4(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_CONNECT);
}

SEC("cgroup/connect6")
int pc_connect6(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_CONNECT);
}

SEC("cgroup/sendmsg4")
int pc_sendmsg4(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int pc_sendmsg6(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_SENDMSG);
}

SEC("cgroup/recvmsg4")
int pc_recvmsg4(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_RECVMSG);
}

SEC("cgroup/recvmsg6")
int pc_recvmsg6(struct bpf_sock_addr *ctx)
{
	return claim_sock(ctx->sk, PC_HOOK_RECVMSG);
}

/* listen(): the socket's value is copied into every socket accepted from
 * it (BPF_F_CLONE); mark it so that packet hooks know such a copy names
 * the listener's process, not yet the accepting one. sockops programs may
 * not read "current" on kernels before 6.18: the owner itself was written
 * by sock_create/post_bind in the process that calls listen(). */
SEC("sockops")
int pc_sockops(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct pc_owner *o;

	if (ops->op != BPF_SOCK_OPS_TCP_LISTEN_CB || !sk)
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		o->listener = 1;
		o->hook = PC_HOOK_LISTEN;
		o->sk = (__u64)sk;
	}
	return 1;
}

/* Every send and receive on a socket, in the caller's context, once the
 * call is done: the owner follows a socket that changed hands (fork,
 * exec, SCM_RIGHTS, accept) for the packets that come next, whatever the
 * call (read/write, send and recv calls, io_uring, splice, sendfile). The first
 * packets a new holder sends are named in capture.bpf.c. */
static __always_inline void refresh_owner(struct sock *sk, __u8 hook)
{
	struct pc_owner *o;
	__u16 family = sk->__sk_common.skc_family;
	struct sock_common *c = &sk->__sk_common;
	struct pc_claim_addrs a = {};

	if (family != AF_INET && family != AF_INET6)
		return;
	if (current_is_kthread())
		return; /* kTLS and other kernel workers send for a process */
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o || owner_is_current(o, (__u64)sk))
		return;
	if (owner_is_listeners(o, (__u64)sk) && c->skc_state != 10 /* TCP_LISTEN */) {
		a.family = family;
		a.lport = c->skc_num;
		a.rport = __builtin_bswap16(c->skc_dport);
		a.netns = BPF_CORE_READ(c, skc_net.net, ns.inum);
		if (family == AF_INET) {
			bpf_core_read(a.laddr, 4, &c->skc_rcv_saddr);
			bpf_core_read(a.raddr, 4, &c->skc_daddr);
		} else {
			bpf_core_read(a.laddr, 16, &c->skc_v6_rcv_saddr);
			bpf_core_read(a.raddr, 16, &c->skc_v6_daddr);
		}
		owner_from_current(o, hook, (__u64)sk);
		emit_claim(o, (__u64)sk, &a);
		return;
	}
	owner_from_current(o, hook, (__u64)sk);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(pc_send_length, struct sock *sk, int ret, int flags)
{
	refresh_owner(sk, PC_HOOK_SEND_LENGTH);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(pc_recv_length, struct sock *sk, int ret, int flags)
{
	refresh_owner(sk, PC_HOOK_RECV_LENGTH);
	return 0;
}

/* Seeds owners of sockets that existed before pidcap started. The first
 * task seen (lowest pid, usually the parent) keeps a shared socket. */
SEC("iter/task_file")
int pc_seed(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct pc_owner o = {};
	struct socket *sock;
	struct sock *sk;
	__u16 family;
	__u64 key;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	/* the socket is only read here (plain loads) and used as a key: no
	 * helper is given a pointer walked from another one */
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	key = (__u64)sk;
	o.pid = task->tgid;
	o.tid = task->pid;
	o.uid = task->cred->uid.val;
	o.gid = task->cred->gid.val;
	o.cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	o.hook = PC_HOOK_ITER;
	o.listener = sk->__sk_common.skc_state == 10 /* TCP_LISTEN */;
	o.sk = key;
	__builtin_memcpy(o.comm, task->comm, sizeof(o.comm));
	bpf_map_update_elem(&seeds, &key, &o, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
