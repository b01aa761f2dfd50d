/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hook script: "HOOK up|down|retrain DEVICE NUMBER SPEED PEER", with the same values in
 * SPG_MODEM_* environment variables. Runs of one modem go one at a time, in order (the lab
 * must see "up" finished before it tears the link down again); modems do not wait for each
 * other. A run taking longer than HOOK_TIMEOUT_S is killed, with its process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modemsim.h"

#define HOOK_TIMEOUT_S 10

static const char *const event_names[] = {
	[SIM_HOOK_UP] = "up",
	[SIM_HOOK_DOWN] = "down",
	[SIM_HOOK_RETRAIN] = "retrain",
};

struct hook_job {
	struct hook_job *next;
	enum sim_hook_event ev;
	uint32_t speed;
	char script[PATH_MAX];
	char device[PATH_MAX];
	char number[SIM_NUMBER_MAX];
	char peer[SIM_PEER_MAX];
};

struct sim_hook_queue {
	struct sim_hook_queue *next_queue; /* all queues, to find a reaped child's */
	char name[64];
	struct event *timeout;
	pid_t pid;                          /* the running job's; 0 when none */
	struct hook_job *head, **tail;      /* head is the running job while pid != 0 */
};

static struct sim_hook_queue *queues;

static void hook_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sim_hook_queue *q = arg;

	(void)fd;
	(void)what;
	if (q->pid == 0)
		return;
	sim_log("%s: hook %s took more than %d s: killed", q->name, event_names[q->head->ev],
		HOOK_TIMEOUT_S);
	kill(-q->pid, SIGKILL);
}

struct sim_hook_queue *sim_hook_queue_new(struct event_base *base, const char *name)
{
	struct sim_hook_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->timeout = evtimer_new(base, hook_timeout, q);
	if (q->timeout == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->tail = &q->head;
	q->next_queue = queues;
	queues = q;
	return q;
}

void sim_hook_queue_free(struct sim_hook_queue *q)
{
	struct sim_hook_queue **pp;
	struct hook_job *j;

	if (q == NULL)
		return;
	for (pp = &queues; *pp != NULL; pp = &(*pp)->next_queue)
		if (*pp == q) {
			*pp = q->next_queue;
			break;
		}
	while ((j = q->head) != NULL) {
		q->head = j->next;
		free(j);
	}
	event_free(q->timeout);
	free(q);
}

bool sim_hook_idle(const struct sim_hook_queue *q)
{
	return q->head == NULL;
}

static void __attribute__((noreturn)) exec_job(const struct hook_job *j)
{
	char speed[16];
	sigset_t none;
	int fd;

	/* Our own signal handling must not leak into the script. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	/* The script's output lands in our log (stderr). */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	snprintf(speed, sizeof(speed), "%u", j->speed);
	setenv("SPG_MODEM_EVENT", event_names[j->ev], 1);
	setenv("SPG_MODEM_DEVICE", j->device, 1);
	setenv("SPG_MODEM_NUMBER", j->number, 1);
	setenv("SPG_MODEM_SPEED", speed, 1);
	setenv("SPG_MODEM_PEER", j->peer, 1);
	execl(j->script, j->script, event_names[j->ev], j->device, j->number, speed, j->peer,
	      (char *)NULL);
	dprintf(STDERR_FILENO, "spgate-modemsim: cannot run hook %s: %s\n", j->script,
		strerror(errno));
	_exit(127);
}

/* Starts the head job if nothing runs; a job that cannot start is dropped, and the next tried. */
static void start_next(struct sim_hook_queue *q)
{
	const struct timeval tv = { .tv_sec = HOOK_TIMEOUT_S };
	struct hook_job *j;
	pid_t pid;

	while (q->pid == 0 && (j = q->head) != NULL) {
		pid = fork();
		if (pid == 0)
			exec_job(j);
		if (pid > 0) {
			/* Also here: the timeout may kill the group before the child made it. */
			setpgid(pid, pid);
			q->pid = pid;
			evtimer_add(q->timeout, &tv);
			sim_debug("%s: hook %s started (pid %ld)", q->name, event_names[j->ev],
				  (long)pid);
			return;
		}
		sim_log("%s: hook %s: cannot fork: %s", q->name, event_names[j->ev],
			strerror(errno));
		q->head = j->next;
		if (q->head == NULL)
			q->tail = &q->head;
		free(j);
	}
}

void sim_hook_run(struct sim_hook_queue *q, const char *script, enum sim_hook_event ev,
		  const char *device, const char *number, uint32_t speed, const char *peer)
{
	struct hook_job *j;

	if (script[0] == '\0')
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		sim_log("%s: hook %s: out of memory", q->name, event_names[ev]);
		return;
	}
	j->ev = ev;
	j->speed = speed;
	snprintf(j->script, sizeof(j->script), "%s", script);
	snprintf(j->device, sizeof(j->device), "%s", device);
	snprintf(j->number, sizeof(j->number), "%s", number);
	snprintf(j->peer, sizeof(j->peer), "%s", peer);
	*q->tail = j;
	q->tail = &j->next;
	start_next(q);
}

static void job_done(struct sim_hook_queue *q, int status)
{
	struct hook_job *j = q->head;

	evtimer_del(q->timeout);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		sim_log("%s: hook %s exited with status %d", q->name, event_names[j->ev],
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		sim_log("%s: hook %s killed by signal %d", q->name, event_names[j->ev],
			WTERMSIG(status));
	else
		sim_debug("%s: hook %s done", q->name, event_names[j->ev]);
	q->pid = 0;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = &q->head;
	free(j);
	start_next(q);
}

void sim_hook_reap(void)
{
	struct sim_hook_queue *q;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (q = queues; q != NULL && q->pid != pid; q = q->next_queue)
			;
		if (q != NULL)
			job_done(q, status);
	}
}
