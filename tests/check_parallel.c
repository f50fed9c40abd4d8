/* check_parallel.c: rs_parallel_for visits every item exactly once for any item and thread count,
 * runs on no more threads than asked (counted as distinct thread ids, never timed), and one
 * thread means the caller alone. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "common/parallel.h"
#include "common/util.h"
#include "tests/testutil.h"

#define LARGE 200000u

typedef struct visits {
    atomic_uint *count;       /* per item: calls */
    pthread_t *by;            /* per item: the thread that ran it */
} visits;

static void visit(void *ctx, uint32_t i) {
    visits *v = ctx;
    atomic_fetch_add(&v->count[i], 1u);
    v->by[i] = pthread_self();
}

/* Distinct threads among by[0..n). */
static int distinct_threads(const pthread_t *by, uint32_t n, pthread_t *seen, int cap) {
    int k = 0;
    for (uint32_t i = 0; i < n; i++) {
        int j = 0;
        while (j < k && !pthread_equal(seen[j], by[i])) j++;
        if (j == k) {
            ck_assert_int_lt(k, cap);
            seen[k++] = by[i];
        }
    }
    return k;
}

static void check_run(int threads, uint32_t n) {
    visits v = {rs_calloc((size_t)n + 1, sizeof *v.count), rs_calloc((size_t)n + 1, sizeof *v.by)};
    for (uint32_t i = 0; i < n; i++) atomic_init(&v.count[i], 0u);
    uint64_t before = rs_parallel_started();
    rs_parallel_for(threads, n, visit, &v);
    uint64_t started = rs_parallel_started() - before;
    for (uint32_t i = 0; i < n; i++)
        ck_assert_msg(atomic_load(&v.count[i]) == 1, "threads %d, n %u: item %u visited %u times", threads,
                      n, i, atomic_load(&v.count[i]));
    int allowed = rs_thread_count(threads);
    if ((uint32_t)allowed > n) allowed = n ? (int)n : 1;
    pthread_t seen[RS_MAX_THREADS + 1];
    int k = distinct_threads(v.by, n, seen, RS_MAX_THREADS + 1);
    ck_assert_msg(k <= allowed, "threads %d, n %u: %d threads ran items", threads, n, k);
    ck_assert_msg(started + 1 <= (uint64_t)allowed, "threads %d, n %u: %llu threads started", threads, n,
                  (unsigned long long)started);
    if (allowed == 1) {
        ck_assert_uint_eq(started, 0);
        for (uint32_t i = 0; i < n; i++) ck_assert(pthread_equal(v.by[i], pthread_self()));
    }
    free(v.count);
    free(v.by);
}

START_TEST(every_item_once) {
    static const int threads[] = {1, 2, 8, 0};
    static const uint32_t sizes[] = {0, 1, 2, 7, LARGE};
    for (size_t t = 0; t < RS_ARRAY_LEN(threads); t++)
        for (size_t s = 0; s < RS_ARRAY_LEN(sizes); s++) check_run(threads[t], sizes[s]);
}
END_TEST

START_TEST(one_thread_is_the_caller) {
    uint64_t before = rs_parallel_started();
    check_run(1, LARGE);
    check_run(-3, 1);   /* one item: no thread to start, whatever the count */
    ck_assert_uint_eq(rs_parallel_started(), before);
}
END_TEST

/* Two threads asked, many items: a second thread is started and nothing more. */
START_TEST(two_threads_start_one) {
    uint64_t before = rs_parallel_started();
    check_run(2, LARGE);
    ck_assert_uint_eq(rs_parallel_started() - before, 1);
}
END_TEST

START_TEST(thread_count_bounds) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int per_core = cores < 1 ? 1 : cores > RS_MAX_THREADS ? RS_MAX_THREADS : (int)cores;
    ck_assert_int_eq(rs_thread_count(0), per_core);
    ck_assert_int_eq(rs_thread_count(-1), per_core);
    ck_assert_int_eq(rs_thread_count(1), 1);
    ck_assert_int_eq(rs_thread_count(8), 8);
    ck_assert_int_eq(rs_thread_count(RS_MAX_THREADS), RS_MAX_THREADS);
    ck_assert_int_eq(rs_thread_count(RS_MAX_THREADS + 1), RS_MAX_THREADS);
}
END_TEST

static Suite *parallel_suite(void) {
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("parallel");
    tcase_add_test(tc, every_item_once);
    tcase_add_test(tc, one_thread_is_the_caller);
    tcase_add_test(tc, two_threads_start_one);
    tcase_add_test(tc, thread_count_bounds);
    suite_add_tcase(s, tc);
    return s;
}

RS_TEST_MAIN(parallel_suite)
