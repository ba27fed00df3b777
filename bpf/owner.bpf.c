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

/* sendmsg and recvmsg run on every datagram, nearly always for the same
 * thread: the owner is rewritten only when a field of it would change
 * (written with helpers, that is about 150 ns a datagram; compared in
 * plain loads from the task, a few). With pc_sys_enter's users map, whose
 * newer entry wins, written_ns is kept fresh as the rewrite kept it. The
 * compat build (kernels before 6.2, where this program type may lack
 * bpf_get_current_task_btf) rewrites every time. */
static __always_inline int claim_msg(struct bpf_sock *sk, __u8 hook)
{
#ifndef PC_COMPAT
	struct task_struct *t = bpf_get_current_task_btf();
	struct pc_owner *o;

	if (!sk || (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	if (!owner_is_task_exactly(o, (__u64)sk, t))
		owner_from_current(o, hook, (__u64)sk);
	else if (settings.syscall_owners)
		o->written_ns = bpf_ktime_get_ns();
	return 1;
#else
	return claim_sock(sk, hook);
#endif
}

SEC("cgroup/sock_create")
int pc_sock_create(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	/* a socket freed before pidcap saw it go may have left its seeded
	 * or syscall owner at this address */
	bpf_map_delete_elem(&seeds, &key);
	bpf_map_delete_elem(&users, &key);
	return claim_sock(sk, PC_HOOK_SOCK_CREATE);
}

/* The seeded (and syscall) owner of a socket ends with it, before its memory can serve
 * another socket: at close() for every socket... */
SEC("cgroup/sock_release")
int pc_sock_release(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&seeds, &key);
	bpf_map_delete_elem(&users, &key);
	return 1;
}

/* ...and when a TCP socket reaches CLOSE, which also covers sockets that
 * were never accepted or that end in TIME_WAIT (a separate object). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(pc_sock_state, const void *skaddr, int oldstate, int newstate)
{
	__u64 key = (__u64)skaddr;

	if (newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&seeds, &key);
		bpf_map_delete_elem(&users, &key);
	}
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
	return claim_msg(ctx->sk, PC_HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int pc_sendmsg6(struct bpf_sock_addr *ctx)
{
	return claim_msg(ctx->sk, PC_HOOK_SENDMSG);
}

SEC("cgroup/recvmsg4")
int pc_recvmsg4(struct bpf_sock_addr *ctx)
{
	return claim_msg(ctx->sk, PC_HOOK_RECVMSG);
}

SEC("cgroup/recvmsg6")
int pc_recvmsg6(struct bpf_sock_addr *ctx)
{
	return claim_msg(ctx->sk, PC_HOOK_RECVMSG);
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

/* Emits a claim naming o for socket sk (its addresses read with CO-RE). */
static __always_inline void claim_from_sock(struct sock *sk, const struct pc_owner *o)
{
	struct sock_common *c = &sk->__sk_common;
	struct pc_claim_addrs a = {};

	a.family = BPF_CORE_READ(c, skc_family);
	a.lport = BPF_CORE_READ(c, skc_num);
	a.rport = __builtin_bswap16(BPF_CORE_READ(c, skc_dport));
	a.netns = BPF_CORE_READ(c, skc_net.net, ns.inum);
	if (a.family == AF_INET) {
		bpf_core_read(a.laddr, 4, &c->skc_rcv_saddr);
		bpf_core_read(a.raddr, 4, &c->skc_daddr);
	} else {
		bpf_core_read(a.laddr, 16, &c->skc_v6_rcv_saddr);
		bpf_core_read(a.raddr, 16, &c->skc_v6_daddr);
	}
	emit_claim(o, (__u64)sk, &a);
}

/* Every send and receive on a socket, in the caller's context, once the
 * call is done: the owner follows a socket that changed hands (fork,
 * exec, SCM_RIGHTS, accept) for the packets that come next, whatever the
 * call (read/write, send and recv calls, io_uring, splice, sendfile). The
 * first packets a new holder sends are named by pc_egress_sender. */
static __always_inline void refresh_owner(struct sock *sk, __u8 hook)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pc_owner *o;
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return;
	/* The common case, the same thread again: one lookup and plain loads
	 * from the task (helpers here cost 10-50 ns each). Only a change
	 * pays for the rest. */
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (o && owner_is_task_exactly(o, (__u64)sk, t))
		return;
	if (t->flags & PF_KTHREAD)
		return; /* kTLS and other kernel workers send for a process */
	if (!o)
		o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	if (owner_is_listeners(o, (__u64)sk) && sk->__sk_common.skc_state != 10 /* TCP_LISTEN */) {
		owner_from_current(o, hook, (__u64)sk);
		claim_from_sock(sk, o);
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

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#ifndef __TARGET_ARCH_x86
#error "syscall numbers below are x86_64's: add this architecture's"
#endif
/* x86_64 syscall numbers of the calls that move data on a socket. */
#define SYS_read 0
#define SYS_write 1
#define SYS_readv 19
#define SYS_writev 20
#define SYS_sendfile 40
#define SYS_accept 43
#define SYS_sendto 44
#define SYS_recvfrom 45
#define SYS_sendmsg 46
#define SYS_recvmsg 47
#define SYS_accept4 288
#define SYS_recvmmsg 299
#define SYS_sendmmsg 307

#define SYS_splice 275

#ifndef PC_COMPAT
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;

/* Kernel address of the inet socket behind file fp, or 0: BTF pointers
 * walked with plain loads, and only read, never handed to a helper. */
static __always_inline __u64 inet_sock_of_file(struct file *fp)
{
	struct socket *sock;
	struct sock *sk;

	fp = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	if ((fp->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	sock = bpf_rdonly_cast(fp->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	if (!sk || (sk->__sk_common.skc_family != AF_INET &&
		    sk->__sk_common.skc_family != AF_INET6))
		return 0;
	return (__u64)sk;
}

/* The same for file descriptor fd of the current process. Runs on every
 * read/write of every process: one probe read, for the fd array slot. */
static __always_inline __u64 inet_sock_of_fd(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file *fp, **fds;

	if (fd < 0)
		return 0;
	fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return 0;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&fp, sizeof(fp), &fds[fd]) || !fp)
		return 0;
	return inet_sock_of_file(fp);
}
#else
/* Kernels before 6.2 lack bpf_rdonly_cast: the same walks through probe
 * reads (about 2.5 times the cost). */
static __always_inline __u64 inet_sock_of_file(struct file *file)
{
	struct socket *sock;
	struct sock *sk;
	__u16 family;
	umode_t mode;

	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return (__u64)sk;
}

static __always_inline __u64 inet_sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds, *file;

	if (fd < 0)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (!fds || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	return inet_sock_of_file(file);
}
#endif

/* The current thread is about to use socket sk: it is its user from now
 * on (users map). The first use of a socket (no entry yet) emits a claim,
 * for packets held for an accepted connection. */
static __always_inline void note_user(__u64 sk)
{
	struct pc_owner *cur, owner = {};

	cur = bpf_map_lookup_elem(&users, &sk);
	if (cur && owner_is_task_exactly(cur, sk, bpf_get_current_task_btf()))
		return; /* nothing would change: not even a move or a setuid */
	owner_from_current(&owner, PC_HOOK_SYSCALL, sk);
	bpf_map_update_elem(&users, &sk, &owner, BPF_ANY);
	if (!cur)
		claim_from_sock((struct sock *)sk, &owner);
}

/* The substitutes for pc_egress_sender where cgroup_skb programs may not
 * read "current" (kernels before 6.18), loaded only there. A thread enters
 * a syscall that moves data on fd: if fd is an inet socket, that thread is
 * its user before the call makes any packet. Runs on every syscall of
 * every process. */
SEC("tp_btf/sys_enter")
int BPF_PROG(pc_sys_enter, struct pt_regs *regs, long id)
{
	long fd = regs->di;
	__u64 sk;

	switch (id) {
	case SYS_read:
	case SYS_write:
	case SYS_readv:
	case SYS_writev:
	case SYS_sendto:
	case SYS_recvfrom:
	case SYS_sendmsg:
	case SYS_recvmsg:
	case SYS_sendmmsg:
	case SYS_recvmmsg:
	case SYS_sendfile: /* out_fd is the first argument too */
		break;
	case SYS_splice: /* fd_out is the third */
		fd = regs->dx;
		break;
	default:
		return 0;
	}
	sk = inet_sock_of_fd(fd);
	if (sk)
		note_user(sk);
	return 0;
}

/* io_uring requests on a socket, at submission in the submitting thread:
 * before the request runs, inline or on io_uring's worker threads. The
 * file is not assigned yet: the request's fd is resolved in the
 * submitter's table (requests on registered files are left out). */
#define REQ_F_FIXED_FILE 1 /* the same bit as IOSQE_FIXED_FILE */
static __always_inline void uring_submitted(struct io_kiocb *req)
{
	struct file *file = BPF_CORE_READ(req, file);
	__u64 sk = 0;

	if (file)
		sk = inet_sock_of_file(file);
	else if (!(BPF_CORE_READ(req, flags) & REQ_F_FIXED_FILE))
		sk = inet_sock_of_fd(BPF_CORE_READ(req, cqe.fd));
	if (sk)
		note_user(sk);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(pc_uring_submit, struct io_kiocb *req)
{
	uring_submitted(req);
	return 0;
}

/* The same tracepoint under its name before 6.3. */
SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(pc_uring_submit_sqe, struct io_kiocb *req)
{
	uring_submitted(req);
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
