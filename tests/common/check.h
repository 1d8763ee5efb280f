/* SPDX-License-Identifier: MIT */
/*
 * check.h - the assertion macros every C test uses.  Each prints the
 * expression, where it is, and the values on both sides:
 *
 *   FAIL unit-fill-exact/shared: fill-exact.c:42: c.len == cap: 4000 (0xfa0) == 4096 (0x1000) is false
 *
 * A failed check ends the test at once with T_EXIT_FAIL: the tests are
 * small, and the first broken promise is the interesting one.  A test that
 * checks many independent values (a whole JSON document) may set
 * t_keep_going instead; then failures are counted, the test goes on, and
 * t_result() is its exit status.
 */
#ifndef DBCAP_TEST_CHECK_H
#define DBCAP_TEST_CHECK_H

#include <stdbool.h>
#include <string.h>

/* Exit statuses, as meson reads them. */
#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

/* The name the test runs under, for messages; NULL (the default) prints none. */
extern const char *t_name;
/* false (the default): the first failure exits; true: failures are counted. */
extern bool t_keep_going;
/* The failures counted so far. */
extern unsigned t_failures;

#if defined(__GNUC__)
#define T_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define T_PRINTF(f, a)
#endif

/*
 * Reports a failed check: expr is what was checked, fmt says how it failed.
 * Exits with T_EXIT_FAIL, after the atexit() cleanups, unless t_keep_going
 * is set.
 */
T_PRINTF(4, 5)
void t_fail(const char *file, int line, const char *expr, const char *fmt, ...);
/* Prints one line of progress on stdout, after the test's name. */
T_PRINTF(1, 2)
void t_log(const char *fmt, ...);
/* Exits with T_EXIT_SKIP: only for what the machine lacks (a privilege). */
_Noreturn void t_skip(const char *why);
/* The exit status for the checks so far: T_EXIT_PASS or T_EXIT_FAIL. */
int t_result(void);

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond))                                                       \
			t_fail(__FILE__, __LINE__, #cond, "is false");             \
	} while (0)

/* Unsigned comparisons: both sides are printed as 64-bit numbers, also in hex. */
#define T_CMP_U(a, op, b)                                                          \
	do {                                                                       \
		unsigned long long t_a_ = (unsigned long long)(a);                 \
		unsigned long long t_b_ = (unsigned long long)(b);                 \
		if (!(t_a_ op t_b_))                                               \
			t_fail(__FILE__, __LINE__, #a " " #op " " #b,              \
			       "%llu (0x%llx) " #op " %llu (0x%llx) is false",     \
			       t_a_, t_a_, t_b_, t_b_);                            \
	} while (0)
#define CHECK_EQ(a, b) T_CMP_U(a, ==, b)
#define CHECK_NE(a, b) T_CMP_U(a, !=, b)
#define CHECK_LT(a, b) T_CMP_U(a, <, b)
#define CHECK_LE(a, b) T_CMP_U(a, <=, b)
#define CHECK_GE(a, b) T_CMP_U(a, >=, b)

/* Signed equality, for what may be negative (a -errno result). */
#define CHECK_INT(a, b)                                                            \
	do {                                                                       \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);            \
		if (t_a_ != t_b_)                                                  \
			t_fail(__FILE__, __LINE__, #a " == " #b,                   \
			       "%lld == %lld is false", t_a_, t_b_);               \
	} while (0)

/* Equal to 9 significant digits (or both within 1e-12 of 0). */
#define CHECK_DBL(a, b)                                                            \
	do {                                                                       \
		double t_a_ = (a), t_b_ = (b);                                     \
		double t_tol_ = 1e-9 * (t_b_ < 0 ? -t_b_ : t_b_) + 1e-12;          \
		if (!(t_a_ - t_b_ < t_tol_ && t_b_ - t_a_ < t_tol_))               \
			t_fail(__FILE__, __LINE__, #a " == " #b,                   \
			       "%.17g == %.17g is false", t_a_, t_b_);             \
	} while (0)

#define CHECK_PTR_EQ(a, b)                                                         \
	do {                                                                       \
		const void *t_a_ = (a), *t_b_ = (b);                               \
		if (t_a_ != t_b_)                                                  \
			t_fail(__FILE__, __LINE__, #a " == " #b, "%p != %p",       \
			       t_a_, t_b_);                                        \
	} while (0)

/* Equal strings; either side may be NULL, and NULL equals only NULL. */
#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *t_a_ = (a), *t_b_ = (b);                               \
		if (!(t_a_ == t_b_ || (t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0)))  \
			t_fail(__FILE__, __LINE__, #a " == " #b,                   \
			       "\"%s\" != \"%s\"", t_a_ ? t_a_ : "(null)",         \
			       t_b_ ? t_b_ : "(null)");                            \
	} while (0)

/* hay (not NULL) contains needle. */
#define CHECK_CONTAINS(hay, needle)                                                \
	do {                                                                       \
		const char *t_h_ = (hay), *t_n_ = (needle);                        \
		if (!t_h_ || !strstr(t_h_, t_n_))                                  \
			t_fail(__FILE__, __LINE__, #hay " contains " #needle,      \
			       "\"%s\" does not contain \"%s\"",                   \
			       t_h_ ? t_h_ : "(null)", t_n_);                      \
	} while (0)

#endif /* DBCAP_TEST_CHECK_H */
