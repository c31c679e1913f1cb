/*
 * mock_journal_fuzz.c - the mock driver's journal parser on arbitrary text.
 *
 * Beyond not crashing, a journal that parses must survive a round trip:
 * dumping the inventory and parsing the dump gives the same VMs, the same
 * next sequence number and the same salt, and consumes the whole dump.
 * That is the property connect relies on when it compacts the file.
 */
#include "drivers/mock/mock_int.h"
#include "lib/sbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct mock_inv *inv)
{
	struct sbuf dump = SBUF_INIT;
	struct mock_inv again;
	char msg[256];
	size_t used = 0;

	if (mock_journal_dump(inv, &dump) || mock_inv_init(&again))
		abort();
	if (mock_journal_parse(&again, dump.buf, dump.len, &used, msg, sizeof(msg))) {
		fprintf(stderr, "dump does not parse: %s\n%s", msg, sbuf_str(&dump));
		abort();
	}
	if (used != dump.len || again.nvms != inv->nvms || again.next_seq != inv->next_seq ||
	    again.salt != inv->salt || again.net.exists != inv->net.exists)
		abort();
	for (size_t i = 0; i < inv->nvms; i++) {
		if (strcmp(again.vms[i]->id, inv->vms[i]->id) != 0 ||
		    !json_equal(again.vms[i]->tags, inv->vms[i]->tags))
			abort();
	}
	mock_inv_release(&again);
	sbuf_release(&dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mock_inv inv;
	char msg[256];
	size_t used = 0;

	if (mock_inv_init(&inv))
		return 0;
	if (mock_journal_parse(&inv, (const char *)data, size, &used, msg, sizeof(msg)) == 0) {
		if (used > size)
			abort();
		check_round_trip(&inv);
	}
	mock_inv_release(&inv);
	return 0;
}
