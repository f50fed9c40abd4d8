/* date.h: civil dates as day numbers (days since 1970-01-01, proleptic Gregorian). */
#ifndef RS_DATE_H
#define RS_DATE_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

int32_t rs_days_from_civil(int y, unsigned m, unsigned d);
void rs_civil_from_days(int32_t days, int *y, unsigned *m, unsigned *d);
/* Strict YYYY-MM-DD (exactly 10 bytes, years 0001-9999, a day that exists). */
bool rs_date_parse(const char *s, size_t len, int32_t *days);
/* Writes YYYY-MM-DD and a NUL into out (11 bytes). */
void rs_date_format(int32_t days, char out[11]);
/* Today in the local time zone of the run. */
int32_t rs_date_today(void);

#endif
