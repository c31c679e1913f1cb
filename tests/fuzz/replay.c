/*
 * replay.c - runs a libFuzzer target without libFuzzer, so that every fuzz
 * target also runs in `make check` under gcc and the sanitizers.
 *
 * It feeds the target every file of tests/fuzz/corpus/<target>/ and then
 * `BFS_FUZZ_ITERS` (default 20000) deterministic mutations of them (bit
 * flips, truncations, splices, byte insertions).  Coverage-guided fuzzing
 * proper is `make fuzz FUZZ=<target>` with clang.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv);

struct input {
	uint8_t *data;
	size_t size;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int load(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	in->data = malloc((size_t)n + 1);
	in->size = fread(in->data, 1, (size_t)n, f);
	fclose(f);
	return 0;
}

static void run(const uint8_t *d, size_t n)
{
	/* Copy so that the target sees exactly n readable bytes (ASan checks it). */
	uint8_t *copy = malloc(n ? n : 1);

	memcpy(copy, d, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void mutate_and_run(const struct input *a, const struct input *b)
{
	size_t n = a->size + 16, len = a->size;
	uint8_t *buf = malloc(n + b->size);
	size_t k;

	memcpy(buf, a->data, a->size);
	switch (next_rand() % 5) {
	case 0:
		for (k = 0; len && k < 1 + next_rand() % 8; k++)
			buf[next_rand() % len] ^= (uint8_t)(1u << (next_rand() % 8));
		break;
	case 1:
		len = len ? next_rand() % len : 0;
		break;
	case 2: {
		size_t cut = len ? next_rand() % len : 0, take = b->size ? next_rand() % b->size : 0;

		memcpy(buf + cut, b->data + (b->size - take), take);
		len = cut + take;
		break;
	}
	case 3: {
		size_t at = len ? next_rand() % len : 0;

		memmove(buf + at + 1, buf + at, len - at);
		buf[at] = "\"{}[]\\,=: \n\t\0\x7f\xff"[next_rand() % 16];
		len++;
		break;
	}
	default:
		for (k = 0; len && k < 4; k++)
			buf[next_rand() % len] = (uint8_t)next_rand();
	}
	run(buf, len);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char dir[512], path[1024];
	struct input in[512];
	size_t nin = 0, i;
	long iters = getenv("BFS_FUZZ_ITERS") ? atol(getenv("BFS_FUZZ_ITERS")) : 20000;
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "tests/fuzz/corpus");
	snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(strlen(name) - 5), name);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: no corpus at %s\n", name, path);
		return 1;
	}
	while ((de = readdir(d)) && nin < 512) {
		char file[1600];

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (load(file, &in[nin]) == 0)
			nin++;
	}
	closedir(d);
	if (!nin) {
		fprintf(stderr, "%s: empty corpus %s\n", name, path);
		return 1;
	}
	for (i = 0; i < nin; i++)
		run(in[i].data, in[i].size);
	for (long k = 0; k < iters; k++)
		mutate_and_run(&in[next_rand() % nin], &in[next_rand() % nin]);
	printf("%s: %zu corpus inputs, %ld mutations, no crash\n", name, nin, iters);
	for (i = 0; i < nin; i++)
		free(in[i].data);
	return 0;
}
