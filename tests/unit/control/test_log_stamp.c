/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemons' log timestamps (common/log_stamp.c): every line stamped, none under the journal. */
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ctl_test.h"
#include "log_stamp.h"

#define STAMP_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

static bool matches(const char *text, const char *re)
{
	regex_t rx;
	bool ok;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE) != 0)
		abort();
	ok = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok)
		fprintf(stderr, "\n    \"%s\" does not match %s\n", text, re);
	return ok;
}

/* Writes through a stamped stream onto a temporary file and reads back what reached it. */
static void written(void (*writer)(FILE *f), char *out, size_t len)
{
	char path[] = "/tmp/spg-log-stamp-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	f = spg_log_stamped_stream(fd);
	CU_ASSERT_FATAL(f != NULL);
	writer(f);
	fclose(f);
	n = pread(fd, out, len - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
}

static void three_lines_in_pieces(FILE *f)
{
	fprintf(f, "spgate-control: one\nspgate-control: ");
	fprintf(f, "two, in ");
	fflush(f); /* a piece of a line written alone: no stamp in its middle */
	fprintf(f, "pieces\nspgate-control: three\n");
}

static void every_line_begins_with_an_iso8601_utc_stamp_with_milliseconds(void)
{
	char out[512];

	written(three_lines_in_pieces, out, sizeof(out));
	CU_ASSERT(matches(out, STAMP_RE "spgate-control: one\n"
				    "[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z spgate-control: two, in pieces\n"
				    "[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z spgate-control: three\n$"));
	CU_ASSERT_EQUAL(strlen(out), 3 * SPG_LOG_STAMP_LEN + strlen("spgate-control: one\n") +
					     strlen("spgate-control: two, in pieces\n") +
					     strlen("spgate-control: three\n"));
}

#define ANY_STAMP "[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z "

/* Fully buffered: the three lines reach the writer in one write, at the flush. */
static void three_lines_in_one_write(FILE *f)
{
	CU_ASSERT_EQUAL(setvbuf(f, NULL, _IOFBF, 4096), 0);
	fputs("EAL: one\nEAL: two\nEAL: three\n", f);
	fflush(f);
}

static void several_lines_in_one_write_are_each_stamped(void)
{
	char out[512];

	written(three_lines_in_one_write, out, sizeof(out));
	CU_ASSERT(matches(out, STAMP_RE "EAL: one\n" ANY_STAMP "EAL: two\n" ANY_STAMP "EAL: three\n$"));
	CU_ASSERT_EQUAL(strlen(out), 3 * SPG_LOG_STAMP_LEN + strlen("EAL: one\nEAL: two\nEAL: three\n"));
}

/* Unbuffered: every fputs is a write of its own, cut anywhere in a line or at its end. */
static void lines_cut_across_writes(FILE *f)
{
	CU_ASSERT_EQUAL(setvbuf(f, NULL, _IONBF, 0), 0);
	fputs("USER1: a line ", f);
	fputs("in ", f);
	fputs("three writes\nUSER1: then one cut after its newline\n", f);
	fputs("USER1: and one ", f);
	fputs("\n", f);
	fputs("USER1: the last, without a newline", f);
}

static void a_line_cut_across_writes_has_one_stamp_at_its_start(void)
{
	char out[512];

	written(lines_cut_across_writes, out, sizeof(out));
	CU_ASSERT(matches(out, STAMP_RE "USER1: a line in three writes\n" ANY_STAMP
				    "USER1: then one cut after its newline\n" ANY_STAMP "USER1: and one \n" ANY_STAMP
				    "USER1: the last, without a newline$"));
	CU_ASSERT_EQUAL(strlen(out), 4 * SPG_LOG_STAMP_LEN + strlen("USER1: a line in three writes\n") +
					     strlen("USER1: then one cut after its newline\n") +
					     strlen("USER1: and one \n") +
					     strlen("USER1: the last, without a newline"));
}

static void the_journal_stamps_itself(void)
{
	struct stat st;
	char js[64];

	CU_ASSERT_FATAL(fstat(STDERR_FILENO, &st) == 0);
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_TRUE(spg_log_wants_stamps(STDERR_FILENO));
	/* JOURNAL_STREAM naming another file (inherited by a child writing elsewhere): stamps */
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", js, 1);
	CU_ASSERT_TRUE(spg_log_wants_stamps(STDERR_FILENO));
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	CU_ASSERT_FALSE(spg_log_wants_stamps(STDERR_FILENO));
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "every_line_begins_with_an_iso8601_utc_stamp_with_milliseconds",
		  every_line_begins_with_an_iso8601_utc_stamp_with_milliseconds },
		{ "several_lines_in_one_write_are_each_stamped", several_lines_in_one_write_are_each_stamped },
		{ "a_line_cut_across_writes_has_one_stamp_at_its_start",
		  a_line_cut_across_writes_has_one_stamp_at_its_start },
		{ "the_journal_stamps_itself", the_journal_stamps_itself },
		{ NULL, NULL },
	};

	return ctl_test_run("log_stamp", cases, NULL, NULL);
}
