/* parse_any.c: rs_parse_any, the one entry that reads either form of rules. It sits above both
 * readers: rule_json.c calls parse.c's helpers, so an entry in parse.c that called the JSON reader
 * back would tie the two files into a loop. */
#include <string.h>
#include "grammar/grammar.h"

ast_file *rs_parse_any(rs_source *src, rs_diags *diags) {
    size_t i = 0;
    if (src->len >= 3 && memcmp(src->text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < src->len && (src->text[i] == ' ' || src->text[i] == '\t' || src->text[i] == '\n' ||
                            src->text[i] == '\r'))
        i++;
    if (i < src->len && (src->text[i] == '{' || src->text[i] == '[')) return rs_parse_json(src, diags);
    return rs_parse_text(src, diags);
}
