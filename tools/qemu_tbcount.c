/* qemu_tbcount.c - a QEMU TCG plugin for tools/tbcount.py: counts how often
 * each translated block runs and writes, at exit, one line per block that
 * ran: "<guest vaddr hex> <instructions in the block> <times run>".  The
 * file is $TBCOUNT_OUT (default tbcount.txt).
 *
 * Debian's QEMU loads plugins (-plugin) but ships no qemu-plugin.h, so the
 * few entry points used are declared here as QEMU 7.2's plugin API
 * (QEMU_PLUGIN_VERSION 1) defines them.  A block's count is an inline add
 * TCG emits into the block itself: no callback per execution.  A block left
 * early (an exception, an interrupt between its instructions) still counts
 * whole; against millions of runs that is noise.  One vCPU (the bench
 * machine): the counters are not atomic. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct { int min, cur; } version;
    bool system_emulation;
    union { struct { int smp_vcpus, max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb;
enum { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, int, void *, uint64_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct block {
    uint64_t vaddr, insns, runs;
    struct block *next;
};
static struct block *blocks;

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    struct block *b = calloc(1, sizeof(*b));

    if (!b)
        return;
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->insns = qemu_plugin_tb_n_insns(tb);
    b->next = blocks;
    blocks = b;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->runs, 1);
}

static void finished(qemu_plugin_id_t id, void *unused)
{
    const char *path = getenv("TBCOUNT_OUT");
    FILE *f = fopen(path ? path : "tbcount.txt", "w");

    if (!f)
        return;
    for (struct block *b = blocks; b; b = b->next)
        if (b->runs)
            fprintf(f, "%llx %llu %llu\n", (unsigned long long)b->vaddr,
                    (unsigned long long)b->insns, (unsigned long long)b->runs);
    fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, finished, NULL);
    return 0;
}
