/*
 * tree.h - the shape of the mounted tree (DESIGN.md section 2) as const
 * tables, and how inode numbers are made.
 *
 * Every engine object kind has one table of nodes: index 0 is the object
 * itself (a directory, or a file for catalog entries), the other entries
 * are its files and fixed sub-directories, each naming the index of the
 * directory that holds it.  An inode number is (object id << 6 | index),
 * so the tree costs no memory per file and a stale inode simply finds no
 * object (ENOENT).  Container directories (clouds/, groups/, vms/, specs/,
 * images/) list engine objects of one kind.
 *
 * The tables also say how to read and write each file, through the
 * engine's front API only.
 */
#ifndef BFS_TREE_H
#define BFS_TREE_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "lib/sbuf.h"

#define TREE_IDX_BITS 6
#define TREE_MAX_IDX (1u << TREE_IDX_BITS)

enum tree_flags {
	TF_DIR = 1u << 0,	/* a directory */
	TF_CONTAINER = 1u << 1,	/* lists engine objects of kind `lists` */
	TF_STREAM = 1u << 2,	/* a growing log read by offset (events, calls) */
	TF_WAIT = 1u << 3,	/* a read blocks until the group settles */
	TF_CTL = 1u << 4,	/* each write is a verb, applied at once */
	TF_DOC = 1u << 5,	/* buffered; checked at each write, applied at close */
	TF_POLL = 1u << 6,	/* poll() reports changes */
	TF_MKDIR = 1u << 7,	/* mkdir and rmdir make and remove children */
	TF_VOLATILE = 1u << 9,	/* changes the engine does not announce (stats, cost):
				 * the kernel keeps its attributes attr_timeout only */
	TF_LIVE = 1u << 8,	/* content moves on its own (metrics, a VM's events):
				 * direct I/O, and stat reports size 0 like /proc */
};

struct tnode;
typedef int (*tree_read_fn)(struct engine *e, uint64_t id, const struct tnode *n,
			    struct sbuf *out);
typedef int (*tree_write_fn)(struct engine *e, uint64_t id, const struct tnode *n,
			     const char *buf, size_t len, bool dry_run, struct sbuf *why);
typedef size_t (*tree_size_fn)(struct engine *e, uint64_t id);
typedef int (*tree_stream_fn)(struct engine *e, uint64_t id, off_t off, size_t size,
			      struct sbuf *out);

struct tnode {
	const char *name;
	uint8_t parent;		/* index of the directory holding it */
	uint16_t mode;		/* S_IFDIR | 0755, S_IFREG | 0444, ... */
	uint16_t flags;		/* enum tree_flags */
	enum eng_kind lists;	/* TF_CONTAINER: the kind listed */
	tree_read_fn read;	/* whole content of a regular file */
	tree_write_fn write;	/* NULL: read-only */
	tree_size_fn size;	/* TF_STREAM */
	tree_stream_fn stream;	/* TF_STREAM */
	int arg;		/* selector passed through to the engine */
	const char *key;	/* a cloud spec key, for one-value files */
};

fuse_ino_t tree_ino(uint64_t id, unsigned idx);
void tree_split(fuse_ino_t ino, uint64_t *id, unsigned *idx);
/* The node table of a kind (NULL for EK_NONE). */
const struct tnode *tree_table(enum eng_kind kind, size_t *n);
const struct tnode *tree_node(enum eng_kind kind, unsigned idx);
/* Index of the child called name in directory dir_idx of a kind, or -1. */
int tree_find(enum eng_kind kind, unsigned dir_idx, const char *name);
/* Index of the container in parent_kind that lists child_kind, or -1. */
int tree_container(enum eng_kind parent_kind, enum eng_kind child_kind);
/* The root README text. */
const char *tree_readme(void);

#endif
