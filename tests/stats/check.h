/* SPDX-License-Identifier: MIT */
/* Assertion macros for the statistics tests: they print both values and count failures. */
#ifndef DBCAP_TEST_CHECK_H
#define DBCAP_TEST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
			check_failures++;                                              \
		}                                                                      \
	} while (0)

#define CHECK_U64(a, b)                                                                \
	do {                                                                           \
		uint64_t a_ = (a), b_ = (b);                                           \
		if (a_ != b_) {                                                        \
			fprintf(stderr,                                                \
				"%s:%d: %s == %" PRIu64 ", expected %s == %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			check_failures++;                                              \
		}                                                                      \
	} while (0)

#define CHECK_INT(a, b)                                                                \
	do {                                                                           \
		long long a_ = (a), b_ = (b);                                          \
		if (a_ != b_) {                                                        \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",     \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			check_failures++;                                              \
		}                                                                      \
	} while (0)

#define CHECK_DBL(a, b)                                                                \
	do {                                                                           \
		double a_ = (a), b_ = (b);                                             \
		if (!(a_ - b_ < 1e-9 * (b_ < 0 ? -b_ : b_) + 1e-12 &&                 \
		      b_ - a_ < 1e-9 * (b_ < 0 ? -b_ : b_) + 1e-12)) {                \
			fprintf(stderr, "%s:%d: %s == %.17g, expected %s == %.17g\n",   \
				__FILE__, __LINE__, #a, a_, #b, b_);                   \
			check_failures++;                                              \
		}                                                                      \
	} while (0)

/* a and b may be NULL. */
#define CHECK_STR(a, b)                                                                \
	do {                                                                           \
		const char *a_ = (a), *b_ = (b);                                       \
		if (!(a_ == b_ || (a_ && b_ && strcmp(a_, b_) == 0))) {                \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected %s == \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)", #b,        \
				b_ ? b_ : "(null)");                                   \
			check_failures++;                                              \
		}                                                                      \
	} while (0)

/* Exit status: 0 pass, 1 fail. */
#define CHECK_RESULT() (check_failures ? 1 : 0)

#endif
