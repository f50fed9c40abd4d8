/* fuzz_util.h: shared by the fuzz harnesses: a fixed schema with every field type, and a way to
 * stop loudly when a property fails (libFuzzer and the replay driver both report an abort). */
#ifndef RS_FUZZ_UTIL_H
#define RS_FUZZ_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/schema.h"
#include "common/util.h"

#define FUZZ_ASSERT(cond, what)                                                     \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            abort();                                                                \
        }                                                                           \
    } while (0)

static const char fuzz_schema_json[] =
    "{\"fields\": ["
    "{\"name\": \"name\", \"type\": \"text\"},"
    "{\"name\": \"job_title\", \"type\": \"text\"},"
    "{\"name\": \"aliases\", \"type\": \"text\", \"multi\": true},"
    "{\"name\": \"city\", \"type\": \"option\", \"options\": [\"Shanghai\", \"Hangzhou\", \"Beijing\"]},"
    "{\"name\": \"skills\", \"type\": \"option\", \"multi\": true, \"options\": [\"c\", \"go\", \"sql\"]},"
    "{\"name\": \"employee_type\", \"type\": \"option\", \"options\": [\"Full-time\", \"Intern\"]},"
    "{\"name\": \"status\", \"type\": \"option\", \"options\": [\"active\", \"frozen\", \"resigned\"]},"
    "{\"name\": \"level\", \"type\": \"number\"},"
    "{\"name\": \"scores\", \"type\": \"number\", \"multi\": true},"
    "{\"name\": \"join_date\", \"type\": \"date\"},"
    "{\"name\": \"leader\", \"type\": \"personnel\"},"
    "{\"name\": \"mentors\", \"type\": \"personnel\", \"multi\": true},"
    "{\"name\": \"is_manager\", \"type\": \"bool\"}"
    "]}";

static inline const rs_schema *fuzz_schema(void) {
    static rs_schema *schema;
    if (!schema) {
        rs_diags *d = rs_malloc(sizeof *d);
        rs_diags_init(d);
        schema = rs_schema_parse("fuzz-schema.json", fuzz_schema_json, strlen(fuzz_schema_json), d);
        free(d);
        FUZZ_ASSERT(schema != NULL, "built-in schema loads");
    }
    return schema;
}

/* A malloc'd, NUL-terminated copy of the input (sources own their text). */
static inline char *fuzz_copy(const uint8_t *data, size_t size) {
    char *text = rs_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

#endif
