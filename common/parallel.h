/* parallel.h: the one way roster spreads independent work over threads. Evaluation (runtime/vm.c),
 * leaf preparation (runtime/vm_prep.c) and the recalculation's side jobs (runtime/recalc.c) all go
 * through rs_parallel_for, so `--threads N` bounds every one of them and there is one cap. */
#ifndef RS_PARALLEL_H
#define RS_PARALLEL_H
#include <stdint.h>

/* The most threads one rs_parallel_for uses, whatever is asked; `--threads` takes 0 to this. A
 * machine with more cores than this gains little more on roster's work, which is bound by memory. */
#define RS_MAX_THREADS 256

/* The thread count `threads` means: itself, or one per online core when threads <= 0; always
 * within 1 .. RS_MAX_THREADS. */
int rs_thread_count(int threads);

/* Calls fn(ctx, i) exactly once for every i < n and returns when all calls have returned. The work
 * runs on at most rs_thread_count(threads) threads and never on more threads than items; the
 * calling thread is one of them, so one thread (or n <= 1) starts none. Items are claimed one at a
 * time from an atomic counter, so uneven items even out. A thread that cannot be started leaves
 * its share to the others. fn must be safe to call from several threads at once. */
void rs_parallel_for(int threads, uint32_t n, void (*fn)(void *ctx, uint32_t i), void *ctx);

/* Threads rs_parallel_for has started in this process so far: tests use it to see that a run
 * with one thread starts none. */
uint64_t rs_parallel_started(void);

#endif
