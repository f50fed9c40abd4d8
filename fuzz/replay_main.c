/* replay_main.c: a driver without a fuzzing engine. It feeds each file named on the command line
 * (folders are walked) to LLVMFuzzerTestOneInput once, so `make test` replays every committed corpus
 * and regression file on any compiler. A crash or sanitizer report fails the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long replayed;

static void replay_file(const char *path) {
    char *data;
    size_t len;
    if (rs_read_file(path, (size_t)64 << 20, &data, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    free(data);
    replayed++;
}

static void replay_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = rs_malloc(n);
        snprintf(child, n, "%s/%s", path, e->d_name);
        replay_path(child);
        free(child);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) replay_path(argv[i]);
    printf("%s: %ld inputs replayed\n", argv[0], replayed);
    return 0;
}
