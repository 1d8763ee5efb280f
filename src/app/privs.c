/* SPDX-License-Identifier: MIT */
/*
 * -Z USER (tcpdump's): once the sockets, the capture file and the
 * statistics' directory are open, the process becomes USER and USER's group
 * and keeps no capability at all, in any set.  Main thread, before any
 * other thread exists: the capability calls below act on the calling
 * thread alone, and setuid() must not race a thread that creates a file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app.h"

/* The highest capability the kernel may know; PR_CAPBSET_DROP says EINVAL beyond its own. */
#define PRIVS_CAP_MAX 63

static int fail(const char *user, const char *what, int err)
{
	fprintf(stderr, "dbcap: -Z %s: %s: %s\n", user, what, strerror(err));
	return 1;
}

/* Empties the permitted, effective and inheritable sets of the calling thread. */
static int clear_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	return (int)syscall(SYS_capset, &h, d);
}

int privs_drop(struct app *app)
{
	const char *user = app->o.user;
	struct passwd *pw;

	if (!user)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return fail(user, "no such user", errno ? errno : ENOENT);
	/* The capture belongs to USER, as tcpdump's files do. */
	if (app->persist && fchown(persist_fd(app->persist), pw->pw_uid, pw->pw_gid) < 0)
		return fail(user, "chown of the capture file", errno);
	/* The bounding and ambient sets first: dropping them needs CAP_SETPCAP, still held. */
	for (int cap = 0; cap <= PRIVS_CAP_MAX; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return fail(user, "dropping the bounding set", errno);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail(user, "clearing the ambient set", errno);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return fail(user, "PR_SET_KEEPCAPS", errno);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		return fail(user, "initgroups", errno);
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		return fail(user, "setgid", errno);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return fail(user, "setuid", errno);
	/* setuid() away from 0 emptied the sets; -Z root keeps its uid, so clear them here. */
	if (clear_caps() < 0)
		return fail(user, "capset", errno);
	/* A set-user-ID root binary must not be able to regain anything either. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
