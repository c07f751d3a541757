/*
 * NAME
 *	test_report_html - a real HTML report rendered by headless Chromium
 *
 * DESCRIPTION
 *	smtp-audit -o html --out FILE scans smtp-lab personas on loopback:
 *	garbage (a greeting of NUL, 0xff, ANSI and <script>), early-talker,
 *	auth-before-tls and open-relay (findings of every kind). Then Debian's
 *	chromium, headless with HOME in the lab's scratch directory:
 *
 *		--screenshot renders the file to a 1280x2000 PNG; a few lines of
 *		python3 (zlib) check the PNG's size and that its image data is
 *		complete and far from a blank page (distinct pixel rows);
 *		--dump-dom gives the DOM after parsing: it holds no <script> or
 *		<img> element, and the garbage persona's <script> is there as
 *		text.
 *
 *	Every command is bounded by run_command's timeout and the lab is
 *	stopped in .fini. The test is skipped, saying why, only when no
 *	chromium is in PATH (scripts/deps.sh --test installs it).
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "run.h"

#define CHROMIUM_TIMEOUT_S 30.0
#define SCAN_TIMEOUT_S     60.0

/* A blank page renders to two distinct pixel rows; this report to hundreds. */
#define MIN_DISTINCT_ROWS 200

/* Prints "WIDTH HEIGHT DISTINCT_ROWS" for the PNG named by argv[1]; fails on a broken file. */
static const char png_check[] =
    "import struct, sys, zlib\n"
    "d = open(sys.argv[1], 'rb').read()\n"
    "assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'\n"
    "p, idat = 8, []\n"
    "while p < len(d):\n"
    "    n, kind = struct.unpack('>I4s', d[p:p + 8])\n"
    "    if kind == b'IHDR':\n"
    "        w, h, depth, ctype = struct.unpack('>IIBB', d[p + 8:p + 18])\n"
    "    elif kind == b'IDAT':\n"
    "        idat.append(d[p + 8:p + 8 + n])\n"
    "    p += 12 + n\n"
    "raw = zlib.decompress(b''.join(idat))\n"
    "stride = 1 + w * {0: 1, 2: 3, 4: 2, 6: 4}[ctype] * depth // 8\n"
    "assert len(raw) == h * stride, 'truncated image data'\n"
    "print(w, h, len({raw[i:i + stride] for i in range(0, len(raw), stride)}))\n";

static const char *const personas[] = {"garbage", "early-talker", "auth-before-tls", "open-relay"};
#define NPERSONAS (sizeof(personas) / sizeof(personas[0]))

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

/* The chromium executable in PATH, into buf; false when there is none. */
static bool find_chromium(char *buf, size_t buflen)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		return false;
	for (const char *dir = path; *dir != '\0';) {
		size_t len = strcspn(dir, ":");
		snprintf(buf, buflen, "%.*s/chromium", (int)len, dir);
		if (len > 0 && access(buf, X_OK) == 0)
			return true;
		dir += len + (dir[len] == ':');
	}
	return false;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	cr_assert_not_null(mem);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(f);
	cr_assert_eq(fclose(mem), 0);
	return data;
}

static bool contains_ci(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = haystack; *p != '\0'; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

/* Scans every persona into report; the open relay makes the exit status 1. */
static void scan_to_html(const char *report)
{
	char targets[NPERSONAS][80];
	const char *argv[32] = {SA_AUDIT_BIN, "-o",
	                        "html",       "--out",
	                        report,       "--retries",
	                        "0",          "--host-rate",
	                        "0",          "--greeting-timeout",
	                        "3s",         "--reply-timeout",
	                        "3s",         "--tls-timeout",
	                        "3s",         "-q"};
	size_t argc = 0;
	while (argv[argc] != NULL)
		argc++;
	for (size_t i = 0; i < NPERSONAS; i++)
		argv[argc++] = lab_target(&lab, personas[i], targets[i], sizeof(targets[i]));
	argv[argc] = NULL;

	struct run_result r;
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT_S, NULL, &r), 0);
	cr_assert_not(r.timed_out, "smtp-audit did not finish within %.0f s", SCAN_TIMEOUT_S);
	cr_assert_eq(r.exit_code, 1, "exit %d, stderr: %s", r.exit_code, r.err);
	run_result_free(&r);
}

/* Runs chromium headless with HOME in the lab directory and the given mode arguments. */
static void run_chromium(const char *chromium, const char *home, const char *mode, const char *url,
                         struct run_result *r)
{
	const char *argv[] = {"env",
	                      home,
	                      chromium,
	                      "--headless",
	                      "--no-sandbox",
	                      "--disable-gpu",
	                      "--disable-dev-shm-usage",
	                      "--window-size=1280,2000",
	                      mode,
	                      url,
	                      NULL};
	cr_assert_eq(run_command(argv, CHROMIUM_TIMEOUT_S, NULL, r), 0);
	cr_assert_not(r->timed_out, "chromium %s did not finish within %.0f s", mode,
	              CHROMIUM_TIMEOUT_S);
	cr_assert_eq(r->exit_code, 0, "chromium %s: exit %d, stderr: %s", mode, r->exit_code,
	             r->err);
}

static void assert_png_rendered(const char *png)
{
	struct stat st;
	cr_assert_eq(stat(png, &st), 0, "no screenshot at %s", png);
	const char *argv[] = {"python3", "-c", png_check, png, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "PNG check failed: %s", r.err);
	unsigned width = 0, height = 0, rows = 0;
	cr_assert_eq(sscanf(r.out, "%u %u %u", &width, &height, &rows), 3, "got: %s", r.out);
	cr_expect_eq(width, 1280);
	cr_expect_eq(height, 2000);
	cr_expect_gt(rows, MIN_DISTINCT_ROWS, "only %u distinct rows: a blank page?", rows);
	run_result_free(&r);
}

static void assert_dom_inert(const char *dom)
{
	cr_assert_not_null(strstr(dom, "smtp-audit report"), "not the report: %.300s", dom);
	cr_expect_not(contains_ci(dom, "<script"), "a <script> element in the DOM");
	cr_expect_not(contains_ci(dom, "<img"), "an <img> element in the DOM");
	/* The garbage persona's markup survived as text (serialized as entities). */
	cr_expect_not_null(strstr(dom, "&lt;script&gt;alert("), "hostile text missing");
	for (size_t i = 0; i < NPERSONAS; i++) {
		char target[80];
		lab_target(&lab, personas[i], target, sizeof(target));
		char card[120];
		snprintf(card, sizeof(card), "[127.0.0.1]%s", strchr(target, ':'));
		cr_expect_not_null(strstr(dom, card), "no card for %s (%s)", target, personas[i]);
	}
}

Test(report_html, chromium_renders_hostile_scan, .timeout = 150, .fini = stop_lab)
{
	char chromium[PATH_MAX];
	if (!find_chromium(chromium, sizeof(chromium)))
		cr_skip_test("chromium is not in PATH: install it with scripts/deps.sh --test");

	char specs[NPERSONAS][48];
	const char *spec_list[NPERSONAS];
	for (size_t i = 0; i < NPERSONAS; i++) {
		snprintf(specs[i], sizeof(specs[i]), "127.0.0.1:0=%s", personas[i]);
		spec_list[i] = specs[i];
	}
	cr_assert_eq(lab_start(&lab, spec_list, NPERSONAS, NULL), 0, "smtp-lab did not start");

	char report[PATH_MAX], png[PATH_MAX], home[PATH_MAX], url[PATH_MAX + 16];
	snprintf(report, sizeof(report), "%s/report.html", lab.dir);
	snprintf(png, sizeof(png), "--screenshot=%s/report.png", lab.dir);
	snprintf(home, sizeof(home), "HOME=%s/home", lab.dir);
	snprintf(url, sizeof(url), "file://%s", report);
	cr_assert_eq(mkdir(strchr(home, '=') + 1, 0700), 0);

	scan_to_html(report);
	char *html = read_file(report);
	cr_expect_not(contains_ci(html, "<script"), "<script in the written report");
	free(html);

	struct run_result r;
	run_chromium(chromium, home, png, url, &r);
	run_result_free(&r);
	assert_png_rendered(strchr(png, '=') + 1);

	run_chromium(chromium, home, "--dump-dom", url, &r);
	assert_dom_inert(r.out);
	run_result_free(&r);
}
