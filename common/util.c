/* util.c: checked allocation, whole-file I/O, clocks. */
#include "common/util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void out_of_memory(void) {
    fputs("roster: out of memory\n", stderr);
    exit(2);
}

void *rs_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory();
    return p;
}

void *rs_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory();
    return p;
}

void *rs_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory();
    return q;
}

void *rs_reallocarray(void *p, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) out_of_memory();
    return rs_realloc(p, count * size);
}

char *rs_strndup(const char *s, size_t n) {
    char *d = rs_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *rs_strdup(const char *s) { return rs_strndup(s, strlen(s)); }

int rs_read_file(const char *path, size_t max_bytes, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = rs_malloc(cap + 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max_bytes) {
            free(buf);
            fclose(f);
            return -2;
        }
        if (got == 0) break;
        if (n == cap) {
            cap *= 2;
            buf = rs_realloc(buf, cap + 1);
        }
    }
    int err = ferror(f) ? errno : 0;   /* fread's own reason, e.g. EISDIR for a folder */
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Whether name is "<base>.tmp.<pid>" of a process that no longer exists. A live pid's file may be
 * another run writing now (or a reused pid): it is left alone. */
static bool stale_tmp(const char *name, const char *base, size_t blen) {
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".tmp.", 5) != 0) return false;
    const char *digits = name + blen + 5;
    char *end;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (end == digits || *end != '\0' || errno != 0 || pid <= 0 || pid > INT_MAX || pid == (long)getpid())
        return false;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

char *rs_tmp_path(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? rs_strndup(path, (size_t)(slash - path) + (slash == path)) : rs_strdup(".");
    DIR *dp = opendir(dir);
    for (struct dirent *e; dp && (e = readdir(dp)) != NULL;)
        if (stale_tmp(e->d_name, base, strlen(base))) (void)unlinkat(dirfd(dp), e->d_name, 0);
    if (dp) closedir(dp);
    free(dir);
    size_t len = strlen(path) + 32;
    char *tmp = rs_malloc(len);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    return tmp;
}

int rs_write_file_atomic(const char *path, const void *data, size_t len) {
    char *tmp = rs_tmp_path(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    int rc = write_all(fd, data, len);
    if (rc == 0) rc = fsync(fd);
    if (close(fd) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    return rc;
}

double rs_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

long rs_peak_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss;   /* Linux reports KiB */
}
