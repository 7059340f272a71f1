/* QEMU TCG plugin (API v1, tested with QEMU 7.2): counts executed guest instructions and, on
 * every execution of the `stop` address, prints the count since the last `start`:
 *   insncount: region=N insns=X
 * With profile=N it also counts, in region N only, how often each instruction address ran, and
 * prints `insnprof: pc=0x... n=...` lines at exit (addresses below 4 MB).
 * Build: gcc -O2 -shared -fPIC -fvisibility=hidden -o libinsncount.so insncount.c
 * Use:   qemu-system-arm ... -d plugin -plugin ./libinsncount.so,start=0x...,stop=0x...
 * Debian ships QEMU with plugin support but without qemu-plugin.h, so the v1 declarations
 * this plugin needs are written out below. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb; struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int, void *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, qemu_plugin_vcpu_udata_cb_t, enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *, enum qemu_plugin_op, void *, uint64_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_outs(const char *);
#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;              /* QEMU 7.2 plugin API v1 (tested only with 7.2) */
static uint64_t count, mark, start_addr = UINT64_MAX, stop_addr = UINT64_MAX;
static unsigned region;
#define PROF_HALFWORDS (4u << 20 >> 1)
static long profile_region = -1;
static int profiling;
static uint32_t *prof;
static void on_start(unsigned int v, void *u) {
    (void)v; (void)u; mark = count;
    profiling = profile_region >= 0 && (long)region == profile_region;
}
static void on_stop(unsigned int v, void *u) {
    char b[96]; (void)v; (void)u;
    profiling = 0;
    snprintf(b, sizeof b, "insncount: region=%u insns=%" PRIu64 "\n", region++, count - mark);
    qemu_plugin_outs(b);
}
static void on_insn(unsigned int v, void *u) {
    (void)v;
    uintptr_t half = (uintptr_t)u;
    if (profiling && half < PROF_HALFWORDS) prof[half]++;
}
static void at_exit(qemu_plugin_id_t id, void *u) {
    char b[64]; (void)id; (void)u;
    if (prof) {
        for (uint32_t i = 0; i < PROF_HALFWORDS; i++) {
            if (!prof[i]) continue;
            snprintf(b, sizeof b, "insnprof: pc=0x%x n=%u\n", i * 2, prof[i]); qemu_plugin_outs(b);
        }
    }
    snprintf(b, sizeof b, "insncount: total=%" PRIu64 "\n", count); qemu_plugin_outs(b);
}
static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    for (size_t i = 0, n = qemu_plugin_tb_n_insns(tb); i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (pc == start_addr) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (pc == stop_addr)  qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop,  QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
        if (prof) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)(pc / 2));
    }
}
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "start=", 6)) start_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ull;  /* drop Thumb bit */
        else if (!strncmp(argv[i], "stop=", 5)) stop_addr = strtoull(argv[i] + 5, NULL, 0) & ~1ull;
        else if (!strncmp(argv[i], "profile=", 8)) {
            profile_region = strtol(argv[i] + 8, NULL, 0);
            prof = calloc(PROF_HALFWORDS, sizeof *prof);
            if (!prof) return -1;
        }
        else { fprintf(stderr, "insncount: unknown arg %s\n", argv[i]); return -1; }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);   /* does fire on semihosting exit */
    return 0;
}
