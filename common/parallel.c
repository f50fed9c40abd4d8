/* parallel.c: rs_parallel_for (parallel.h). */
#include "common/parallel.h"
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_uint_fast64_t started_total;

typedef struct par_job {
    void (*fn)(void *ctx, uint32_t i);
    void *ctx;
    uint32_t n;
    atomic_uint next;   /* the next item to claim */
} par_job;

static void *par_worker(void *arg) {
    par_job *job = arg;
    for (uint32_t i; (i = atomic_fetch_add(&job->next, 1u)) < job->n;) job->fn(job->ctx, i);
    return NULL;
}

int rs_thread_count(int threads) {
    long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > RS_MAX_THREADS ? RS_MAX_THREADS : (int)n;
}

void rs_parallel_for(int threads, uint32_t n, void (*fn)(void *ctx, uint32_t i), void *ctx) {
    par_job job = {.fn = fn, .ctx = ctx, .n = n};
    atomic_init(&job.next, 0u);
    int want = rs_thread_count(threads);
    if ((uint32_t)want > n) want = n ? (int)n : 1;
    pthread_t tid[RS_MAX_THREADS];
    int started = 0;
    for (int t = 1; t < want; t++)
        if (pthread_create(&tid[started], NULL, par_worker, &job) == 0) started++;
    atomic_fetch_add(&started_total, (uint_fast64_t)started);
    par_worker(&job);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
}

uint64_t rs_parallel_started(void) { return atomic_load(&started_total); }
