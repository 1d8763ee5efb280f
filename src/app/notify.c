/* SPDX-License-Identifier: MIT */
/* sd_notify(3) for systemd's Type=notify and WatchdogSec (notify.h). */
#define _GNU_SOURCE
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef DBCAP_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void notify_init(struct notify *n)
{
	uint64_t usec = 0;

	n->interval = 0;
	n->next = 0;
	/* > 0: a watchdog for this process; 0 unset (or for another pid); < 0 a bad value */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		n->interval = (double)usec / 2e6; /* twice per period, as sd_watchdog_enabled(3) advises */
}

void notify_ready(const char *what, const char *file)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s into %s", what, file);
}

void notify_alive(struct notify *n, double t)
{
	if (n->interval <= 0 || t < n->next)
		return;
	sd_notify(0, "WATCHDOG=1");
	n->next = t + n->interval;
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: writing what the buffers hold");
}

#else /* no libsystemd: dbcap runs as before, telling no one */

void notify_init(struct notify *n)
{
	n->interval = 0;
	n->next = 0;
}

void notify_ready(const char *what, const char *file)
{
	(void)what;
	(void)file;
}

void notify_alive(struct notify *n, double t)
{
	(void)n;
	(void)t;
}

void notify_stopping(void)
{
}

#endif
