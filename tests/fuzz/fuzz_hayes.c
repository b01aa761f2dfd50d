/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the Hayes response parser (control/dial/hayes.c): the modem's bytes
 * go through the line reader in chunks (the first byte sets the chunk size, as reads split
 * them) and every line it hands on through hayes_classify; the input as a string also goes
 * through hayes_phone_normalise. Lines must stay printable ASCII below HAYES_LINE_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial/hayes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(const char *line, void *arg)
{
	uint64_t speed = 0;
	size_t i, len = strlen(line);

	(void)arg;
	if (len >= HAYES_LINE_MAX)
		abort();
	for (i = 0; i < len; i++)
		if (line[i] < 0x20 || line[i] == 0x7f)
			abort();
	(void)hayes_result_name(hayes_classify(line, &speed));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char phone[HAYES_PHONE_MAX], err[256], *s;
	struct hayes_reader r;
	size_t chunk, off;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 32 + 1;
	hayes_reader_init(&r);
	for (off = 1; off < size; off += chunk)
		hayes_reader_feed(&r, data + off, off + chunk <= size ? chunk : size - off, on_line, NULL);
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (hayes_phone_normalise(s, phone, err, sizeof(err)) == 0 && strlen(phone) >= HAYES_PHONE_MAX)
		abort();
	free(s);
	return 0;
}
