/* Record layouts shared by the kernel programs (bpf/) and user space (src/).
 * Fixed-width fields, explicit padding, sizes checked at compile time.
 * Not for logic: only types, constants and sizes live here. */
#ifndef PIDCAP_RECORDS_H
#define PIDCAP_RECORDS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PC_COMM_LEN 16
#define PC_IFNAME_LEN 16
#define PC_EXEC_FILENAME_LEN 256
#define PC_EXEC_ARGS_LEN 512
#define PC_MAX_FILTER_COMMS 8

/* Record types: first byte of every ring buffer record. */
enum pc_record_type {
	PC_REC_PACKET = 1,
	PC_REC_EXEC = 2,
	PC_REC_EXIT = 3,
	PC_REC_FORK = 4,
	PC_REC_CLAIM = 5,
	PC_REC_CGROUP = 6,
};

/* pc_packet.dir */
enum pc_dir {
	PC_DIR_IN = 0,
	PC_DIR_OUT = 1,
};

/* pc_packet.flags */
#define PC_PKT_OWNER      (1u << 0) /* owner is valid */
#define PC_PKT_PEER       (1u << 1) /* peer (other local end) is valid */
#define PC_PKT_OWNER_LISTENER (1u << 2) /* owner is a listening socket's process:
					  * final once accept() names the process */
#define PC_PKT_PEER_LISTENER  (1u << 3) /* the same for the peer */
#define PC_PKT_NO_SOCKET  (1u << 4) /* the packet had no socket at all (kernel generated) */
#define PC_PKT_GUESS      (1u << 5) /* owner attributed by a guess (user-space fallback:
				      * e.g. a UDP local port seen only after the packet) */
/* The cgroup filter (--cgroup, --container, --pod) had no verdict yet for
 * the owner's (peer's) cgroup, and nothing else matched: user space
 * decides the packet (and the cgroup for the packets after it). */
#define PC_PKT_OWNER_CG_PENDING (1u << 6)
#define PC_PKT_PEER_CG_PENDING  (1u << 7)

/* The process that owns a socket, written only from hooks that run in
 * that process's context. Stored in socket local storage. */
struct pc_owner {
	__u32 pid;   /* tgid; 0 means "no owner" */
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u64 cgroup_id; /* cgroup v2 id of the process */
	__u64 sk;        /* kernel address of the socket it was written for:
			  * another socket's means a copy from its listener
			  * (BPF_F_CLONE) */
	__u64 written_ns; /* bpf_ktime_get_ns() when written: the newer of two
			   * sources wins */
	__u8 listener;   /* 1 when written for a listening socket */
	__u8 hook;       /* enum pc_hook: which hook wrote it (debugging, -vv) */
	__u8 pad[6];
	char comm[PC_COMM_LEN];
};
_Static_assert(sizeof(struct pc_owner) == 64, "pc_owner layout");

enum pc_hook {
	PC_HOOK_NONE = 0,
	PC_HOOK_SOCK_CREATE,
	PC_HOOK_POST_BIND,
	PC_HOOK_CONNECT,
	PC_HOOK_SENDMSG,
	PC_HOOK_RECVMSG,
	PC_HOOK_SEND_LENGTH,
	PC_HOOK_RECV_LENGTH,
	PC_HOOK_EGRESS, /* a packet leaving in its sender's context */
	PC_HOOK_ITER,
	PC_HOOK_LISTEN,
	PC_HOOK_SYSCALL, /* pc_sys_enter, where it substitutes for the egress hook */
};

/* One captured packet: header followed by caplen bytes starting at the
 * network (IP) header. */
struct pc_packet {
	__u8 type;      /* PC_REC_PACKET */
	__u8 dir;       /* enum pc_dir */
	__u16 flags;    /* PC_PKT_* */
	__u32 ifindex;
	__u64 ts_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 len;      /* bytes on the wire from the IP header (skb->len) */
	__u32 caplen;   /* bytes that follow this header */
	__u32 netns;    /* network namespace inode, 0 if unknown */
	__u16 gso_segs; /* wire segments of a GSO super packet, 1 otherwise */
	__u16 l3proto;  /* ETH_P_IP or ETH_P_IPV6, host byte order */
	__u64 cookie;   /* socket cookie, 0 without socket */
	__u64 owner_sk; /* kernel address of the owning socket, 0 if none */
	__u64 peer_sk;  /* same for the peer socket */
	char ifname[PC_IFNAME_LEN];
	struct pc_owner owner;
	struct pc_owner peer;
	__u8 data[];
};
_Static_assert(sizeof(struct pc_packet) == 200, "pc_packet layout");

/* A process ran execve(): what user space needs to name it later, even
 * after it has exited. */
struct pc_exec {
	__u8 type; /* PC_REC_EXEC */
	__u8 pad[3];
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__u64 ts_ns;
	__u64 cgroup_id;
	__u32 args_len; /* bytes of args used, NUL separated */
	__u32 pad2;
	char comm[PC_COMM_LEN];
	char filename[PC_EXEC_FILENAME_LEN];
	char args[PC_EXEC_ARGS_LEN];
};
_Static_assert(sizeof(struct pc_exec) == 824, "pc_exec layout");

/* fork (new process) and exit (thread group leader gone). */
struct pc_task_event {
	__u8 type; /* PC_REC_FORK or PC_REC_EXIT */
	__u8 pad[3];
	__u32 pid;
	__u32 ppid; /* parent for FORK */
	__u32 uid;
	__u64 ts_ns;
	char comm[PC_COMM_LEN];
};
_Static_assert(sizeof(struct pc_task_event) == 40, "pc_task_event layout");

/* A socket accepted from a listener was used for the first time by a
 * process (its first send or receive): its new owner and its addresses,
 * so that user space can resolve the packets it holds as
 * PC_PKT_*_LISTENER (the handshake and data that arrived before that
 * process took the connection). */
struct pc_claim {
	__u8 type;   /* PC_REC_CLAIM */
	__u8 family; /* AF_INET or AF_INET6 */
	__u16 lport; /* local port, host order */
	__u16 rport; /* remote port, host order */
	__u16 pad;
	__u64 sk;    /* kernel address of struct sock */
	__u64 ts_ns;
	__u32 netns;
	__u32 pad2;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
	struct pc_owner owner;
};
_Static_assert(sizeof(struct pc_claim) == 128, "pc_claim layout");

/* The cgroup filter met a cgroup id it has no verdict for: user space
 * answers in the cgroup_verdicts map (enum pc_cgroup_verdict). */
struct pc_cgroup_ask {
	__u8 type; /* PC_REC_CGROUP */
	__u8 pad[7];
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct pc_cgroup_ask) == 16, "pc_cgroup_ask layout");

/* Values of the cgroup_verdicts map: whether a cgroup id is in the cgroup
 * filter. User space writes NO and YES; the kernel writes ASKED when it
 * sends the pc_cgroup_ask, so that it asks once. */
enum pc_cgroup_verdict {
	PC_CG_NO = 0,
	PC_CG_YES = 1,
	PC_CG_ASKED = 2,
};

/* Counting mode (pidcap top, exporter): traffic summed in the kernel per
 * process and connection, no record per packet. Key of the flows map. */
struct pc_flow_key {
	__u32 pid;      /* owner tgid, 0 = no process */
	__u32 netns;
	__u8 dir;       /* enum pc_dir, from the process's point of view */
	__u8 proto;     /* IPPROTO_* */
	__u8 family;    /* 4 or 6 */
	__u8 pad;
	__u16 lport;    /* local port, host order (0 without ports) */
	__u16 rport;    /* remote port */
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};
_Static_assert(sizeof(struct pc_flow_key) == 48, "pc_flow_key layout");

/* Per-CPU value: user space sums the CPUs. */
struct pc_flow_val {
	__u64 bytes;    /* IP bytes on the wire (every GSO segment's headers) */
	__u64 payload;  /* L4 payload bytes */
	__u64 packets;  /* wire packets (GSO segments) */
	__u64 last_ns;  /* bpf_ktime_get_ns() of the last update on this CPU */
	__u32 uid;
	__u32 tid;
	char comm[PC_COMM_LEN];
};
_Static_assert(sizeof(struct pc_flow_val) == 56, "pc_flow_val layout");

/* Settings user space writes before load (.rodata: the verifier sees
 * them as constants and drops dead branches). One struct, so that every
 * build variant of the programs has the same layout. */
struct pc_settings {
	__u64 wakeup_bytes;      /* wake user space past this much queued data */
	__u32 snaplen;           /* bytes of each packet copied */
	__u32 filter_uid;
	__u8 want_in, want_out;
	__u8 filter_pids_on, filter_comm_on, filter_uid_on, filter_cgroup_on;
	__u8 count_mode;         /* sum per connection, no packet records */
	__u8 follow_children;    /* add children of filtered pids at fork */
	__u8 syscall_owners;     /* pc_sys_enter is loaded: read its users map */
	__u8 kfilter_on;         /* tail-call the filter expression's program first */
	__u8 pad[6];
	char filter_comm[PC_COMM_LEN];
};
_Static_assert(sizeof(struct pc_settings) == 48, "pc_settings layout");

/* Value of an exited process in the filter_pids map (live ones are 1);
 * user space sweeps them: PC_FILTER_SWEPT at one sweep, deleted at the next. */
#define PC_FILTER_EXITED 2
#define PC_FILTER_SWEPT 3
/* Slots of the program arrays kfilter_in and kfilter_out: the filter
 * expression's program (generated by capture/kfilter.c), which on a match
 * tail-calls the capture that follows it (pc_ingress_cont, pc_egress_cont). */
enum pc_kfilter_slot {
	PC_KF_FILTER = 0,
	PC_KF_CAPTURE,
	PC_KF_SLOTS,
};

/* Per-CPU counters, index into the "counters" array map. */
enum pc_counter {
	PC_CNT_SEEN = 0,     /* packets that passed the kernel filters */
	PC_CNT_DROPPED,      /* ring buffer full: packet record lost */
	PC_CNT_NO_OWNER,     /* packets emitted without owner */
	PC_CNT_EVENT_DROPPED,/* ring buffer full: process event lost */
	PC_CNT_FILTERED,     /* packets rejected by the in-kernel process filter */
	PC_CNT_FLOWS_FULL,   /* counting mode: flows map full, packet counted per process */
	PC_CNT_FLOWS_LOST,   /* counting mode: flows and flows_fold full, packet not counted */
	PC_CNT_MAX,
};

#endif
