/* testutil.h: shared by the Check test files. Each tests/check_*.c is its own binary:
 *   RS_TEST_MAIN(suite_fn) defines main(), which runs the suite (CK_RUN_SUITE / CK_RUN_CASE work). */
#ifndef RS_TESTUTIL_H
#define RS_TESTUTIL_H
#include <check.h>
#include <stdlib.h>

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

#endif
