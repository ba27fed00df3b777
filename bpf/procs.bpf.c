/* Process events: exec, fork and exit, sent through the same ring buffer
 * as packets so that user space can name a process that has already
 * exited. Also follows children of filtered processes (-- CMD, --pid) and
 * takes exited ones out of the filter (a reused pid is not CMD's).
 * Not for sockets or packets. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"

static __always_inline __u64 event_wakeup(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= settings.wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(pc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	unsigned long arg_start, arg_end, len;
	struct pc_exec *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PC_CNT_EVENT_DROPPED);
		return 0;
	}
	e->type = PC_REC_EXEC;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end - arg_start;
	if (len > PC_EXEC_ARGS_LEN)
		len = PC_EXEC_ARGS_LEN;
	if (bpf_probe_read_user(e->args, len & (PC_EXEC_ARGS_LEN * 2 - 1) & 0x3ff, (void *)arg_start))
		len = 0;
	e->args_len = len;
	bpf_ringbuf_submit(e, event_wakeup());
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(pc_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pc_task_event *e;
	__u32 ppid = parent->tgid, pid = child->tgid;
	__u8 one = 1;

	if (child->pid != pid)
		return 0; /* a new thread, not a new process */
	if (settings.follow_children && bpf_map_lookup_elem(&filter_pids, &ppid))
		bpf_map_update_elem(&filter_pids, &pid, &one, BPF_ANY);
	else if (settings.filter_pids_on) /* the pid of an exited filtered process, reused */
		bpf_map_delete_elem(&filter_pids, &pid);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PC_CNT_EVENT_DROPPED);
		return 0;
	}
	e->type = PC_REC_FORK;
	e->pid = pid;
	e->ppid = ppid;
	e->uid = child->cred->uid.val;
	e->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(e->comm, child->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, event_wakeup());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pc_exit)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct pc_task_event *e;

	if ((__u32)pid_tgid != pid_tgid >> 32)
		return 0; /* a thread, not the whole process */
	if (settings.filter_pids_on) {
		__u32 pid = pid_tgid >> 32;
		__u8 *f = bpf_map_lookup_elem(&filter_pids, &pid);

		/* exited: its sockets may still send (FIN, close in exit);
		 * user space deletes it a second or two later, a fork that
		 * reuses the pid at once */
		if (f)
			*f = PC_FILTER_EXITED;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PC_CNT_EVENT_DROPPED);
		return 0;
	}
	e->type = PC_REC_EXIT;
	e->pid = pid_tgid >> 32;
	e->ppid = 0;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, event_wakeup());
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
