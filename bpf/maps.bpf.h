/* Maps shared by every kernel program of pidcap. Each .bpf.c includes this
 * header; the definitions are __weak so that `bpftool gen object` links
 * them into one map per name. Not for logic. */
#ifndef PIDCAP_MAPS_BPF_H
#define PIDCAP_MAPS_BPF_H

#include "records.h"

/* The process that owns each socket. BPF_F_CLONE: an accepted socket starts
 * with its listener's value, refreshed once the accepting process uses it. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct pc_owner);
} owners __weak SEC(".maps");

/* Packets and process events, in the order they happened. Size set by
 * user space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events __weak SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters __weak SEC(".maps");

/* Process filter (--pid, -- CMD): tgid -> 1, PC_FILTER_EXITED once it
 * exited. Children of a listed process are added at fork when
 * follow_children is set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} filter_pids __weak SEC(".maps");

/* Cgroup filter (--cgroup, --container, --pod): cgroup id -> enum
 * pc_cgroup_verdict. Which cgroups are in it is user space's answer (a
 * container's name is in its runtime's files), given per id the first
 * time the kernel meets one, so that a container started later is found.
 * LRU: a cgroup dropped from it is asked about again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_verdicts __weak SEC(".maps");

/* The last two final verdicts (YES or NO, which never change for an id)
 * per CPU: a flood from one process costs an array read, not two hash
 * lookups, per packet. Each entry is id << 8 | verdict in one word, so
 * that a program preempted on the same CPU never reads an id with
 * another's verdict (ids of 2^56 and more are not cached). */
struct pc_cgroup_cache {
	__u64 entry[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_cgroup_cache);
} cgroup_cache __weak SEC(".maps");

/* Owners of sockets that existed before pidcap started, found by the
 * task_file iterator: kernel address of struct sock -> owner. A map keyed
 * by a scalar, not socket storage, because some kernel builds refuse
 * bpf_sk_storage_get on a socket reached through a file (an untrusted
 * pointer). Read only when the socket has no storage of its own, so any
 * owner written since start wins. Entries end with the socket (release,
 * TCP CLOSE) and when a new socket is created at the same address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct pc_owner);
} seeds __weak SEC(".maps");

/* Where cgroup_skb programs may not read "current" (before 6.18): the
 * thread that last entered a syscall that moves data on a socket (kernel
 * address of struct sock -> owner), written by pc_sys_enter before any
 * packet of that call exists. Read with the socket's storage: the newer of
 * the two (written_ns) names the packet. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct pc_owner);
} users __weak SEC(".maps");

/* Counting mode: per process and connection. Entries idle for long are
 * deleted by user space, which keeps their totals. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct pc_flow_key);
	__type(value, struct pc_flow_val);
} flows __weak SEC(".maps");

/* Counting mode, when flows is full: per process and direction only (the
 * key's pid and dir, the rest zero), so that a flood of connections costs
 * their detail, not their bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct pc_flow_key);
	__type(value, struct pc_flow_val);
} flows_fold __weak SEC(".maps");

/* The filter expression in the kernel, per direction (a program array
 * holds programs of one attach type): enum pc_kfilter_slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, PC_KF_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} kfilter_in __weak SEC(".maps"), kfilter_out __weak SEC(".maps");

const volatile struct pc_settings settings __weak = {
	.snaplen = 256,
	.want_in = 1,
	.want_out = 1,
	.wakeup_bytes = 256 * 1024,
};

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

#endif
