/* SPDX-License-Identifier: MIT */
/*
 * Readiness and liveness for systemd (config/dbcap@.service: Type=notify,
 * WatchdogSec): sd_notify(3) messages on $NOTIFY_SOCKET.  Without
 * libsystemd at build time, or outside a unit (no $NOTIFY_SOCKET), every
 * call does nothing.  Main thread only: the writers make no system calls.
 */
#ifndef DBCAP_NOTIFY_H
#define DBCAP_NOTIFY_H

#include <stdbool.h>

struct notify {
	double interval; /* seconds between WATCHDOG=1 (half of WATCHDOG_USEC); 0: none */
	double next;     /* elapsed() at which the next one is due */
};

/* Reads $WATCHDOG_USEC (and $WATCHDOG_PID): whether and how often to send WATCHDOG=1. */
void notify_init(struct notify *n);
/*
 * READY=1: the capture file exists and the writers run; "STATUS=what into
 * file", the line systemctl status shows.
 */
void notify_ready(const char *what, const char *file);
/* WATCHDOG=1 if one is due at t (seconds since the start). */
void notify_alive(struct notify *n, double t);
/* STOPPING=1: the stop began (the drain and the final statistics follow). */
void notify_stopping(void);

#endif
