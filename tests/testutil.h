/* testutil.h: shared by the Check test files. Each tests/check_*.c is its own binary:
 *   RS_TEST_MAIN(suite_fn) defines main(), which runs the suite (CK_RUN_SUITE / CK_RUN_CASE work). */
#ifndef RS_TESTUTIL_H
#define RS_TESTUTIL_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RS_TEST_MAIN(suite_fn)                                          \
    int main(void) {                                                    \
        SRunner *sr = srunner_create(suite_fn());                       \
        srunner_run_all(sr, CK_NORMAL);                                 \
        int nfailed = srunner_ntests_failed(sr);                        \
        srunner_free(sr);                                               \
        return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;              \
    }

/* Folder of test data, relative to the repository root (tests run from there). */
#define RS_TEST_DATA "tests/data"

/* A scratch folder per test (RS_TEST_SCRATCH before including this header turns them on):
 * rs_test_tmp_begin("state") makes /tmp/roster-check-state-XXXXXX, rs_test_tmp_path names a file in it
 * (malloc'd), rs_test_tmp_end removes it with everything in it. */
#ifdef RS_TEST_SCRATCH
static char rs_test_tmpdir[64];

static void rs_test_tmp_begin(const char *name) {
    snprintf(rs_test_tmpdir, sizeof rs_test_tmpdir, "/tmp/roster-check-%s-XXXXXX", name);
    ck_assert_ptr_nonnull(mkdtemp(rs_test_tmpdir));
}

static void rs_test_tmp_end(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rs_test_tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *rs_test_tmp_path(const char *name) {
    size_t len = strlen(rs_test_tmpdir) + strlen(name) + 2;
    char *p = malloc(len);
    ck_assert_ptr_nonnull(p);
    snprintf(p, len, "%s/%s", rs_test_tmpdir, name);
    return p;
}
#endif

#endif
