/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialer against a scripted modem (dialer_fixture.h), up to the call's result: the reset
 * and init dialogue, the results and the retries they cause, the reasons a failed call gives,
 * the health check (the same reset and init dialogue) and the arguments refused at once.
 * What happens once connected, and hanging up, is in test_dialer_online.c.
 */
#include <errno.h>

#include "dialer_fixture.h"

/* The dial of cmd ends in result after ms; the dialer then puts the modem on hook. */
#define DIAL_FAILS(cmd, result, ms) SAY((cmd), (result), (ms)), SAY("ATH0", OK, 0)

static void expect_connected_to(const char *number, uint64_t speed)
{
	CU_ASSERT_STRING_EQUAL(got.number, number);
	CU_ASSERT_EQUAL(got.speed, speed);
}

static void expect_line_fault(enum dial_outcome outcome)
{
	CU_ASSERT_EQUAL(got.outcome, outcome);
	CU_ASSERT_TRUE(got.line_fault);
}

static void a_call_connects_and_reports_number_and_speed(void)
{
	static const struct step script[] = {
		INIT_STEPS(5),
		SAY("ATDT+15550101", "\r\nCONNECT 33600/ARQ/V42BIS\r\n", 20),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT_EQUAL(got.connected, 1);
	expect_connected_to("+15550101", 33600);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT_EQUAL_FATAL(modem.n_cmds, 3);
	CU_ASSERT_STRING_EQUAL(modem.cmds[0], "ATZ");
	CU_ASSERT_STRING_EQUAL(modem.cmds[1], "AT&F E0 V1 X4");
	CU_ASSERT_STRING_EQUAL(modem.cmds[2], "ATDT+15550101");
	hang_up();
	world_down();
}

/* A banner with a NUL, a control character and line noise before the OK. */
#define CHATTER "\r\nU.S. Robotics\0\x01 Courier\r\n\x80\xfe\r\n" OK

static void a_modem_that_echoes_and_chatters_still_connects(void)
{
	static const struct step script[] = {
		{"ATZ", CHATTER, 5, false, sizeof(CHATTER) - 1},
		SAY("AT&F E0 V1 X4", "\r\nRING\r\nok\r\n", 5),
		SAY("ATDT9,5550101", "\r\nCARRIER 33600\r\nPROTOCOL: LAPM\r\nconnect 31200/v42bis\r\n", 20),
		HANGUP_STEPS,
		END,
	};
	static const char *const number[] = {"5550101"};

	world_up(script, true);
	line.dial_prefix = "9,";
	call_until(number, 1, is_connected, 2000);
	expect_connected_to("5550101", 31200);
	CU_ASSERT_EQUAL(modem.n_cmds, 3);
	hang_up();
	world_down();
}

static void a_connect_without_speed_reports_zero(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		SAY("ATDT+15550101", "\r\nCONNECT\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT_EQUAL(got.speed, 0);
	hang_up();
	world_down();
}

static void numeric_results_and_an_init_string_without_at_work(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("ATE0V0", "0\r", 0),
		SAY("ATDT+15550101", "1\r", 10),
		SAY("+++", "0\r", 0),
		SAY("ATH0", "0\r", 0),
		END,
	};

	world_up(script, false);
	line.init = "E0V0";
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT_EQUAL(got.speed, 0);
	CU_ASSERT_STRING_EQUAL(modem.cmds[1], "ATE0V0");
	hang_up();
	world_down();
}

static void a_busy_number_is_redialed_after_the_back_off(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		DIAL_FAILS("ATDT+15550101", "\r\nBUSY\r\n", 10),
		DIAL_FAILS("ATDT+15550101", "\r\nBUSY\r\n", 10),
		SAY("ATDT+15550101", "\r\nCONNECT 28800\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(two_numbers, 2, is_connected, 3000);
	expect_connected_to("+15550101", 28800);
	CU_ASSERT_EQUAL_FATAL(modem.n_cmds, 7);
	CU_ASSERT_STRING_EQUAL(modem.cmds[3], "ATH0");
	CU_ASSERT_STRING_EQUAL(modem.cmds[4], "ATDT+15550101");
	CU_ASSERT_STRING_EQUAL(modem.cmds[6], "ATDT+15550101");
	/* The back-off: retry_delay, then doubled. */
	CU_ASSERT(modem.at[4] - modem.at[3] >= 45);
	CU_ASSERT(modem.at[6] - modem.at[5] >= 95);
	hang_up();
	world_down();
}

static void no_answer_moves_on_to_the_next_number_at_once(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		DIAL_FAILS("ATDT+15550101", "\r\nNO ANSWER\r\n", 10),
		SAY("ATDT+15550102", "\r\nCONNECT 9600\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(two_numbers, 2, is_connected, 2000);
	expect_connected_to("+15550102", 9600);
	CU_ASSERT_EQUAL_FATAL(modem.n_cmds, 5);
	CU_ASSERT(modem.at[4] - modem.at[3] < 40);
	hang_up();
	world_down();
}

static void no_carrier_redials_once_then_moves_on(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		DIAL_FAILS("ATDT+15550101", "\r\nNO CARRIER\r\n", 5),
		DIAL_FAILS("ATDT+15550101", "\r\nNO CARRIER\r\n", 5),
		SAY("ATDT+15550102", "\r\nCONNECT 14400\r\n", 5),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(two_numbers, 2, is_connected, 2000);
	CU_ASSERT_STRING_EQUAL(got.number, "+15550102");
	CU_ASSERT_EQUAL(modem.n_cmds, 7);
	hang_up();
	world_down();
}

static void when_every_number_fails_the_reason_names_each(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		DIAL_FAILS("ATDT+15550101", "\r\nBUSY\r\n", 5),
		DIAL_FAILS("ATDT+15550101", "\r\nBUSY\r\n", 5),
		DIAL_FAILS("ATDT+15550102", "\r\nNO ANSWER\r\n", 5),
		END,
	};

	world_up(script, false);
	timing.busy_retries = 1;
	call_until(two_numbers, 2, has_failed, 2000);
	CU_ASSERT_EQUAL(got.failed, 1);
	CU_ASSERT_EQUAL(got.connected, 0);
	CU_ASSERT_EQUAL(got.outcome, DIAL_NO_ANSWER);
	CU_ASSERT_FALSE(got.line_fault);
	CU_ASSERT(reason_has("line modem1: "));
	CU_ASSERT(reason_has("+15550101 busy (2 tries)"));
	CU_ASSERT(reason_has("+15550102 no answer"));
	CU_ASSERT_EQUAL(modem.n_cmds, 8);
	run_for(100);
	CU_ASSERT_EQUAL(got.failed, 1);
	world_down();
}

static void no_dial_tone_is_a_line_fault(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		SAY("ATDT+15550101", "\r\nNO DIALTONE\r\n", 5),
		END,
	};

	world_up(script, false);
	call_until(two_numbers, 2, has_failed, 2000);
	expect_line_fault(DIAL_NO_DIALTONE);
	CU_ASSERT(reason_has("+15550101 no dial tone"));
	CU_ASSERT(reason_has("no dial tone (is the phone line plugged in?)"));
	CU_ASSERT(reason_has("not dialed: +15550102"));
	world_down();
}

static void error_on_init_is_retried_then_fails_as_a_line_fault(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", "\r\nERROR\r\n", 0),
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", "\r\nERROR\r\n", 0),
		END,
	};

	world_up(script, false);
	timing.line_retries = 1;
	call_until(one_number, 1, has_failed, 2000);
	expect_line_fault(DIAL_ERROR);
	CU_ASSERT(reason_has("ERROR to AT&F E0 V1 X4"));
	CU_ASSERT(reason_has("not dialed: +15550101"));
	/* Reopened and reset for the retry, after the back-off. */
	CU_ASSERT_EQUAL_FATAL(modem.n_cmds, 4);
	CU_ASSERT_STRING_EQUAL(modem.cmds[2], "ATZ");
	CU_ASSERT(modem.at[2] - modem.at[1] >= 45);
	CU_ASSERT_EQUAL(modem_cmd_index("ATDT+15550101", 0), -1);
	world_down();
}

static void a_silent_modem_times_out_as_a_line_fault(void)
{
	static const struct step script[] = {END};
	double t0;

	world_up(script, false);
	t0 = now_ms();
	call_until(one_number, 1, has_failed, 2000);
	expect_line_fault(DIAL_TIMEOUT);
	CU_ASSERT(reason_has("within 300 ms of ATZ"));
	CU_ASSERT(got.at - t0 >= 295);
	CU_ASSERT_EQUAL(modem.n_cmds, 1);
	world_down();
}

static void a_dial_without_result_times_out(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, has_failed, 2000);
	expect_line_fault(DIAL_TIMEOUT);
	CU_ASSERT(reason_has("+15550101 timeout"));
	CU_ASSERT(reason_has("within 500 ms of ATDT+15550101"));
	world_down();
}

static void a_health_check_passes_on_ok_answers(void)
{
	static const struct step script[] = {
		SAY("ATZ", "ATZ\r" OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		END,
	};

	world_up(script, false);
	start_check();
	CU_ASSERT_EQUAL(got.checked, 0);
	CU_ASSERT(run_until(has_checked, 2000));
	CU_ASSERT_TRUE(got.ok);
	CU_ASSERT(reason_has("line modem1"));
	CU_ASSERT_EQUAL(modem.n_cmds, 2);
	run_for(50);
	CU_ASSERT_EQUAL(got.checked, 1);
	world_down();
}

static void a_health_check_fails_on_error(void)
{
	static const struct step script[] = {
		SAY("ATZ", "\r\nERROR\r\n", 0),
		END,
	};

	world_up(script, false);
	start_check();
	CU_ASSERT(run_until(has_checked, 2000));
	CU_ASSERT_FALSE(got.ok);
	CU_ASSERT(reason_has("line modem1: modem answered ERROR to ATZ"));
	CU_ASSERT_EQUAL(modem.n_cmds, 1);
	world_down();
}

static void a_cancelled_health_check_reports_nothing(void)
{
	static const struct step script[] = {SAY("ATZ", OK, 50), END};
	struct dial_check *k;

	world_up(script, false);
	k = start_check();
	run_for(20);
	CU_ASSERT_EQUAL(modem.n_cmds, 1);
	dial_check_cancel(k);
	run_for(150);
	CU_ASSERT_EQUAL(got.checked, 0);
	dial_check_cancel(NULL);
	world_down();
}

static void a_bad_device_path_fails_from_the_loop(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	line.device = "/nonexistent/ttyS9";
	timing.line_retries = 3;
	start(one_number, 1);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT(run_until(has_failed, 1000));
	expect_line_fault(DIAL_DEVICE);
	CU_ASSERT(reason_has("cannot open /nonexistent/ttyS9: No such file or directory"));
	CU_ASSERT(reason_has("not dialed: +15550101"));
	world_down();
}

static void an_unknown_baud_rate_fails_the_call(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	line.baud = 12345;
	call_until(one_number, 1, has_failed, 1000);
	CU_ASSERT_EQUAL(got.outcome, DIAL_DEVICE);
	CU_ASSERT(reason_has("baud 12345"));
	CU_ASSERT_EQUAL(modem.n_cmds, 0);
	world_down();
}

static void bad_arguments_are_refused_without_an_event(void)
{
	static const struct step script[] = {END};
	static const char *const bad[] = {"555;ATH"};

	world_up(script, false);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 0, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, bad, 1, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	line.init = "ATZ\rATH";
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 1, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_check_start(base, &line, &timing, on_checked, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	line.init = "";
	line.dial_prefix = "9;";
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 1, &events, &got));
	run_for(50);
	CU_ASSERT_EQUAL(got.connected + got.failed + got.dropped + got.checked, 0);
	CU_ASSERT_EQUAL(modem.n_cmds, 0);
	dial_hangup(NULL);
	world_down();
}

static void outcome_names_and_line_faults(void)
{
	struct dial_timing t;

	CU_ASSERT_STRING_EQUAL(dial_outcome_name(DIAL_NO_DIALTONE), "no dial tone");
	CU_ASSERT_STRING_EQUAL(dial_outcome_name(DIAL_BUSY), "busy");
	CU_ASSERT_TRUE(dial_outcome_is_line_fault(DIAL_TIMEOUT));
	CU_ASSERT_TRUE(dial_outcome_is_line_fault(DIAL_DEVICE));
	CU_ASSERT_FALSE(dial_outcome_is_line_fault(DIAL_NO_ANSWER));
	CU_ASSERT_FALSE(dial_outcome_is_line_fault(DIAL_NO_CARRIER));
	dial_timing_defaults(&t);
	CU_ASSERT_EQUAL(t.command_timeout_ms, 3000);
	CU_ASSERT_EQUAL(t.connect_timeout_ms, 60000);
	CU_ASSERT_EQUAL(t.busy_retries, 2);
	CU_ASSERT_EQUAL(t.line_retries, 1);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(outcome_names_and_line_faults),
		CASE(a_call_connects_and_reports_number_and_speed),
		CASE(a_modem_that_echoes_and_chatters_still_connects),
		CASE(a_connect_without_speed_reports_zero),
		CASE(numeric_results_and_an_init_string_without_at_work),
		CASE(a_busy_number_is_redialed_after_the_back_off),
		CASE(no_answer_moves_on_to_the_next_number_at_once),
		CASE(no_carrier_redials_once_then_moves_on),
		CASE(when_every_number_fails_the_reason_names_each),
		CASE(no_dial_tone_is_a_line_fault),
		CASE(error_on_init_is_retried_then_fails_as_a_line_fault),
		CASE(a_silent_modem_times_out_as_a_line_fault),
		CASE(a_dial_without_result_times_out),
		CASE(a_health_check_passes_on_ok_answers),
		CASE(a_health_check_fails_on_error),
		CASE(a_cancelled_health_check_reports_nothing),
		CASE(a_bad_device_path_fails_from_the_loop),
		CASE(an_unknown_baud_rate_fails_the_call),
		CASE(bad_arguments_are_refused_without_an_event),
#undef CASE
		{NULL, NULL},
	};

	return dialer_test_run("dialer", cases);
}
