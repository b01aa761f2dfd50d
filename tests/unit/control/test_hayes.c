/* SPDX-License-Identifier: BSD-3-Clause */
/* The Hayes dialogue as text: result codes, lines out of a byte stream, phone numbers. */
#include <stdio.h>
#include <string.h>

#include "ctl_test.h"
#include "dial/hayes.h"

static enum hayes_result classify(const char *line, uint64_t *speed)
{
	*speed = 12345; /* must be overwritten */
	return hayes_classify(line, speed);
}

static void every_verbose_result_code_is_known(void)
{
	static const struct {
		const char *line;
		enum hayes_result r;
	} cases[] = {
		{"OK", HAYES_OK},
		{"RING", HAYES_RING},
		{"NO CARRIER", HAYES_NO_CARRIER},
		{"ERROR", HAYES_ERROR},
		{"NO DIALTONE", HAYES_NO_DIALTONE},
		{"NO DIAL TONE", HAYES_NO_DIALTONE},
		{"BUSY", HAYES_BUSY},
		{"NO ANSWER", HAYES_NO_ANSWER},
		{"CONNECT", HAYES_CONNECT},
	};
	uint64_t speed;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(classify(cases[i].line, &speed), cases[i].r);
		CU_ASSERT_EQUAL(speed, 0);
	}
}

static void every_numeric_result_code_is_known(void)
{
	static const enum hayes_result codes[] = {
		HAYES_OK, HAYES_CONNECT, HAYES_RING, HAYES_NO_CARRIER, HAYES_ERROR,
		HAYES_CONNECT /* 5: CONNECT 1200 */, HAYES_NO_DIALTONE, HAYES_BUSY, HAYES_NO_ANSWER,
	};
	uint64_t speed;
	char line[8];
	unsigned i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(line, sizeof(line), "%u", i);
		CU_ASSERT_EQUAL(classify(line, &speed), codes[i]);
		CU_ASSERT_EQUAL(speed, i == 5 ? 1200 : 0);
	}
	CU_ASSERT_EQUAL(classify("9", &speed), HAYES_NONE);
	CU_ASSERT_EQUAL(classify("10", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 2400);
	CU_ASSERT_EQUAL(classify("99", &speed), HAYES_NONE);
	CU_ASSERT_EQUAL(classify("007", &speed), HAYES_NONE);
	CU_ASSERT_EQUAL(classify(" 7 ", &speed), HAYES_BUSY);
}

static void connect_reports_its_speed_without_the_suffixes(void)
{
	uint64_t speed;

	CU_ASSERT_EQUAL(classify("CONNECT 33600", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 33600);
	CU_ASSERT_EQUAL(classify("CONNECT 33600/ARQ", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 33600);
	CU_ASSERT_EQUAL(classify("CONNECT 33600/V42BIS", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 33600);
	CU_ASSERT_EQUAL(classify("CONNECT 115200/ARQ/V90/LAPM/V42BIS", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 115200);
	CU_ASSERT_EQUAL(classify("CONNECT   9600", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 9600);
	CU_ASSERT_EQUAL(classify("CONNECT/ARQ", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 0);
	/* A speed too big for 64 bits is line noise: connected, speed unknown. */
	CU_ASSERT_EQUAL(classify("CONNECT 99999999999999999999999", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 0);
	CU_ASSERT_EQUAL(hayes_classify("CONNECT 2400", NULL), HAYES_CONNECT);
}

static void case_and_surrounding_blanks_are_ignored(void)
{
	uint64_t speed;

	CU_ASSERT_EQUAL(classify("ok", &speed), HAYES_OK);
	CU_ASSERT_EQUAL(classify("  Ok\t ", &speed), HAYES_OK);
	CU_ASSERT_EQUAL(classify("no carrier", &speed), HAYES_NO_CARRIER);
	CU_ASSERT_EQUAL(classify("No  Dial  Tone", &speed), HAYES_NO_DIALTONE);
	CU_ASSERT_EQUAL(classify(" connect 28800/arq ", &speed), HAYES_CONNECT);
	CU_ASSERT_EQUAL(speed, 28800);
	CU_ASSERT_EQUAL(classify("\tbusy", &speed), HAYES_BUSY);
}

static void garbage_echo_and_info_text_are_not_results(void)
{
	static const char *const lines[] = {
		"", "   ", "ATZ", "ATDT+15550101", "OKAY", "OK OK", "CONNECTED", "NO", "NO CARRIERS", "BUSYBOX",
		"ERROR 3", "U.S. Robotics 56K FAX EXT", "+++", "-1", "1a", "\x7f\x01",
	};
	uint64_t speed;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CU_ASSERT_EQUAL(classify(lines[i], &speed), HAYES_NONE);
		CU_ASSERT_EQUAL(speed, 0);
	}
	CU_ASSERT_EQUAL(hayes_classify(NULL, &speed), HAYES_NONE);
	CU_ASSERT_STRING_EQUAL(hayes_result_name(HAYES_NONE), "none");
	CU_ASSERT_STRING_EQUAL(hayes_result_name(HAYES_NO_DIALTONE), "NO DIALTONE");
	CU_ASSERT_STRING_EQUAL(hayes_result_name((enum hayes_result)99), "none");
}

/* ---- the line reader ---- */

#define MAX_LINES 16
static char lines[MAX_LINES][HAYES_LINE_MAX];
static int n_lines, stop_after;

static int collect(const char *line, void *arg)
{
	(void)arg;
	CU_ASSERT_FATAL(n_lines < MAX_LINES);
	CU_ASSERT(strlen(line) < HAYES_LINE_MAX);
	snprintf(lines[n_lines++], HAYES_LINE_MAX, "%s", line);
	return stop_after > 0 && n_lines == stop_after ? 7 : 0;
}

static void feed(struct hayes_reader *r, const char *data, size_t len)
{
	CU_ASSERT_EQUAL(hayes_reader_feed(r, data, len, collect, NULL), 0);
}

static void reset_lines(struct hayes_reader *r)
{
	hayes_reader_init(r);
	n_lines = 0;
	stop_after = 0;
	memset(lines, 0, sizeof(lines));
}

static void crlf_lf_cr_and_lfcr_all_end_lines_without_blank_ones(void)
{
	static const char *const streams[] = {
		"\r\nOK\r\nCONNECT 9600\r\n", "OK\nCONNECT 9600\n", "OK\rCONNECT 9600\r", "\n\rOK\n\rCONNECT 9600\n\r",
		"\r\n\r\n\r\nOK\r\n\r\n\r\nCONNECT 9600\r\n\r\n",
	};
	struct hayes_reader r;
	size_t i;

	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		reset_lines(&r);
		feed(&r, streams[i], strlen(streams[i]));
		CU_ASSERT_EQUAL(n_lines, 2);
		CU_ASSERT_STRING_EQUAL(lines[0], "OK");
		CU_ASSERT_STRING_EQUAL(lines[1], "CONNECT 9600");
	}
}

static void a_line_fed_byte_by_byte_comes_out_whole_and_once(void)
{
	const char *s = "ATDT+15550101\r\r\nCONNECT 33600/ARQ\r\n";
	struct hayes_reader r;
	size_t i;

	reset_lines(&r);
	for (i = 0; i < strlen(s); i++) {
		feed(&r, s + i, 1);
		if (i < 12)
			CU_ASSERT_EQUAL(n_lines, 0);
	}
	CU_ASSERT_EQUAL(n_lines, 2);
	CU_ASSERT_STRING_EQUAL(lines[0], "ATDT+15550101");
	CU_ASSERT_STRING_EQUAL(lines[1], "CONNECT 33600/ARQ");
}

static void a_partial_line_waits_for_its_end(void)
{
	struct hayes_reader r;

	reset_lines(&r);
	feed(&r, "NO CAR", 6);
	CU_ASSERT_EQUAL(n_lines, 0);
	feed(&r, "RIER", 4);
	CU_ASSERT_EQUAL(n_lines, 0);
	feed(&r, "\r\n", 2);
	CU_ASSERT_EQUAL(n_lines, 1);
	CU_ASSERT_STRING_EQUAL(lines[0], "NO CARRIER");
}

static void nul_bytes_and_control_characters_are_dropped(void)
{
	static const char s[] = "\0O\0K\x01\x1b\r\n\x7f\x07\r\nBU\0SY\r\n\x80\xff!\n";
	struct hayes_reader r;

	reset_lines(&r);
	feed(&r, s, sizeof(s) - 1);
	CU_ASSERT_EQUAL(n_lines, 3);
	CU_ASSERT_STRING_EQUAL(lines[0], "OK");
	CU_ASSERT_STRING_EQUAL(lines[1], "BUSY");
	/* Bytes above ASCII are line noise: kept as '?' so that the line stays printable. */
	CU_ASSERT_STRING_EQUAL(lines[2], "?" "?!");
}

static bool seen_skipping;

static int collect_skipping(const char *line, void *arg)
{
	seen_skipping = ((struct hayes_reader *)arg)->skipping;
	return collect(line, NULL);
}

static void an_over_long_line_is_cut_and_its_tail_dropped(void)
{
	char big[600];
	struct hayes_reader r;

	memset(big, 'x', sizeof(big));
	reset_lines(&r);
	CU_ASSERT_EQUAL(hayes_reader_feed(&r, big, sizeof(big), collect_skipping, &r), 0);
	/* The callback can tell the cut head of a line from a whole one. */
	CU_ASSERT_TRUE(seen_skipping);
	CU_ASSERT_EQUAL(n_lines, 1);
	CU_ASSERT_EQUAL(strlen(lines[0]), HAYES_LINE_MAX - 1);
	CU_ASSERT_EQUAL(r.overflow, 1);
	feed(&r, big, sizeof(big));
	CU_ASSERT_EQUAL(hayes_reader_feed(&r, "\r\nOK\r\n", 6, collect_skipping, &r), 0);
	CU_ASSERT_FALSE(seen_skipping);
	CU_ASSERT_EQUAL(n_lines, 2);
	CU_ASSERT_STRING_EQUAL(lines[1], "OK");
	CU_ASSERT_EQUAL(r.overflow, 1);

	/* Exactly HAYES_LINE_MAX - 1 characters fit. */
	reset_lines(&r);
	feed(&r, big, HAYES_LINE_MAX - 1);
	CU_ASSERT_EQUAL(n_lines, 0);
	feed(&r, "\n", 1);
	CU_ASSERT_EQUAL(n_lines, 1);
	CU_ASSERT_EQUAL(strlen(lines[0]), HAYES_LINE_MAX - 1);
	CU_ASSERT_EQUAL(r.overflow, 0);
}

static void a_callback_can_stop_the_feeding(void)
{
	const char *s = "OK\r\nBUSY\r\nRING\r\n";
	struct hayes_reader r;

	reset_lines(&r);
	stop_after = 1;
	CU_ASSERT_EQUAL(hayes_reader_feed(&r, s, strlen(s), collect, NULL), 7);
	CU_ASSERT_EQUAL(n_lines, 1);
	CU_ASSERT_STRING_EQUAL(lines[0], "OK");
}

/* ---- phone numbers ---- */

static void phone_numbers_lose_their_separators(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"+33 1 55-55-01 00", "+33155550100"},
		{"+1 (555) 010.1", "+15550101"},
		{"0w123p45", "0W123P45"},
		{"9,,5550101", "9,,5550101"},
		{"*70#5550101", "*70#5550101"},
		{" +15550101 ", "+15550101"},
		{"123456789012345678901234567890123456789", "123456789012345678901234567890123456789"},
	};
	char out[HAYES_PHONE_MAX], err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(hayes_phone_normalise(cases[i].in, out, err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
		CU_ASSERT_STRING_EQUAL(err, "");
	}
}

static void bad_phone_numbers_are_refused_naming_the_number(void)
{
	static const struct {
		const char *in, *err;
	} cases[] = {
		{"", "phone number \"\": is empty"},
		{" - ", "phone number \" - \": is empty"},
		{"+", "phone number \"+\": has no digit"},
		{",,W", "phone number \",,W\": has no digit"},
		{"1+2", "phone number \"1+2\": '+' may only come first"},
		{"++1", "phone number \"++1\": '+' may only come first"},
		{"555;ATH", "phone number \"555;ATH\": ';' is not allowed"},
		{"555a", "phone number \"555a\": 'a' is not allowed"},
		{"555\r\nATZ", "phone number \"555??ATZ\": byte 0x0d is not allowed"},
		{"1234567890123456789012345678901234567890", "phone number \"1234567890123456789012345678901234567890\": "
							     "longer than 39 characters"},
	};
	char out[HAYES_PHONE_MAX], err[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(out, "junk");
		CU_ASSERT_EQUAL(hayes_phone_normalise(cases[i].in, out, err, sizeof(err)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(out, "");
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fprintf(stderr, "\n  %s\n  wanted: %s\n", err, cases[i].err);
		CU_ASSERT_EQUAL(strncmp(err, cases[i].err, strlen(cases[i].err)), 0);
	}
}

static void a_long_bad_number_is_quoted_shortened(void)
{
	char out[HAYES_PHONE_MAX], err[160], in[200];

	memset(in, '1', sizeof(in) - 2);
	in[sizeof(in) - 2] = 'x';
	in[sizeof(in) - 1] = '\0';
	CU_ASSERT_EQUAL(hayes_phone_normalise(in, out, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1111...\": longer than 39 characters"));
	CU_ASSERT_EQUAL(hayes_phone_normalise(NULL, out, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(hayes_phone_normalise("12", out, err, 1), 0);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(every_verbose_result_code_is_known),
		CASE(every_numeric_result_code_is_known),
		CASE(connect_reports_its_speed_without_the_suffixes),
		CASE(case_and_surrounding_blanks_are_ignored),
		CASE(garbage_echo_and_info_text_are_not_results),
		CASE(crlf_lf_cr_and_lfcr_all_end_lines_without_blank_ones),
		CASE(a_line_fed_byte_by_byte_comes_out_whole_and_once),
		CASE(a_partial_line_waits_for_its_end),
		CASE(nul_bytes_and_control_characters_are_dropped),
		CASE(an_over_long_line_is_cut_and_its_tail_dropped),
		CASE(a_callback_can_stop_the_feeding),
		CASE(phone_numbers_lose_their_separators),
		CASE(bad_phone_numbers_are_refused_naming_the_number),
		CASE(a_long_bad_number_is_quoted_shortened),
#undef CASE
		{NULL, NULL},
	};

	return ctl_test_run("hayes", cases, NULL, NULL);
}
