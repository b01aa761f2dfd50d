/* SPDX-License-Identifier: BSD-3-Clause */
/* The audit trail: one valid JSON line per event in the file, the same event in the store. */
#include <errno.h>

#include <jansson.h>

#include "audit.h"
#include "ctl_test.h"

#define NOW 1714564800 /* 2024-05-01T12:00:00Z */

static char dir[64], db[512], log_path[128];
static struct store *st;
static struct audit *a;

static void fresh(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	snprintf(log_path, sizeof(log_path), "%s/audit.jsonl", dir);
	a = audit_open(log_path, st);
	if (a == NULL)
		abort();
}

static void done(void)
{
	audit_close(a);
	a = NULL;
	store_close(st);
	st = NULL;
	ctl_test_rmdir(dir);
}

/* Line n (0-based) of the log, parsed; NULL if there is none or it is not JSON. */
static json_t *log_line(const char *path, int n)
{
	char line[4096];
	json_t *v = NULL;
	FILE *f = fopen(path, "r");
	int i;

	if (f == NULL)
		return NULL;
	for (i = 0; i <= n; i++)
		if (fgets(line, sizeof(line), f) == NULL) {
			fclose(f);
			return NULL;
		}
	fclose(f);
	if (line[strlen(line) - 1] == '\n')
		v = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	return v;
}

static void an_event_is_one_json_line_with_every_field(void)
{
	json_t *e;

	fresh();
	CU_ASSERT_EQUAL(audit_event_at(a, NOW, "alice", "connect", "CK2001", "ok",
				       "{\"session\":7}"), 0);
	e = log_line(log_path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "time")),
			       "2024-05-01T12:00:00Z");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "unix")), NOW);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "actor")), "alice");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "action")), "connect");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "target")), "CK2001");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "result")), "ok");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(e, "detail"),
							   "session")), 7);
	json_decref(e);
	done();
}

static void events_append_and_quotes_stay_json(void)
{
	json_t *e;

	fresh();
	CU_ASSERT_EQUAL(audit_event_at(a, NOW, "alice", "login", "from 198.51.100.7", "ok", NULL),
			0);
	CU_ASSERT_EQUAL(audit_event_at(a, NOW + 1, "eve\"\n", "login", "x", "auth_failed", NULL),
			0);
	e = log_line(log_path, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "actor")), "eve\"\n");
	CU_ASSERT_PTR_NULL(json_object_get(e, "detail"));
	json_decref(e);
	done();
}

static void detail_that_is_not_json_is_kept_as_text_and_reported(void)
{
	json_t *e;

	fresh();
	CU_ASSERT_EQUAL(audit_event_at(a, NOW, "alice", "connect", "CK2001", "ok", "{oops"),
			-EINVAL);
	e = log_line(log_path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "detail")), "{oops");
	json_decref(e);
	done();
}

struct listed {
	int64_t times[8];
	char actions[8][32];
	int n;
};

static int note(const struct audit_record *r, void *arg)
{
	struct listed *l = arg;

	if (l->n < 8) {
		l->times[l->n] = r->time;
		snprintf(l->actions[l->n], sizeof(l->actions[0]), "%s", r->action);
	}
	l->n++;
	return 0;
}

static void the_list_gives_the_newest_events_since_a_time_oldest_first(void)
{
	struct listed l = { .n = 0 };
	json_t *o;
	int i;
	char action[16];
	struct audit_record r = { .id = 3, .time = NOW, .actor = "a", .action = "b",
				  .target = "c", .result = "d", .detail = "[1]" };

	fresh();
	for (i = 0; i < 5; i++) {
		snprintf(action, sizeof(action), "step%d", i);
		CU_ASSERT_EQUAL(audit_event_at(a, NOW + i, "op", action, "t", "ok", NULL), 0);
	}
	CU_ASSERT_EQUAL(audit_list(st, NOW + 1, 2, note, &l), 0);
	CU_ASSERT_EQUAL(l.n, 2);
	CU_ASSERT_STRING_EQUAL(l.actions[0], "step3");
	CU_ASSERT_STRING_EQUAL(l.actions[1], "step4");
	l.n = 0;
	CU_ASSERT_EQUAL(audit_list(st, NOW + 3, 0, note, &l), 0);
	CU_ASSERT_EQUAL(l.n, 2);
	CU_ASSERT_EQUAL(l.times[0], NOW + 3);
	o = audit_record_json(&r);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "id")), 3);
	CU_ASSERT(json_is_array(json_object_get(o, "detail")));
	json_decref(o);
	done();
}

static void a_failing_file_is_reported_and_the_store_still_gets_the_event(void)
{
	struct listed l = { .n = 0 };
	struct audit *full;

	fresh();
	/* Every write to /dev/full fails with ENOSPC, as on a full log partition. */
	full = audit_open("/dev/full", st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(full);
	CU_ASSERT_EQUAL(audit_event_at(full, NOW, "alice", "disconnect", "CK2001", "ok", NULL),
			-ENOSPC);
	audit_close(full);
	CU_ASSERT_EQUAL(audit_list(st, 0, 0, note, &l), 0);
	CU_ASSERT_EQUAL(l.n, 1);
	CU_ASSERT_STRING_EQUAL(l.actions[0], "disconnect");
	done();
}

static void reopening_after_rotation_writes_to_the_new_file(void)
{
	char rotated[160];
	json_t *e;

	fresh();
	CU_ASSERT_EQUAL(audit_event_at(a, NOW, "op", "before", "t", "ok", NULL), 0);
	snprintf(rotated, sizeof(rotated), "%s.1", log_path);
	CU_ASSERT_EQUAL_FATAL(rename(log_path, rotated), 0);
	CU_ASSERT_EQUAL(audit_reopen(a), 0);
	CU_ASSERT_EQUAL(audit_event_at(a, NOW, "op", "after", "t", "ok", NULL), 0);
	CU_ASSERT_EQUAL(audit_sync(a), 0);
	e = log_line(log_path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "action")), "after");
	json_decref(e);
	done();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "an_event_is_one_json_line_with_every_field",
		  an_event_is_one_json_line_with_every_field },
		{ "events_append_and_quotes_stay_json", events_append_and_quotes_stay_json },
		{ "detail_that_is_not_json_is_kept_as_text_and_reported",
		  detail_that_is_not_json_is_kept_as_text_and_reported },
		{ "the_list_gives_the_newest_events_since_a_time_oldest_first",
		  the_list_gives_the_newest_events_since_a_time_oldest_first },
		{ "a_failing_file_is_reported_and_the_store_still_gets_the_event",
		  a_failing_file_is_reported_and_the_store_still_gets_the_event },
		{ "reopening_after_rotation_writes_to_the_new_file",
		  reopening_after_rotation_writes_to_the_new_file },
		{ NULL, NULL },
	};

	return ctl_test_run("audit", cases, NULL, NULL);
}
