/* date.c: proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01). The
 * conversion works in 400-year eras shifted to start on March 1st, so leap days fall at the end of
 * each shifted year and need no special case. */
#include "common/date.h"
#include <stdio.h>
#include <time.h>

int32_t rs_days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void rs_civil_from_days(int32_t days, int *y, unsigned *m, unsigned *d) {
    int64_t z = (int64_t)days + 719468;  /* 64 bits, so every int32 day number converts */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static unsigned days_in_month(int y, unsigned m) {
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

static int digits(const char *s, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool rs_date_parse(const char *s, size_t len, int32_t *days) {
    if (len != 10 || s[4] != '-' || s[7] != '-') return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1) return false;
    if ((unsigned)d > days_in_month(y, (unsigned)m)) return false;
    *days = rs_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* Clamping the year here once printed today + 2 weeks from 9999-12-31 as 9999-01-14: a date that
 * looks valid and is wrong. The sign of the expanded form cannot be mistaken for one. */
static void format_expanded(int y, unsigned m, unsigned d, char out[RS_DATE_MAX]) {
    unsigned a = y < 0 ? 0u - (unsigned)y : (unsigned)y;  /* at most 7 digits from an int32 day */
    snprintf(out, RS_DATE_MAX, "%c%05u-%02u-%02u", y < 0 ? '-' : '+', a % 10000000u, m % 100u,
             d % 100u);
}

void rs_date_format(int32_t days, char out[RS_DATE_MAX]) {
    int y;
    unsigned m, d;
    rs_civil_from_days(days, &y, &m, &d);
    if (y < 1 || y > 9999) {
        format_expanded(y, m, d, out);
        return;
    }
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int32_t rs_date_today(void) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return rs_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}
