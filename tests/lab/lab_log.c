/*
 * NAME
 *	lab_log - smtp-lab's command log
 *
 * DESCRIPTION
 *	See lab_log.h. A line is assembled in memory and written in one call
 *	so that concurrent readers never see half a line and nothing is left
 *	in a stdio buffer when the process is killed.
 */
#include "lab_log.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "sa_error.h"

struct lab_log {
	int fd;
};

int lab_log_open(struct lab_log **out, const char *path)
{
	struct lab_log *log = malloc(sizeof(*log));
	if (log == NULL)
		return SA_ERROR_NOMEM;
	log->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		free(log);
		return SA_ERROR_IO;
	}
	*out = log;
	return 0;
}

void lab_log_close(struct lab_log *log)
{
	if (log == NULL)
		return;
	close(log->fd);
	free(log);
}

static int64_t lab_log_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lab_log_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void lab_log_event(struct lab_log *log, const struct lab_log_who *who, const char *event,
                   const char *text, size_t len)
{
	if (log == NULL)
		return;
	char *escaped = escape_visible(text != NULL ? text : "", len);
	if (escaped == NULL)
		return;
	char *line = NULL;
	int n = asprintf(&line, "%" PRId64 " %s %s s%" PRIu64 " %s %s%s%s\n", lab_log_now_ms(),
	                 who->listen, who->persona, who->session, who->peer, event,
	                 len > 0 ? " " : "", escaped);
	free(escaped);
	if (n < 0)
		return;
	lab_log_write_all(log->fd, line, (size_t)n);
	free(line);
}
