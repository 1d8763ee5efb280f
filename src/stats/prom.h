/* SPDX-License-Identifier: MIT */
/*
 * The statistics document in Prometheus's text exposition format (version
 * 0.0.4), for node_exporter's textfile collector (--prom FILE; the metrics
 * are listed in docs/METRICS.md).
 *
 * The metrics are rendered from the JSON document's tree, not from the
 * counters: both files of one report then hold the same values, and a new
 * counter in the document is exported by one line of the table in prom.c
 * that names its JSON path.  Every family's HELP ends with that path
 * ("(JSON: totals.dropped.<reason>)"), which tests and users can follow.
 *
 * Any thread; no state.
 */
#ifndef DBCAP_PROM_H
#define DBCAP_PROM_H

struct cJSON;

/*
 * The metrics of doc (a document made by stats.c) as text, ending with a
 * newline; the caller frees it.  path is the file it goes to: its last name
 * without ".prom" becomes the label capture="NAME" on every sample, so that
 * several dbcap instances can share one textfile directory.  NULL when out
 * of memory.
 */
char *prom_render(const struct cJSON *doc, const char *path);

#endif
