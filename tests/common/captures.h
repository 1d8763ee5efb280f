/* SPDX-License-Identifier: MIT */
/* captures.h - the capture files of a corpus folder, for the tests that read them all. */
#ifndef DBCAP_TEST_CAPTURES_H
#define DBCAP_TEST_CAPTURES_H

#include <stddef.h>

/*
 * The names (not paths) of the captures (*.pcap, *.pcapng) in dir, sorted,
 * so that every run reads them in the same order.  Sets *names to a
 * malloc()ed array of *n malloc()ed strings, which the caller frees.
 * Returns 0, or -errno when dir cannot be read or memory runs out.
 */
int capture_names(const char *dir, char ***names, size_t *n);

#endif /* DBCAP_TEST_CAPTURES_H */
