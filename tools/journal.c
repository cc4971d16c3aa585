/* SPDX-License-Identifier: Apache-2.0 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int journal_open(struct journal *j, const char *path, const char *file, const char *sha256,
		 char *why, size_t why_cap)
{
	json_error_t error;
	json_t *package;
	const char *had;

	memset(j, 0, sizeof(*j));
	j->path = strdup(path);
	if (!j->path) {
		return -ENOMEM;
	}
	if (access(path, F_OK) != 0) {
		j->doc = json_pack("{s:i, s:{s:s, s:s}, s:{}}", "journal", 1, "package", "file",
				   file, "sha256", sha256, "devices");
		return j->doc ? 0 : -ENOMEM;
	}
	j->doc = json_load_file(path, 0, &error);
	if (!j->doc) {
		snprintf(why, why_cap, "the journal %s cannot be read: %s (line %d); give another "
			 "--journal, or remove it to start over", path, error.text, error.line);
		journal_close(j);
		return -EINVAL;
	}
	package = json_object_get(j->doc, "package");
	had = json_string_value(json_object_get(package, "sha256"));
	if (json_integer_value(json_object_get(j->doc, "journal")) != 1 || !had ||
	    !json_is_object(json_object_get(j->doc, "devices"))) {
		snprintf(why, why_cap, "%s is no journal of dfu-smp fleet upgrade; give another "
			 "--journal", path);
		journal_close(j);
		return -EINVAL;
	}
	if (strcmp(had, sha256) != 0) {
		const char *was = json_string_value(json_object_get(package, "file"));

		snprintf(why, why_cap, "the journal %s is of another package (%s, SHA-256 %.16s...), "
			 "not of %s: give a new --journal for this one, or remove it",
			 path, was ? was : "?", had, file);
		journal_close(j);
		return -EINVAL;
	}
	return 0;
}

enum fleet_state journal_state(const struct journal *j, const char *name, const char *conn)
{
	json_t *e = json_object_get(json_object_get(j->doc, "devices"), name);
	const char *state = json_string_value(json_object_get(e, "state"));
	const char *was_conn = json_string_value(json_object_get(e, "conn"));
	static const enum fleet_state states[] = { FLEET_WAITING, FLEET_RUNNING, FLEET_OK,
						   FLEET_SKIPPED, FLEET_FAILED };

	if (!state || !was_conn || !conn || strcmp(was_conn, conn) != 0) {
		return FLEET_WAITING;
	}
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (strcmp(state, fleet_state_name(states[i])) == 0) {
			return states[i];
		}
	}
	return FLEET_WAITING;
}

/* Write the document to path.tmp, flush it when @p sync, rename it over path. */
static int write_atomically(struct journal *j, bool sync)
{
	size_t len = strlen(j->path);
	char *tmp = malloc(len + 5);
	char *dir_copy = strdup(j->path);
	int fd, err = 0;

	if (!tmp || !dir_copy) {
		free(tmp);
		free(dir_copy);
		return -ENOMEM;
	}
	snprintf(tmp, len + 5, "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || json_dumpfd(j->doc, fd, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 ||
	    write(fd, "\n", 1) != 1 || (sync && fsync(fd) != 0)) {
		err = -errno ? -errno : -EIO;
	}
	if (fd >= 0 && close(fd) != 0 && !err) {
		err = -errno;
	}
	if (!err && rename(tmp, j->path) != 0) {
		err = -errno;
	}
	if (!err && sync) {
		/* the rename itself reaches the disk with the directory */
		int dir = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dir >= 0) {
			fsync(dir);
			close(dir);
		}
	}
	if (err) {
		unlink(tmp);
	}
	free(tmp);
	free(dir_copy);
	return err;
}

int journal_record(struct journal *j, const struct fleet_device *d, bool sync)
{
	json_t *devices = json_object_get(j->doc, "devices");
	json_t *e = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "conn", d->conn ? d->conn : "",
			      "state", fleet_state_name(d->state), "phase",
			      d->phase ? d->phase : "", "done", (json_int_t)d->done, "total",
			      (json_int_t)d->total, "updated", (json_int_t)time(NULL));

	if (!e) {
		return -ENOMEM;
	}
	if (d->state == FLEET_FAILED) {
		json_object_set_new(e, "reason", json_string(d->reason));
	}
	json_object_set_new(devices, d->name, e);
	return write_atomically(j, sync);
}

void journal_close(struct journal *j)
{
	free(j->path);
	json_decref(j->doc);
	memset(j, 0, sizeof(*j));
}
