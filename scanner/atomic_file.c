/*
 * NAME
 *	atomic_file - temporary file + fsync + rename (in place for devices and FIFOs)
 */
#include "atomic_file.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sa_error.h"

static void atomic_file_clear(struct atomic_file *af)
{
	free(af->path);
	free(af->tmp_path);
	af->path = af->tmp_path = NULL;
	af->fp = NULL;
}

/*
 * A device, FIFO or socket (--out /dev/null, /dev/stdout, a named pipe) is
 * written in place: renaming a regular file over it would replace it, and
 * as root that destroys /dev/null.
 */
static int atomic_file_open_in_place(struct atomic_file *af, const char *path, char *err,
				     size_t errlen)
{
	af->path = strdup(path);
	if (af->path == NULL)
		return SA_ERROR_NOMEM;
	af->fp = fopen(path, "w");
	if (af->fp == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		atomic_file_clear(af);
		return SA_ERROR_IO;
	}
	return 0;
}

int atomic_file_open(struct atomic_file *af, const char *path, char *err, size_t errlen)
{
	*af = (struct atomic_file){0};
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return atomic_file_open_in_place(af, path, err, errlen);
	char *copy = strdup(path);
	af->path = strdup(path);
	if (copy == NULL || af->path == NULL ||
	    asprintf(&af->tmp_path, "%s/.%s.XXXXXX", dirname(copy), basename(af->path)) < 0) {
		free(copy);
		af->tmp_path = NULL;
		atomic_file_clear(af);
		return SA_ERROR_NOMEM;
	}
	free(copy);
	int fd = mkstemp(af->tmp_path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file next to '%s': %s", path, strerror(errno));
		atomic_file_clear(af);
		return SA_ERROR_IO;
	}
	/* mkstemp makes the file 0600; a report gets the usual umask-governed mode. */
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	af->fp = fdopen(fd, "w");
	if (af->fp == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", af->tmp_path, strerror(errno));
		close(fd);
		unlink(af->tmp_path);
		atomic_file_clear(af);
		return SA_ERROR_IO;
	}
	return 0;
}

int atomic_file_commit(struct atomic_file *af, char *err, size_t errlen)
{
	int rc = 0;
	bool in_place = af->tmp_path == NULL;
	if (fflush(af->fp) != 0 || (!in_place && fsync(fileno(af->fp)) != 0) || ferror(af->fp)) {
		snprintf(err, errlen, "cannot write '%s': %s", af->path, strerror(errno));
		rc = SA_ERROR_IO;
	}
	if (fclose(af->fp) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write '%s': %s", af->path, strerror(errno));
		rc = SA_ERROR_IO;
	}
	if (!in_place && rc == 0 && rename(af->tmp_path, af->path) != 0) {
		snprintf(err, errlen, "cannot replace '%s': %s", af->path, strerror(errno));
		rc = SA_ERROR_IO;
	}
	if (!in_place && rc != 0)
		unlink(af->tmp_path);
	atomic_file_clear(af);
	return rc;
}

void atomic_file_abort(struct atomic_file *af)
{
	if (af->fp != NULL) {
		fclose(af->fp);
		if (af->tmp_path != NULL)
			unlink(af->tmp_path);
	}
	atomic_file_clear(af);
}
