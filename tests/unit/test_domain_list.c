/*
 * NAME
 *	test_domain_list - --domain and --domains: names kept, addresses and ports refused
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_list.h"
#include "sa_error.h"

Test(domain_list, names_are_lower_cased_without_dot_and_deduplicated, .timeout = 10)
{
	struct domain_list l = {0};
	char err[256];
	cr_assert_eq(domain_list_add(&l, "Example.ORG.", "--domain", err, sizeof(err)), 0);
	cr_assert_eq(domain_list_add(&l, "mail-test.example.net", "--domain", err, sizeof(err)), 0);
	cr_assert_eq(domain_list_add(&l, "example.org", "--domain", err, sizeof(err)), 0);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.names[0], "example.org");
	cr_expect_str_eq(l.names[1], "mail-test.example.net");
	domain_list_free(&l);
	cr_expect_eq(l.n, 0);
}

struct bad_domain {
	char text[64];
	char message[64];
};

static struct bad_domain bad_domains[] = {
    {"192.0.2.1", "is an address, not a mail domain"},
    {"2001:db8::25", "is an address, not a mail domain"},
    {"10.0.0.0/8", "is an address, not a mail domain"},
    {"example.org:25", "has a port"},
    {"exa mple.org", "--domain: bad domain"},
    {"", "--domain: bad domain"},
};

ParameterizedTestParameters(domain_list, refuses_what_is_not_a_domain)
{
	return cr_make_param_array(struct bad_domain, bad_domains,
				   sizeof(bad_domains) / sizeof(bad_domains[0]));
}

ParameterizedTest(struct bad_domain *c, domain_list, refuses_what_is_not_a_domain, .timeout = 10)
{
	struct domain_list l = {0};
	char err[256] = "";
	cr_assert_eq(domain_list_add(&l, c->text, "--domain", err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, c->message) != NULL, "'%s' gave: %s", c->text, err);
	cr_expect_eq(l.n, 0);
	domain_list_free(&l);
}

Test(domain_list, file_lines_with_comments_and_the_line_of_an_error, .timeout = 10)
{
	char path[] = "/tmp/test-domain-list-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs("# mail domains\nexample.org\n\n  example.net  # second\nexample.org\n", f);
	fclose(f);
	struct domain_list l = {0};
	char err[256];
	cr_assert_eq(domain_list_add_file(&l, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.n, 2);
	cr_expect_str_eq(l.names[1], "example.net");

	f = fopen(path, "a");
	fputs("198.51.100.7\n", f);
	fclose(f);
	cr_assert_eq(domain_list_add_file(&l, path, err, sizeof(err)), SA_ERROR_PARSE);
	char where[300];
	snprintf(where, sizeof(where), "%s:6:", path);
	cr_expect(strstr(err, where) != NULL, "%s", err);
	domain_list_free(&l);
	unlink(path);
}

Test(domain_list, missing_file_is_named, .timeout = 10)
{
	struct domain_list l = {0};
	char err[256];
	cr_assert_eq(domain_list_add_file(&l, "/nonexistent/domains.txt", err, sizeof(err)),
		     SA_ERROR_IO);
	cr_expect(strstr(err, "/nonexistent/domains.txt") != NULL, "%s", err);
}
