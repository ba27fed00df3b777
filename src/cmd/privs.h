/* Who pidcap and its command run as: -Z USER (tcpdump's meaning: after
 * set-up, pidcap runs as USER with only the capabilities it still needs)
 * and the user who ran sudo for -- CMD. Not for the check of what set-up
 * needs (capture/ebpf.c). */
#ifndef PIDCAP_PRIVS_H
#define PIDCAP_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct pc_cred {
	int set;              /* 0: leave as is */
	uid_t uid;
	gid_t gid;
	char name[64];        /* for the supplementary groups */
};

/* USER (a name or a number) from the password database. */
int pc_privs_lookup(const char *user, struct pc_cred *out, char *err, size_t errlen);
/* Whom -- CMD runs as: -Z USER when given, else, when pidcap runs as root
 * under sudo, the user who ran sudo (SUDO_UID, SUDO_GID, SUDO_USER), else
 * unchanged (set = 0). */
int pc_privs_command(const char *run_as, struct pc_cred *out, char *err, size_t errlen);
/* In a child before exec: become c (groups, gid, uid). 0 or -errno. */
int pc_privs_become(const struct pc_cred *c);
/* pidcap itself, once its capture is set up: become c, keeping only the
 * capabilities a running capture needs (CAP_BPF: the maps of a loaded
 * capture; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: /proc of every
 * process), none inheritable. */
int pc_privs_drop(const struct pc_cred *c, char *err, size_t errlen);

#endif
