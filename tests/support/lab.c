/*
 * NAME
 *	lab - start and stop smtp-lab from an integration test
 *
 * DESCRIPTION
 *	See lab.h. Starting, stopping and the atexit clean-up of whatever a
 *	test forgot are run_spawn() and run_stop() (run.h).
 */
#include "lab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "sa_error.h"

#define LAB_POLL_MS  5
#define LAB_LINE_MAX 256

static void lab_path(const struct lab *lab, const char *name, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s/%s", lab->dir, name);
}

static void lab_remove_dir(struct lab *lab)
{
	if (lab->dir[0] == '\0')
		return;
	run_remove_dir(lab->dir);
	lab->dir[0] = '\0';
}

static char **lab_argv(const struct lab *lab, const char *const specs[], size_t nspecs,
                       const char *const extra[], char *ready)
{
	size_t nextra = 0;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	char **argv = calloc(6 + 2 * nspecs + nextra, sizeof(*argv));
	if (argv == NULL)
		return NULL;
	size_t n = 0;
	argv[n++] = (char *)SA_LAB_BIN;
	argv[n++] = (char *)"--log";
	argv[n++] = (char *)lab->log_path;
	argv[n++] = (char *)"--ready-file";
	argv[n++] = ready;
	for (size_t i = 0; i < nspecs; i++) {
		argv[n++] = (char *)"--listen";
		argv[n++] = (char *)specs[i];
	}
	for (size_t i = 0; i < nextra; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return argv;
}

static int lab_parse_ready(struct lab *lab, const char *path)
{
	char line[LAB_LINE_MAX], mode[8];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return SA_ERROR_IO;
	int rc = 0;
	lab->nlisteners = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct lab_listener *l = &lab->listeners[lab->nlisteners];
		if (lab->nlisteners == LAB_MAX_LISTENERS ||
		    sscanf(line, "%63s %hu %31s %7s", l->address, &l->port, l->persona, mode) !=
		        4) {
			rc = SA_ERROR_PARSE;
			break;
		}
		l->tls = strcmp(mode, "tls") == 0;
		lab->nlisteners++;
	}
	fclose(f);
	return rc;
}

/* Waits for the ready file, or for the lab to die. */
static int lab_wait_ready(struct lab *lab, const char *ready)
{
	double deadline = run_now() + LAB_START_TIMEOUT_S;
	while (run_now() < deadline) {
		if (access(ready, F_OK) == 0)
			return lab_parse_ready(lab, ready);
		if (run_reaped(&lab->pid, NULL))
			return SA_ERROR_IO;
		run_pause_ms(LAB_POLL_MS);
	}
	return SA_ERROR_TIMEOUT;
}

static int lab_make_dir(struct lab *lab)
{
	int rc = run_make_dir(lab->dir, sizeof(lab->dir), "smtp-lab");
	if (rc != 0)
		return rc;
	lab_path(lab, "log", lab->log_path, sizeof(lab->log_path));
	return 0;
}

int lab_start(struct lab *lab, const char *const listen_specs[], size_t nspecs,
              const char *const extra_args[])
{
	char ready[320];
	*lab = (struct lab){0};
	if (nspecs == 0 || nspecs > LAB_MAX_LISTENERS)
		return SA_ERROR_INVAL;
	int rc = lab_make_dir(lab);
	if (rc != 0)
		return rc;
	lab_path(lab, "ready", ready, sizeof(ready));
	char **argv = lab_argv(lab, listen_specs, nspecs, extra_args, ready);
	if (argv == NULL) {
		lab_remove_dir(lab);
		return SA_ERROR_NOMEM;
	}
	rc = run_spawn(argv, lab->dir, &lab->pid);
	free(argv);
	if (rc != 0) {
		lab_remove_dir(lab);
		return rc;
	}
	rc = lab_wait_ready(lab, ready);
	if (rc != 0) {
		run_show_stderr(lab->dir, "smtp-lab");
		lab_stop(lab);
	}
	return rc;
}

const char *lab_target(const struct lab *lab, const char *persona, char *buf, size_t buflen)
{
	for (size_t i = 0; i < lab->nlisteners; i++) {
		const struct lab_listener *l = &lab->listeners[i];
		if (strcmp(l->persona, persona) != 0)
			continue;
		const char *addr = l->address;
		if (strcmp(addr, "0.0.0.0") == 0)
			addr = "127.0.0.1";
		else if (strcmp(addr, "::") == 0)
			addr = "::1";
		bool v6 = strchr(addr, ':') != NULL;
		snprintf(buf, buflen, "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "",
		         (unsigned)l->port);
		return buf;
	}
	return NULL;
}

int lab_signal(struct lab *lab, int sig, double timeout_s, int *status)
{
	if (lab->pid <= 0)
		return SA_ERROR_INVAL;
	return run_signal(&lab->pid, sig, timeout_s, status);
}

void lab_stop(struct lab *lab)
{
	run_stop(&lab->pid, LAB_STOP_TIMEOUT_S);
	lab_remove_dir(lab);
}

char *lab_log(const struct lab *lab)
{
	FILE *f = fopen(lab->log_path, "r");
	if (f == NULL)
		return strdup("");
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	data[len] = '\0';
	return data;
}

size_t lab_log_count(const struct lab *lab, const char *needle)
{
	char *log = lab_log(lab);
	size_t count = 0;
	if (log == NULL)
		return 0;
	for (char *line = log; *line != '\0';) {
		char *end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		if (strstr(line, needle) != NULL)
			count++;
		if (end == NULL)
			break;
		line = end + 1;
	}
	free(log);
	return count;
}

bool lab_log_wait(const struct lab *lab, const char *needle, size_t count, double timeout_s)
{
	double deadline = run_now() + timeout_s;
	for (;;) {
		if (lab_log_count(lab, needle) >= count)
			return true;
		if (run_now() >= deadline)
			return false;
		run_pause_ms(LAB_POLL_MS);
	}
}
