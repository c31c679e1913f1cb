/*
 * inventory.c - the VMs of one mock cloud and their indexes.
 *
 * VMs live in one array sorted by seq (their creation order), which gives
 * list_vms a stable cursor across pages even when records are replaced or
 * purged between them.  Ids and client tokens map to seqs through jansson
 * objects used as hash tables; a seq finds its VM by binary search.  The
 * inventory has no lock of its own: struct mock_cloud's lock guards it.
 */
#include "drivers/mock/mock_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mock_inv_init(struct mock_inv *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->next_seq = 1;
	inv->by_id = json_object();
	inv->by_token = json_object();
	if (!inv->by_id || !inv->by_token) {
		mock_inv_release(inv);
		return -ENOMEM;
	}
	return 0;
}

void mock_inv_release(struct mock_inv *inv)
{
	for (size_t i = 0; i < inv->nvms; i++)
		mock_vm_free(inv->vms[i]);
	free(inv->vms);
	json_decref(inv->by_id);
	json_decref(inv->by_token);
	memset(inv, 0, sizeof(*inv));
}

size_t mock_inv_after(const struct mock_inv *inv, uint64_t after)
{
	size_t lo = 0, hi = inv->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (inv->vms[mid]->seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct mock_vm *mock_inv_by_seq(const struct mock_inv *inv, uint64_t seq)
{
	size_t i;

	if (seq == 0)
		return NULL;
	i = mock_inv_after(inv, seq - 1);
	if (i < inv->nvms && inv->vms[i]->seq == seq)
		return inv->vms[i];
	return NULL;
}

static struct mock_vm *by_key(const struct mock_inv *inv, const json_t *map, const char *key)
{
	const json_t *v = json_object_get(map, key);

	return v ? mock_inv_by_seq(inv, (uint64_t)json_integer_value(v)) : NULL;
}

struct mock_vm *mock_inv_by_id(const struct mock_inv *inv, const char *id)
{
	return by_key(inv, inv->by_id, id);
}

struct mock_vm *mock_inv_by_token(const struct mock_inv *inv, const char *token)
{
	return token[0] ? by_key(inv, inv->by_token, token) : NULL;
}

static int index_vm(struct mock_inv *inv, const struct mock_vm *vm)
{
	json_t *seq;

	if (json_object_get(inv->by_id, vm->id) ||
	    (vm->token[0] && json_object_get(inv->by_token, vm->token)))
		return -EINVAL;
	seq = json_integer((json_int_t)vm->seq);
	if (!seq)
		return -ENOMEM;
	if (json_object_set(inv->by_id, vm->id, seq)) {
		json_decref(seq);
		return -ENOMEM;
	}
	if (vm->token[0] && json_object_set(inv->by_token, vm->token, seq)) {
		json_object_del(inv->by_id, vm->id);
		json_decref(seq);
		return -ENOMEM;
	}
	json_decref(seq);
	return 0;
}

/* Remove vm's index entries when they still point at it. */
static void unindex_vm(struct mock_inv *inv, const struct mock_vm *vm)
{
	if (by_key(inv, inv->by_id, vm->id) == vm)
		json_object_del(inv->by_id, vm->id);
	if (vm->token[0] && by_key(inv, inv->by_token, vm->token) == vm)
		json_object_del(inv->by_token, vm->token);
}

static int make_room(struct mock_inv *inv)
{
	size_t cap = inv->cap ? inv->cap * 2 : 64;
	struct mock_vm **p;

	if (inv->nvms < inv->cap)
		return 0;
	p = realloc(inv->vms, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	inv->vms = p;
	inv->cap = cap;
	return 0;
}

int mock_inv_put(struct mock_inv *inv, struct mock_vm *vm)
{
	size_t i = mock_inv_after(inv, vm->seq - 1);
	bool replace = i < inv->nvms && inv->vms[i]->seq == vm->seq;
	int rc = 0;

	/* A record's id and token never change: its index entries stay valid. */
	if (replace && (strcmp(inv->vms[i]->id, vm->id) != 0 ||
			strcmp(inv->vms[i]->token, vm->token) != 0))
		rc = -EINVAL;
	if (!rc && !replace)
		rc = make_room(inv);
	if (!rc && !replace)
		rc = index_vm(inv, vm);
	if (rc) {
		mock_vm_free(vm);
		return rc;
	}
	if (replace) {
		mock_vm_free(inv->vms[i]);
	} else {
		memmove(&inv->vms[i + 1], &inv->vms[i], (inv->nvms - i) * sizeof(*inv->vms));
		inv->nvms++;
	}
	inv->vms[i] = vm;
	if (vm->seq >= inv->next_seq)
		inv->next_seq = vm->seq + 1;
	return 0;
}

void mock_inv_purge(struct mock_inv *inv, int64_t now_ms)
{
	size_t keep = 0;

	for (size_t i = 0; i < inv->nvms; i++) {
		struct mock_vm *vm = inv->vms[i];

		if (mock_vm_gone(vm, now_ms)) {
			unindex_vm(inv, vm);
			mock_vm_free(vm);
			continue;
		}
		inv->vms[keep++] = vm;
	}
	inv->nvms = keep;
}

/* splitmix64's finaliser: a bijection on 64-bit integers. */
uint64_t mock_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

void mock_inv_make_id(const struct mock_inv *inv, const char *prefix, uint64_t seq, char *buf,
		      size_t len)
{
	/* Distinct seqs give distinct ids: xor with a constant and a bijection. */
	snprintf(buf, len, "%s%017" PRIx64, prefix, mock_mix64(seq ^ inv->salt));
}
