/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Hayes AT dialogue, as text: splitting what a modem sends into lines, classifying each
 * line as a result code (verbose "CONNECT 33600/ARQ" or numeric "1" after ATV0), and phone
 * numbers as the inventory holds them. Pure functions: no I/O, no clock; the dialer
 * (dialer.c) drives them.
 */
#ifndef SPG_HAYES_H
#define SPG_HAYES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hayes_result {
	HAYES_NONE,        /* not a result code: echo of our command, blank, info text, garbage */
	HAYES_OK,          /* 0 */
	HAYES_CONNECT,     /* 1, or "CONNECT <speed>[/...]"; also 5 (1200) and 10 (2400) */
	HAYES_RING,        /* 2 */
	HAYES_NO_CARRIER,  /* 3 */
	HAYES_ERROR,       /* 4 */
	HAYES_NO_DIALTONE, /* 6, also "NO DIAL TONE" */
	HAYES_BUSY,        /* 7 */
	HAYES_NO_ANSWER,   /* 8 */
};

/* "OK", "CONNECT", "NO CARRIER", ... ("none" for HAYES_NONE). */
const char *hayes_result_name(enum hayes_result r);

/*
 * Classifies one line (without its CR/LF; leading and trailing blanks ignored; case
 * ignored). For CONNECT, *speed_bps is the number after it (CONNECT 33600/V42BIS -> 33600),
 * or 0 when the modem gave none (plain "CONNECT" or numeric "1"). speed_bps may be NULL.
 */
enum hayes_result hayes_classify(const char *line, uint64_t *speed_bps);

/*
 * Accumulates bytes into lines. A line ends at CR or LF (CRLF, LFCR and blank lines yield
 * nothing); NUL bytes and other control characters are dropped, bytes above ASCII become
 * '?' (line noise; lines stay printable); a line longer than HAYES_LINE_MAX - 1 is cut
 * (handed on at once, with skipping already true so that fn can tell it is not a whole
 * line) and the rest up to the next end of line discarded (overflow counts it). Partial
 * lines wait for more bytes.
 */
#define HAYES_LINE_MAX 128
struct hayes_reader {
	char buf[HAYES_LINE_MAX];
	size_t len;
	bool skipping;     /* discarding the tail of an over-long line */
	uint64_t overflow; /* over-long lines seen */
};
void hayes_reader_init(struct hayes_reader *r);
/* Feeds len bytes; calls fn(line, arg) for each complete line; a non-zero fn return stops
 * the feeding and is returned (the remaining bytes are dropped). */
int hayes_reader_feed(struct hayes_reader *r, const void *data, size_t len, int (*fn)(const char *line, void *arg),
		      void *arg);

/*
 * Normalises a phone number for ATDT: keeps digits and the dial modifiers + * # , W P
 * (W and P upper-cased), drops the separators people write (space, '-', '.', '(' ')').
 * "+33 1 55-55-01 00" -> "+33155550100". Errors (-EINVAL, message in err naming the number):
 * empty, no digit, '+' anywhere but first, any other character, longer than HAYES_PHONE_MAX-1.
 */
#define HAYES_PHONE_MAX 40
int hayes_phone_normalise(const char *in, char out[HAYES_PHONE_MAX], char *err, size_t errlen);

#endif
