/*
 * NAME
 *	atomic_file - write a report so readers see all of it or none of it
 *
 * DESCRIPTION
 *	The report is written to a temporary file in the target's directory
 *	(so rename() stays on one file system), flushed and fsync'ed, then
 *	renamed over the target. A cron job reading the report never sees
 *	half of it, and a failed scan leaves the previous report in place.
 *	A target that exists and is not a regular file (/dev/null, a FIFO)
 *	is written in place instead: a rename would replace the device.
 *
 * DIAGNOSTICS
 *	Functions return 0 or SA_ERROR_IO and put the reason (strerror of the
 *	failing call, with the path) into err.
 */
#ifndef ATOMIC_FILE_H
#define ATOMIC_FILE_H

#include <stdio.h>

struct atomic_file {
	FILE *fp;
	char *path;
	char *tmp_path;
};

int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen);

/* Flushes, syncs and renames; closes the file in every case. */
int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen);

/* Closes and removes the temporary file. */
void atomic_file_abort(struct atomic_file *af);

#endif
