/* SPDX-License-Identifier: MIT */
/* check.c - what a failed check does (see check.h). */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *t_name;
bool t_keep_going;
unsigned t_failures;

void t_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	/* stdout first, so that the failure follows the progress it ends. */
	fflush(stdout);
	if (t_name)
		fprintf(stderr, "FAIL %s: %s:%d: %s: ", t_name, file, line, expr);
	else
		fprintf(stderr, "FAIL: %s:%d: %s: ", file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	t_failures++;
	if (!t_keep_going)
		exit(T_EXIT_FAIL);
}

void t_log(const char *fmt, ...)
{
	va_list ap;

	if (t_name)
		printf("%s: ", t_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

_Noreturn void t_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(T_EXIT_SKIP);
}

int t_result(void)
{
	return t_failures ? T_EXIT_FAIL : T_EXIT_PASS;
}
