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
/* Room for rs_date_format's spelling of any day number, NUL included ("-5877641-06-23"). */
#define RS_DATE_MAX 16
/* Writes YYYY-MM-DD and a NUL into out. A day outside years 0001-9999 (today plus an offset can
 * reach one) is written in the ISO 8601 expanded form, a sign and at least five year digits:
 * +10000-01-14, +00000-12-31 (year 0 is 1 BC), -00001-12-31; rs_date_parse takes none of them. */
void rs_date_format(int32_t days, char out[RS_DATE_MAX]);
/* Today in the local time zone of the run. */
int32_t rs_date_today(void);

#endif
