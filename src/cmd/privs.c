/* -Z USER and the user of -- CMD under sudo: credentials from the password
 * database, capabilities with libcap. Not for deciding when to drop: the
 * programs call pc_privs_drop once their capture is set up. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "cmd/privs.h"

int pc_privs_lookup(const char *user, struct pc_cred *out, char *err, size_t errlen)
{
	struct passwd *pw;
	char *end;
	unsigned long n;

	memset(out, 0, sizeof(*out));
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		n = strtoul(user, &end, 10);
		if (*user && !*end)
			pw = getpwuid((uid_t)n);
	}
	if (!pw) {
		snprintf(err, errlen, "-Z: no user '%s'", user);
		return -ENOENT;
	}
	out->set = 1;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
	return 0;
}

int pc_privs_command(const char *run_as, struct pc_cred *out, char *err, size_t errlen)
{
	const char *uid = getenv("SUDO_UID"), *gid = getenv("SUDO_GID"), *name = getenv("SUDO_USER");
	char *end1, *end2;
	unsigned long u, g;

	memset(out, 0, sizeof(*out));
	if (run_as)
		return pc_privs_lookup(run_as, out, err, errlen);
	if (geteuid() != 0 || !uid || !gid || !*uid || !*gid)
		return 0;
	u = strtoul(uid, &end1, 10);
	g = strtoul(gid, &end2, 10);
	if (*end1 || *end2 || u == 0)
		return 0; /* sudo from root, or nonsense: unchanged */
	out->set = 1;
	out->uid = (uid_t)u;
	out->gid = (gid_t)g;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	return 0;
}

static int set_ids(const struct pc_cred *c)
{
	uid_t r, e, sv;
	gid_t rg, eg, sg;

	/* already that user (a systemd DynamicUser= with capabilities): only
	 * the capabilities change, which needs no CAP_SETUID */
	if (!getresuid(&r, &e, &sv) && !getresgid(&rg, &eg, &sg) && r == c->uid && e == c->uid &&
	    sv == c->uid && rg == c->gid && eg == c->gid && sg == c->gid)
		return 0;
	if (c->name[0] ? initgroups(c->name, c->gid) : setgroups(1, &c->gid))
		return -errno;
	if (setresgid(c->gid, c->gid, c->gid) || setresuid(c->uid, c->uid, c->uid))
		return -errno;
	return 0;
}

int pc_privs_become(const struct pc_cred *c)
{
	return c->set ? set_ids(c) : 0;
}

int pc_privs_drop(const struct pc_cred *c, char *err, size_t errlen)
{
	static const cap_value_t keep[] = { CAP_BPF, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH };
	cap_t caps = NULL;
	int ret;

	if (!c->set)
		return 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		ret = -errno;
		snprintf(err, errlen, "-Z: prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
		return ret;
	}
	ret = set_ids(c);
	if (ret) {
		snprintf(err, errlen, "-Z: cannot become %s (uid %u): %s", c->name, (unsigned)c->uid,
			 strerror(-ret));
		return ret;
	}
	caps = cap_init(); /* all clear */
	if (!caps || cap_set_flag(caps, CAP_PERMITTED, 3, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 3, keep, CAP_SET) || cap_set_proc(caps)) {
		ret = -errno;
		snprintf(err, errlen, "-Z: cannot keep CAP_BPF, CAP_SYS_PTRACE and "
			 "CAP_DAC_READ_SEARCH: %s", strerror(errno));
	}
	cap_free(caps);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return ret;
}
