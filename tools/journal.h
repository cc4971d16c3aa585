/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journal of a fleet upgrade (`dfu-smp fleet upgrade --journal FILE`): what each device
 * of the fleet has come to, kept in a file so that a gateway killed in the middle, run again
 * with the same command, skips the devices that were done and resumes the others.
 *
 * The file is one JSON document, {"journal": 1, "package": {"file", "sha256"}, "devices":
 * {NAME: {"conn", "state", "phase", "done", "total", "updated"}}}, always replaced whole: written
 * to FILE.tmp, flushed to the disk (fsync) when asked, then renamed over FILE, so that it is
 * the old one or the new one whatever happens, never half of one.
 */
#ifndef TOOLS_JOURNAL_H
#define TOOLS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "fleet.h"

/** A journal. Caller-allocated; journal_close() frees what it holds. */
struct journal {
	char *path;
	json_t *doc;
};

/**
 * Open the journal @p path of the package @p file whose SHA-256 is @p sha256 (hex): read it if
 * it exists, else start an empty one (written at the first journal_record()).
 * @return 0; -EINVAL when the file is no journal, or one of another package (@p why says which
 *         and what to do); another negative errno when it cannot be read.
 */
int journal_open(struct journal *j, const char *path, const char *file, const char *sha256,
		 char *why, size_t why_cap);

/**
 * What the journal says device @p name (at @p conn) came to: FLEET_OK or FLEET_SKIPPED when it
 * was done, FLEET_FAILED, FLEET_RUNNING when the run was cut short during it, FLEET_WAITING
 * when it is not in the journal or was reached through another connection.
 */
enum fleet_state journal_state(const struct journal *j, const char *name, const char *conn);

/**
 * Record where @p d stands, and write the journal: atomically (renamed over the old one), and
 * flushed to the disk when @p sync (phase changes and ends; progress is written without).
 * @return 0 or a negative errno (the journal then lags; the fleet goes on).
 */
int journal_record(struct journal *j, const struct fleet_device *d, bool sync);

/** Free what @p j holds. */
void journal_close(struct journal *j);

#endif /* TOOLS_JOURNAL_H */
