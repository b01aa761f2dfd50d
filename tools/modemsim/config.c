/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-modemsim configuration: modems (one pseudo-terminal each) and the numbers the
 * simulated telephone network knows. README.md documents every key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modemsim.h"
#include "yaml_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define QUOTE 80
#define DEFAULT_RING_MS 1000
#define MAX_SECONDS_MS (24u * 3600u * 1000u)
#define MAX_SPEED 100000000u

static const char *const result_names[] = {
	[SIM_ANSWER] = "answer",
	[SIM_BUSY] = "busy",
	[SIM_NO_ANSWER] = "no_answer",
	[SIM_NO_CARRIER] = "no_carrier",
	[SIM_ERROR] = "error",
};

const char *sim_result_name(enum sim_result r)
{
	return (unsigned)r < ARRAY_SIZE(result_names) ? result_names[r] : "?";
}

void sim_number_normalise(const char *in, char *out, size_t outsize)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outsize; in++)
		if (isdigit((unsigned char)*in) || *in == '+' || *in == '*' || *in == '#')
			out[n++] = *in;
	if (outsize > 0)
		out[n] = '\0';
}

struct sim_number *sim_config_find_number(struct sim_config *c, const char *number)
{
	size_t i;

	for (i = 0; i < c->n_numbers; i++)
		if (strcmp(c->numbers[i].number, number) == 0)
			return &c->numbers[i];
	return NULL;
}

const struct sim_modem_conf *sim_config_find_modem(const struct sim_config *c,
						    const char *device)
{
	size_t i;

	for (i = 0; i < c->n_modems; i++)
		if (strcmp(c->modems[i].device, device) == 0)
			return &c->modems[i];
	return NULL;
}

void sim_config_free(struct sim_config *c)
{
	free(c->modems);
	free(c->numbers);
	c->modems = NULL;
	c->numbers = NULL;
	c->n_modems = 0;
	c->n_numbers = 0;
}

static int get_abs_path(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
			size_t bufsize)
{
	char q[QUOTE];

	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (buf[0] != '/')
		return spg_yaml_error(d, node, path, "%s is not an absolute path",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

/*
 * Seconds as an unquoted decimal with up to three decimals ("1", "0.25"), into milliseconds
 * in min_ms..max_ms. Parsed by hand: strtod would take "1e3", "inf" and locale commas.
 */
static int get_seconds(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		       uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *v, *p;
	char q[QUOTE];

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	spg_yaml_quote(v, strlen(v), q, sizeof(q));
	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !isdigit((unsigned char)*v))
		goto bad;
	for (p = v; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > MAX_SECONDS_MS / 1000)
			goto range;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale == 1)
				return spg_yaml_error(d, node, path,
						      "%s has more than three decimals", q);
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p != '\0')
		goto bad;
	whole = whole * 1000 + frac;
	if (whole < min_ms || whole > max_ms)
		goto range;
	*out = (uint32_t)whole;
	return 0;
bad:
	return spg_yaml_error(d, node, path, "%s is not a number of seconds (such as 1 or 0.25)",
			      q);
range:
	return spg_yaml_error(d, node, path, "%s is out of range (%u.%03u to %u.%03u seconds)",
			      q, min_ms / 1000, min_ms % 1000, max_ms / 1000, max_ms % 1000);
}

/* A number as people write it; it must keep at least one digit once normalised. */
static int get_number(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *out,
		      size_t outsize)
{
	char raw[SIM_NUMBER_MAX * 2], q[QUOTE];
	const char *p;

	if (spg_yaml_get_string(d, node, path, raw, sizeof(raw)) < 0)
		return -1;
	sim_number_normalise(raw, out, outsize);
	for (p = out; *p != '\0' && !isdigit((unsigned char)*p); p++)
		;
	if (*p == '\0')
		return spg_yaml_error(d, node, path, "%s has no digit",
				      spg_yaml_quote(raw, strlen(raw), q, sizeof(q)));
	return 0;
}

static int get_result(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		      const enum sim_result *allowed, size_t n_allowed, enum sim_result *out)
{
	char q[QUOTE], list[96] = "";
	const char *v;
	size_t i;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	for (i = 0; i < n_allowed; i++) {
		if (strcmp(v, sim_result_name(allowed[i])) == 0) {
			*out = allowed[i];
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i == 0 ? "" : ", ", sim_result_name(allowed[i]));
	}
	return spg_yaml_error(d, node, path, "%s is not one of %s",
			      spg_yaml_quote(v, strlen(v), q, sizeof(q)), list);
}

static int parse_retrain(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			 struct sim_number *n)
{
	enum { K_AFTER, K_SPEED, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_AFTER] = { "after", true },
		[K_SPEED] = { "speed", true },
	};
	char p[SPG_YAML_PATH_MAX];
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, node, path, keys, K_N, v) < 0)
		return -1;
	if (get_seconds(d, v[K_AFTER], spg_yaml_path(p, sizeof(p), path, "after"), 1,
			MAX_SECONDS_MS, &n->retrain_after_ms) < 0)
		return -1;
	return spg_yaml_get_u32(d, v[K_SPEED], spg_yaml_path(p, sizeof(p), path, "speed"), 1,
				MAX_SPEED, &n->retrain_speed);
}

static int parse_number(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			uint32_t ring_ms, struct sim_number *n)
{
	enum { K_NUMBER, K_ANSWER, K_BUSY, K_RESULT, K_RING, K_AFTER, K_DROP, K_RETRAIN, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_NUMBER] = { "number", true },
		[K_ANSWER] = { "answer", false },
		[K_BUSY] = { "busy", false },
		[K_RESULT] = { "result", false },
		[K_RING] = { "ring", false },
		[K_AFTER] = { "after", false },
		[K_DROP] = { "drop_after", false },
		[K_RETRAIN] = { "retrain", false },
	};
	static const enum sim_result results[] = { SIM_NO_ANSWER, SIM_BUSY, SIM_NO_CARRIER,
						   SIM_ERROR };
	/* Keys that only make sense for a number that answers, and the converse. */
	static const int answer_only[] = { K_BUSY, K_DROP, K_RETRAIN };
	char p[SPG_YAML_PATH_MAX];
	yaml_node_t *v[K_N];
	size_t i;

	if (spg_yaml_mapping(d, node, path, keys, K_N, v) < 0)
		return -1;
	memset(n, 0, sizeof(*n));
	n->delay_ms = ring_ms;
	if (get_number(d, v[K_NUMBER], spg_yaml_path(p, sizeof(p), path, "number"), n->number,
		       sizeof(n->number)) < 0)
		return -1;
	if ((v[K_ANSWER] == NULL) == (v[K_RESULT] == NULL))
		return spg_yaml_error(d, node, path, "give either answer (a speed) or result");
	if (v[K_RING] != NULL && get_seconds(d, v[K_RING], spg_yaml_path(p, sizeof(p), path, "ring"),
					     0, MAX_SECONDS_MS, &n->delay_ms) < 0)
		return -1;
	if (v[K_RESULT] != NULL) {
		for (i = 0; i < ARRAY_SIZE(answer_only); i++)
			if (v[answer_only[i]] != NULL)
				return spg_yaml_error(d, v[answer_only[i]],
						      spg_yaml_path(p, sizeof(p), path,
								    keys[answer_only[i]].name),
						      "only for a number that answers");
		if (get_result(d, v[K_RESULT], spg_yaml_path(p, sizeof(p), path, "result"), results,
			       ARRAY_SIZE(results), &n->result) < 0)
			return -1;
		return v[K_AFTER] == NULL ? 0
					  : get_seconds(d, v[K_AFTER],
							spg_yaml_path(p, sizeof(p), path, "after"), 0,
							MAX_SECONDS_MS, &n->delay_ms);
	}
	n->result = SIM_ANSWER;
	if (v[K_AFTER] != NULL)
		return spg_yaml_error(d, v[K_AFTER], spg_yaml_path(p, sizeof(p), path, "after"),
				      "only with result (use ring or drop_after)");
	if (spg_yaml_get_u32(d, v[K_ANSWER], spg_yaml_path(p, sizeof(p), path, "answer"), 1,
			     MAX_SPEED, &n->speed) < 0)
		return -1;
	if (v[K_BUSY] != NULL && spg_yaml_get_u32(d, v[K_BUSY],
						  spg_yaml_path(p, sizeof(p), path, "busy"), 0,
						  1000000, &n->busy_first) < 0)
		return -1;
	if (v[K_DROP] != NULL &&
	    get_seconds(d, v[K_DROP], spg_yaml_path(p, sizeof(p), path, "drop_after"), 1,
			MAX_SECONDS_MS, &n->drop_after_ms) < 0)
		return -1;
	if (v[K_RETRAIN] != NULL &&
	    parse_retrain(d, v[K_RETRAIN], spg_yaml_path(p, sizeof(p), path, "retrain"), n) < 0)
		return -1;
	return 0;
}

static int parse_numbers(struct spg_yaml_doc *d, yaml_node_t *node, struct sim_config *c)
{
	char p[SPG_YAML_PATH_MAX], q[QUOTE];
	size_t count, i;

	if (spg_yaml_sequence(d, node, "numbers", 0, SIM_MAX_NUMBERS, &count) < 0)
		return -1;
	if (count == 0)
		return 0;
	c->numbers = calloc(count, sizeof(*c->numbers));
	if (c->numbers == NULL)
		return spg_yaml_error(d, node, "numbers", "out of memory");
	for (i = 0; i < count; i++) {
		yaml_node_t *item = spg_yaml_item(d, node, i);

		spg_yaml_path_index(p, sizeof(p), "numbers", i);
		if (parse_number(d, item, p, c->ring_ms, &c->numbers[i]) < 0)
			return -1;
		if (sim_config_find_number(c, c->numbers[i].number) != NULL)
			return spg_yaml_error(d, item, p, "number %s is given twice",
					      spg_yaml_quote(c->numbers[i].number,
							     strlen(c->numbers[i].number), q,
							     sizeof(q)));
		c->n_numbers = i + 1;
	}
	return 0;
}

static int parse_modem(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		       struct sim_modem_conf *m)
{
	enum { K_DEVICE, K_PEER, K_PREFIX, K_DIALTONE, K_DEAD, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_DEVICE] = { "device", true },
		[K_PEER] = { "peer", false },
		[K_PREFIX] = { "prefix", false },
		[K_DIALTONE] = { "dialtone", false },
		[K_DEAD] = { "dead", false },
	};
	char p[SPG_YAML_PATH_MAX], q[QUOTE];
	yaml_node_t *v[K_N];
	const char *s;

	if (spg_yaml_mapping(d, node, path, keys, K_N, v) < 0)
		return -1;
	memset(m, 0, sizeof(*m));
	m->dialtone = true;
	if (get_abs_path(d, v[K_DEVICE], spg_yaml_path(p, sizeof(p), path, "device"), m->device,
			 sizeof(m->device)) < 0)
		return -1;
	if (v[K_PEER] != NULL && spg_yaml_get_string(d, v[K_PEER],
						     spg_yaml_path(p, sizeof(p), path, "peer"),
						     m->peer, sizeof(m->peer)) < 0)
		return -1;
	if (v[K_PREFIX] != NULL) {
		spg_yaml_path(p, sizeof(p), path, "prefix");
		if (spg_yaml_get_string(d, v[K_PREFIX], p, m->prefix, sizeof(m->prefix)) < 0)
			return -1;
		for (s = m->prefix; *s != '\0'; s++)
			if (!isgraph((unsigned char)*s))
				return spg_yaml_error(d, v[K_PREFIX], p,
						      "%s holds a blank or control character",
						      spg_yaml_quote(m->prefix, strlen(m->prefix),
								     q, sizeof(q)));
	}
	if (v[K_DIALTONE] != NULL &&
	    spg_yaml_get_bool(d, v[K_DIALTONE], spg_yaml_path(p, sizeof(p), path, "dialtone"),
			      &m->dialtone) < 0)
		return -1;
	if (v[K_DEAD] != NULL &&
	    spg_yaml_get_bool(d, v[K_DEAD], spg_yaml_path(p, sizeof(p), path, "dead"),
			      &m->dead) < 0)
		return -1;
	return 0;
}

static int parse_modems(struct spg_yaml_doc *d, yaml_node_t *node, struct sim_config *c)
{
	char p[SPG_YAML_PATH_MAX], q[QUOTE];
	size_t count, i;

	if (spg_yaml_sequence(d, node, "modems", 1, SIM_MAX_MODEMS, &count) < 0)
		return -1;
	c->modems = calloc(count, sizeof(*c->modems));
	if (c->modems == NULL)
		return spg_yaml_error(d, node, "modems", "out of memory");
	for (i = 0; i < count; i++) {
		yaml_node_t *item = spg_yaml_item(d, node, i);

		spg_yaml_path_index(p, sizeof(p), "modems", i);
		if (parse_modem(d, item, p, &c->modems[i]) < 0)
			return -1;
		if (sim_config_find_modem(c, c->modems[i].device) != NULL)
			return spg_yaml_error(d, item, p, "device %s is given twice",
					      spg_yaml_quote(c->modems[i].device,
							     strlen(c->modems[i].device), q,
							     sizeof(q)));
		c->n_modems = i + 1;
	}
	return 0;
}

static int load(struct spg_yaml_doc *d, struct sim_config *c)
{
	enum { K_HOOK, K_MODEMS, K_NUMBERS, K_DEFAULT, K_RING, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_HOOK] = { "hook", false },
		[K_MODEMS] = { "modems", true },
		[K_NUMBERS] = { "numbers", false },
		[K_DEFAULT] = { "default", false },
		[K_RING] = { "ring", false },
	};
	static const enum sim_result unknown[] = { SIM_NO_ANSWER, SIM_BUSY, SIM_NO_CARRIER };
	yaml_node_t *v[K_N], *root = spg_yaml_root(d);
	char q[QUOTE];

	if (root == NULL)
		return spg_yaml_error(d, NULL, NULL, "the file is empty (modems is required)");
	if (spg_yaml_mapping(d, root, "", keys, K_N, v) < 0)
		return -1;
	if (v[K_HOOK] != NULL) {
		if (get_abs_path(d, v[K_HOOK], "hook", c->hook, sizeof(c->hook)) < 0)
			return -1;
		/* Caught here, --check-config says so; at run time it would only be logged. */
		if (access(c->hook, X_OK) != 0)
			return spg_yaml_error(d, v[K_HOOK], "hook", "%s is not executable",
					      spg_yaml_quote(c->hook, strlen(c->hook), q,
							     sizeof(q)));
	}
	if (v[K_RING] != NULL && get_seconds(d, v[K_RING], "ring", 0, MAX_SECONDS_MS,
					     &c->ring_ms) < 0)
		return -1;
	if (v[K_DEFAULT] != NULL && get_result(d, v[K_DEFAULT], "default", unknown,
					       ARRAY_SIZE(unknown), &c->unknown) < 0)
		return -1;
	if (parse_modems(d, v[K_MODEMS], c) < 0)
		return -1;
	if (v[K_NUMBERS] != NULL && parse_numbers(d, v[K_NUMBERS], c) < 0)
		return -1;
	return 0;
}

int sim_config_load(const char *path, struct sim_config *c, char *err, size_t errlen)
{
	struct sim_config next = { .unknown = SIM_NO_ANSWER, .ring_ms = DEFAULT_RING_MS };
	struct spg_yaml_doc d;
	int rc = -1;

	/* Built aside: the caller's config changes only when the whole file passed. */
	if (spg_yaml_load(&d, path, err, errlen) == 0)
		rc = load(&d, &next);
	spg_yaml_free(&d);
	if (rc < 0) {
		sim_config_free(&next);
		return -1;
	}
	*c = next;
	return 0;
}
