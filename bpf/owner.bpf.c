/* Owner tracking: records on every inet socket the process that uses it,
 * written only from hooks that run in that process's context.
 * Not for packets: capture.bpf.c reads what this file writes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"

#define AF_INET 2
#define AF_INET6 10
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

static __always_inline void owner_from_current(struct pc_owner *o, __u8 hook)
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
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* Cheap test used on the hot send/receive path: is the stored owner
 * already the current thread with the current command name? */
static __always_inline int owner_is_current(const struct pc_owner *o)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	char comm[PC_COMM_LEN];

	if (o->pid != pid_tgid >> 32 || o->tid != (__u32)pid_tgid || o->listener)
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	return *(__u64 *)&comm[0] == *(__u64 *)&o->comm[0] &&
	       *(__u64 *)&comm[8] == *(__u64 *)&o->comm[8];
}

static __always_inline int claim_sock(struct bpf_sock *sk, __u8 hook)
{
	struct pc_owner *o;

	if (!sk || (sk->family != AF_INET && sk->family != AF_INET6))
		return 1;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		owner_from_current(o, hook);
	return 1;
}

SEC("cgroup/sock_create")
int pc_sock_create(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	/* a socket freed before pidcap saw it go may have left its user at
	 * this address */
	bpf_map_delete_elem(&users, &key);
	return claim_sock(sk, PC_HOOK_SOCK_CREATE);
}

/* The users entry of a socket ends with it, before its memory can serve
 * another socket: at close() for every socket... */
SEC("cgroup/sock_release")
int pc_sock_release(struct bpf_sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&users, &key);
	return 1;
}

/* ...and when a TCP socket reaches CLOSE, which also covers sockets that
 * were never accepted or that end in TIME_WAIT (a separate object). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(pc_sock_state, const void *skaddr, int oldstate, int newstate)
{
	__u64 key = (__u64)skaddr;

	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&users, &key);
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
	}
	return 1;
}

/* Every send and receive on a socket, in the caller's context: the owner
 * follows a socket that changed hands (fork, SCM_RIGHTS, accept). */
static __always_inline void refresh_owner(struct sock *sk, __u8 hook)
{
	struct pc_owner *o;
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && !owner_is_current(o))
		owner_from_current(o, hook);
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

#ifndef PC_COMPAT
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;

/* Kernel address of the inet socket behind file descriptor fd of the
 * current process, or 0. Runs on every read/write of every process, so it
 * walks BTF pointers (plain loads) and needs one probe read, for the fd
 * array slot. */
static __always_inline __u64 inet_sock_of_fd(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct file *fp, **fds;
	struct socket *sock;
	struct sock *sk;

	if (fd < 0)
		return 0;
	fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return 0;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&fp, sizeof(fp), &fds[fd]) || !fp)
		return 0;
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
#else
/* Kernels before 6.2 lack bpf_rdonly_cast: the same walk through probe
 * reads (about 2.5 times the cost). */
static __always_inline __u64 inet_sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds, *file;
	struct socket *sock;
	struct sock *sk;
	__u16 family;
	umode_t mode;

	if (fd < 0)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (!fds || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
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
#endif

/* A thread enters a syscall that moves data on fd: if fd is an inet
 * socket, that thread is its user from now on. Runs before the call makes
 * any packet. */
SEC("tp_btf/sys_enter")
int BPF_PROG(pc_sys_enter, struct pt_regs *regs, long id)
{
	struct pc_owner *cur, owner = {};
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
	default:
		return 0;
	}
	sk = inet_sock_of_fd(regs->di);
	if (!sk)
		return 0;
	cur = bpf_map_lookup_elem(&users, &sk);
	if (cur && owner_is_current(cur))
		return 0;
	owner_from_current(&owner, PC_HOOK_SYSCALL);
	bpf_map_update_elem(&users, &sk, &owner, BPF_ANY);
	return 0;
}

static __always_inline void read_addrs(struct sock *sk, struct pc_accept *ev)
{
	ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (ev->family == AF_INET) {
		bpf_core_read(ev->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(ev->raddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(ev->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(ev->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* accept() returned fd `ret`: the accepting process is the socket's user,
 * and user space learns it for the packets it holds (those that arrived
 * before accept() returned). */
SEC("tp_btf/sys_exit")
int BPF_PROG(pc_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	struct pc_owner owner = {};
	struct pc_accept *ev;
	__u64 sk;

	if (id != SYS_accept && id != SYS_accept4)
		return 0;
	sk = inet_sock_of_fd(ret);
	if (!sk)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(PC_CNT_EVENT_DROPPED);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	owner_from_current(&owner, PC_HOOK_ACCEPT);
	/* map values from the stack: 6.1 refuses ring buffer memory here */
	bpf_map_update_elem(&users, &sk, &owner, BPF_ANY);
	ev->owner = owner;
	ev->type = PC_REC_ACCEPT;
	ev->sk = sk;
	ev->ts_ns = bpf_ktime_get_ns();
	read_addrs((struct sock *)sk, ev);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* Seeds owners of sockets that existed before pidcap started. The first
 * task seen (lowest pid, usually the parent) keeps a shared socket. */
SEC("iter/task_file")
int pc_seed(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;
	struct pc_owner *o;
	__u16 family;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	o = bpf_sk_storage_get(&owners, sk, 0, 0);
	if (o)
		return 0;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 0;
	o->pid = task->tgid;
	o->tid = task->pid;
	o->uid = task->cred->uid.val;
	o->gid = task->cred->gid.val;
	o->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	o->hook = PC_HOOK_ITER;
	o->listener = sk->__sk_common.skc_state == 10 /* TCP_LISTEN */;
	__builtin_memcpy(o->comm, task->comm, sizeof(o->comm));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
