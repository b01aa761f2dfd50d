/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialer against a scripted modem (dialer_fixture.h), once the call is dialed: retrains
 * and drops of a connected call, hanging up while connected, while dialing and before
 * anything happened, and calls across a restart of spgate-control (dial_detach leaves the
 * call up, dial_reattach takes it over). Dialing up to the result is in test_dialer.c.
 */
#include <errno.h>

#include "dialer_fixture.h"

/* Reset, init, and the dial of one_number connecting at 33600 after 5 ms. */
#define CONNECTED_STEPS INIT_STEPS(0), SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5)

/* 200 bytes without an end of line, ending in what looks like a result: cut, never a result. */
#define JUNK20 "CONNECT 9600 xxxxxxx"
#define JUNK200 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20

/* Runs the loop for ms and sees that the call reported nothing at all. */
static void expect_no_event_within(unsigned ms)
{
	run_for(ms);
	CU_ASSERT_EQUAL(got.connected + got.failed + got.dropped, 0);
}

static void a_retrain_reports_the_new_speed_once(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		LATER("\r\nCONNECT 28800\r\n", 30),
		LATER("garbage\x01\r\n" JUNK200 JUNK200 "\r\nCONNECT 28800\r\nCONNECT\r\n", 30),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, is_connected, 2000);
	run_for(150);
	CU_ASSERT_EQUAL(got.speed_changed, 1);
	CU_ASSERT_EQUAL(got.new_speed, 28800);
	CU_ASSERT_EQUAL(got.dropped, 0);
	hang_up();
	world_down();
}

static bool has_retrained(void)
{
	return got.speed_changed > 0;
}

static void hang_up_from_inside_speed_changed_is_safe(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		/* In one read: the rest after the retrain comes after the hang-up began. */
		LATER("\r\nCONNECT 28800\r\nNO CARRIER\r\nCONNECT 14400\r\n", 20),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	got.hang_up_on_retrain = true;
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT(run_until(has_retrained, 2000));
	CU_ASSERT(run_until(device_free, 2000));
	CU_ASSERT_EQUAL(got.new_speed, 28800);
	CU_ASSERT_EQUAL(modem_cmd_index("+++", 0), 3);
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), 4);
	run_for(50);
	CU_ASSERT_EQUAL(got.speed_changed, 1);
	CU_ASSERT_EQUAL(got.dropped + got.failed, 0);
	world_down();
}

static void no_carrier_while_online_drops_the_call(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		LATER("\r\nNO CARRIER\r\n", 30),
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, has_dropped, 2000);
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_STRING_EQUAL(got.reason, "NO CARRIER");
	run_for(100);
	CU_ASSERT_EQUAL(got.dropped, 1);
	CU_ASSERT_EQUAL(got.failed, 0);
	world_down();
}

static void a_connect_and_no_carrier_in_one_read_connect_then_drop(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		SAY("ATDT+15550101", "\r\nCONNECT 2400\r\n\r\nNO CARRIER\r\n", 5),
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, has_dropped, 2000);
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_EQUAL(got.dropped, 1);
	world_down();
}

static void the_device_closing_while_online_drops_the_call(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		CLOSE_AFTER(30),
		END,
	};

	world_up(script, false);
	/* The master's hang-up reaches every slave fd; the test's own must not keep it alive. */
	call_until(one_number, 1, has_dropped, 2000);
	CU_ASSERT_STRING_EQUAL(got.reason, "device closed");
	CU_ASSERT_EQUAL(got.failed, 0);
	world_down();
}

static void hang_up_sends_the_escape_then_ath0_and_reports_nothing_more(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		/* Said during the guard time: the call is ours to end, not dropped. */
		LATER("\r\nNO CARRIER\r\n", 10),
		HANGUP_STEPS,
		END,
	};
	int esc, ath;

	world_up(script, false);
	got.hang_up_at_once = true;
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT(run_until(device_free, 2000));
	esc = modem_cmd_index("+++", 0);
	ath = modem_cmd_index("ATH0", 0);
	CU_ASSERT_FATAL(esc == 3 && ath == 4);
	CU_ASSERT(modem.at[esc] - got.hung_up_at >= 45);
	CU_ASSERT(modem.at[ath] - modem.at[esc] >= 45);
	run_for(100);
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_EQUAL(got.dropped, 0);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT_EQUAL(got.speed_changed, 0);
	world_down();
}

static bool connected_twice(void)
{
	return got.connected == 2;
}

static void a_new_call_waits_until_the_last_one_is_on_hook(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		SAY("+++", OK, 0),
		SAY("ATH0", OK, 40),
		INIT_STEPS(0),
		SAY("ATDT+15550102", "\r\nCONNECT 9600\r\n", 5),
		HANGUP_STEPS,
		END,
	};
	static const char *const second[] = {"+15550102"};
	int ath, atz;

	world_up(script, false);
	got.hang_up_at_once = true;
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT_TRUE(dial_device_hanging_up(modem.path));
	got.hang_up_at_once = false;
	call_until(second, 1, connected_twice, 2000);
	CU_ASSERT_EQUAL(got.connected, 2);
	CU_ASSERT_STRING_EQUAL(got.number, "+15550102");
	ath = modem_cmd_index("ATH0", 0);
	atz = modem_cmd_index("ATZ", 1);
	CU_ASSERT(ath > 0 && atz > ath);
	/* The second ATZ only after the first call's ATH0 got its (late) OK. */
	CU_ASSERT(atz > 0 && modem.at[atz] - modem.at[ath] >= 35);
	hang_up();
	world_down();
}

static bool modem_saw_atdt(void)
{
	return modem_cmd_index("ATDT+15550101", 0) >= 0;
}

static void hang_up_while_dialing_aborts_with_ath0(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		SAY("ATDT+15550101", NULL, 0),
		SAY("ATH0", "\r\nNO CARRIER\r\n", 5),
		END,
	};
	double t0;

	world_up(script, false);
	call_until(one_number, 1, modem_saw_atdt, 2000);
	t0 = now_ms();
	end_call();
	CU_ASSERT_TRUE(dial_device_hanging_up(modem.path));
	CU_ASSERT(run_until(device_free, 2000));
	/*
	 * Ended by the modem's answer, not by the command timeout: the answer (5 ms) plus the
	 * 500 ms the device rests with DTR down, against 300 ms + 500 ms for a timeout.
	 */
	CU_ASSERT(now_ms() - t0 >= 500);
	CU_ASSERT(now_ms() - t0 < 750);
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), 3);
	expect_no_event_within(100);
	world_down();
}

static void hang_up_before_anything_happened_closes_quietly(void)
{
	static const struct step script[] = {SAY("ATZ", OK, 0), END};

	world_up(script, false);
	start(one_number, 1);
	end_call();
	CU_ASSERT_FALSE(dial_device_hanging_up(modem.path));
	expect_no_event_within(100);
	CU_ASSERT_EQUAL(modem.n_cmds, 0);
	world_down();
}

/* ---- across a restart: dial_detach and dial_reattach ---- */

static bool has_ended(void)
{
	return got.failed + got.connected > 0;
}

/* The call went while nobody listened: ATO finds none. Failed, and the modem never reset. */
static void a_reattach_to_a_lost_call_fails_without_resetting_the_modem(void)
{
	static const struct step script[] = {
		SAY("+++", NULL, 0), /* command mode already: "+++" is only line noise */
		SAY("ATO", "\r\nNO CARRIER\r\n", 5),
		END,
	};

	world_up(script, true);
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(has_ended, 2000));
	CU_ASSERT_EQUAL(got.failed, 1);
	CU_ASSERT_EQUAL(got.connected, 0);
	CU_ASSERT_EQUAL(got.outcome, DIAL_NO_CARRIER);
	CU_ASSERT_FALSE(got.line_fault);
	CU_ASSERT(reason_has("line modem1: "));
	CU_ASSERT(reason_has("NO CARRIER to ATO"));
	CU_ASSERT_EQUAL(modem_cmd_index("ATZ", 0), -1);
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), -1);
	CU_ASSERT_EQUAL(modem.n_cmds, 2);
	/* Closed deliberately: HUPCL on, so the close dropped DTR (the modem is on hook). */
	CU_ASSERT_TRUE(device_hupcl());
	run_for(100);
	CU_ASSERT_EQUAL(got.failed + got.connected + got.dropped, 1);
	world_down();
}

static void a_reattach_to_a_silent_modem_fails_after_the_command_timeout(void)
{
	static const struct step script[] = {
		SAY("+++", NULL, 0),
		SAY("ATO", NULL, 0),
		END,
	};
	double t0;

	world_up(script, false);
	t0 = now_ms();
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(has_ended, 2000));
	CU_ASSERT_EQUAL(got.failed, 1);
	CU_ASSERT_EQUAL(got.outcome, DIAL_TIMEOUT);
	CU_ASSERT(reason_has("no answer from the modem within 300 ms of ATO"));
	/* guard, "+++", no OK: guard + command_timeout, ATO, command_timeout */
	CU_ASSERT(got.at - t0 >= 2 * 50 + 2 * 300 - 5);
	CU_ASSERT_EQUAL(modem_cmd_index("ATZ", 0), -1);
	world_down();
}

static void a_reattach_to_a_missing_device_fails_naming_it(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	line.device = "/nonexistent/spgate-modem";
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(has_ended, 2000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_DEVICE);
	CU_ASSERT(reason_has("/nonexistent/spgate-modem"));
	world_down();
}

static void a_reattach_needs_a_label(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_reattach(base, &line, &timing, "", 33600, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(dial_reattach(base, &line, &timing, NULL, 33600, &events, &got));
	run_for(50);
	CU_ASSERT_EQUAL(got.failed + got.connected, 0);
	world_down();
}

/* The call is there: escape, ATO, online again at the modem's speed; then as any call. */
static void a_reattach_resumes_the_live_call_without_a_reset(void)
{
	static const struct step script[] = {
		SAY("+++", OK, 60), /* after the modem's own guard time */
		SAY("ATO", "\r\nCONNECT 31200\r\n", 5),
		LATER("\r\nCONNECT 28800\r\n", 20),
		HANGUP_STEPS,
		END,
	};
	double t0;

	world_up(script, false);
	t0 = now_ms();
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(is_connected, 2000));
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT_STRING_EQUAL(got.number, "+15550101");
	CU_ASSERT_EQUAL(got.speed, 31200);
	CU_ASSERT_FATAL(modem.n_cmds == 2);
	CU_ASSERT_STRING_EQUAL(modem.cmds[0], "+++");
	CU_ASSERT_STRING_EQUAL(modem.cmds[1], "ATO");
	/* The escape after the guard time; ATO once the modem said OK to it, not before. */
	CU_ASSERT(modem.at[0] - t0 >= 45);
	CU_ASSERT(modem.at[1] - modem.at[0] >= 55);
	CU_ASSERT(modem.at[1] - modem.at[0] < 300);
	/* HUPCL stays off while the call is up: another restart leaves it up too. */
	CU_ASSERT_FALSE(device_hupcl());
	CU_ASSERT(run_until(has_retrained, 1000));
	CU_ASSERT_EQUAL(got.new_speed, 28800);
	hang_up();
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 2), 3);
	CU_ASSERT_TRUE(device_hupcl());
	CU_ASSERT_EQUAL(modem_cmd_index("ATZ", 0), -1);
	world_down();
}

static void a_reattach_without_a_speed_keeps_the_stored_one(void)
{
	static const struct step script[] = {
		SAY("+++", OK, 0),
		SAY("ATO", "\r\nCONNECT\r\n", 5),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(is_connected, 2000));
	CU_ASSERT_EQUAL(got.speed, 33600);
	hang_up();
	world_down();
}

/* A call reattached, then lost: dropped, as a dialed one. */
static void a_reattached_call_that_drops_is_reported_dropped(void)
{
	static const struct step script[] = {
		SAY("+++", OK, 0),
		SAY("ATO", "\r\nCONNECT 33600\r\n", 5),
		LATER("\r\nNO CARRIER\r\n", 20),
		END,
	};

	world_up(script, false);
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(has_dropped, 2000));
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_STRING_EQUAL(got.reason, "NO CARRIER");
	CU_ASSERT_TRUE(device_hupcl());
	world_down();
}

/* An exit of spgate-control: the call is left up, nothing is sent, DTR is not dropped. */
static void detach_leaves_a_connected_call_up(void)
{
	static const struct step script[] = {
		CONNECTED_STEPS,
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, is_connected, 2000);
	CU_ASSERT_FALSE(device_hupcl());
	dial_detach(got.call);
	got.call = NULL;
	CU_ASSERT_FALSE(dial_device_hanging_up(modem.path));
	run_for(200);
	CU_ASSERT_EQUAL(modem.n_cmds, 3); /* ATZ, init, ATDT: no "+++", no ATH0 */
	CU_ASSERT_EQUAL(modem_cmd_index("+++", 0), -1);
	CU_ASSERT_FALSE(device_hupcl());
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_EQUAL(got.failed + got.dropped + got.speed_changed, 0);
	world_down();
}

static bool modem_saw_escape(void)
{
	return modem_cmd_index("+++", 0) >= 0;
}

/* Stopped again while taking the call over: still left up, for the next one to ask. */
static void detach_while_reattaching_leaves_the_call_up(void)
{
	static const struct step script[] = {
		SAY("+++", NULL, 0),
		END,
	};

	world_up(script, false);
	reattach("+15550101", 33600);
	CU_ASSERT_FATAL(run_until(modem_saw_escape, 2000));
	dial_detach(got.call);
	got.call = NULL;
	run_for(2 * 50 + 300);
	CU_ASSERT_EQUAL(modem.n_cmds, 1); /* no ATO, no ATH0 */
	CU_ASSERT_FALSE(device_hupcl());
	CU_ASSERT_FALSE(dial_device_hanging_up(modem.path));
	CU_ASSERT_EQUAL(got.failed + got.connected + got.dropped, 0);
	world_down();
}

/* A call not yet up is not worth keeping: detach hangs it up as dial_hangup would. */
static void detach_while_dialing_hangs_up(void)
{
	static const struct step script[] = {
		INIT_STEPS(0),
		SAY("ATDT+15550101", NULL, 0),
		SAY("ATH0", "\r\nNO CARRIER\r\n", 5),
		END,
	};

	world_up(script, false);
	call_until(one_number, 1, modem_saw_atdt, 2000);
	/* HUPCL on while dialing: a crash now hangs up, as the next process fails the session. */
	CU_ASSERT_TRUE(device_hupcl());
	dial_detach(got.call);
	got.call = NULL;
	CU_ASSERT(run_until(device_free, 2000));
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), 3);
	CU_ASSERT_TRUE(device_hupcl());
	expect_no_event_within(100);
	world_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_retrain_reports_the_new_speed_once),
		CASE(hang_up_from_inside_speed_changed_is_safe),
		CASE(no_carrier_while_online_drops_the_call),
		CASE(a_connect_and_no_carrier_in_one_read_connect_then_drop),
		CASE(the_device_closing_while_online_drops_the_call),
		CASE(hang_up_sends_the_escape_then_ath0_and_reports_nothing_more),
		CASE(a_new_call_waits_until_the_last_one_is_on_hook),
		CASE(hang_up_while_dialing_aborts_with_ath0),
		CASE(hang_up_before_anything_happened_closes_quietly),
		CASE(a_reattach_to_a_lost_call_fails_without_resetting_the_modem),
		CASE(a_reattach_to_a_silent_modem_fails_after_the_command_timeout),
		CASE(a_reattach_to_a_missing_device_fails_naming_it),
		CASE(a_reattach_needs_a_label),
		CASE(a_reattach_resumes_the_live_call_without_a_reset),
		CASE(a_reattach_without_a_speed_keeps_the_stored_one),
		CASE(a_reattached_call_that_drops_is_reported_dropped),
		CASE(detach_leaves_a_connected_call_up),
		CASE(detach_while_reattaching_leaves_the_call_up),
		CASE(detach_while_dialing_hangs_up),
#undef CASE
		{NULL, NULL},
	};

	return dialer_test_run("dialer_online", cases);
}
