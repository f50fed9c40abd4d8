/* fuzz_schema: arbitrary bytes as each of the three schema files roster reads: a snapshot's
 * schema.json, a mapping's source schema and its target schema. Properties: no crash, hang or leak;
 * a refusal says why (an error diagnostic); an accepted snapshot schema has id, department and
 * main_department, unique field names that rs_schema_index finds, options only on option fields,
 * and option lookup finds each declared option by its own spelling; an accepted target schema finds
 * each of its fields by name. */
#include <stdint.h>
#include "compiler/mapping.h"
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_snapshot_schema(const char *text, size_t size) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_schema *s = rs_schema_parse("schema.json", text, size, d);
    FUZZ_ASSERT(s != NULL || rs_diags_has_errors(d), "a refused schema says why");
    if (s) {
        FUZZ_ASSERT(rs_schema_field(s, "id") && rs_schema_field(s, "department") &&
                        rs_schema_field(s, "main_department"),
                    "the implicit fields exist");
        for (size_t i = 0; i < s->nfields; i++) {
            const rs_field *f = &s->fields[i];
            FUZZ_ASSERT(rs_schema_index(s, f->name) == (int)i, "field names are unique and found");
            FUZZ_ASSERT(f->type < RS_T_COUNT, "a known type");
            FUZZ_ASSERT(f->noptions == 0 || f->type == RS_T_OPTION, "options only on option fields");
            for (size_t k = 0; k < f->noptions; k++) {
                int at = rs_field_option(f, f->options[k], strlen(f->options[k]));
                FUZZ_ASSERT(at >= 0 && at <= (int)k, "an option finds itself (or an earlier twin by case)");
            }
        }
        rs_schema_free(s);
    }
    free(d);
}

static void check_mapping_schemas(const char *text, size_t size) {
    rs_diags *d = rs_malloc(sizeof *d);
    rs_diags_init(d);
    rs_srcschema *src = rs_srcschema_parse("source.schema.json", text, size, d);
    FUZZ_ASSERT(src != NULL || rs_diags_has_errors(d), "a refused source schema says why");
    rs_srcschema_free(src);
    rs_diags_init(d);
    rs_tgtschema *tgt = rs_tgtschema_parse("target.schema.json", text, size, d);
    FUZZ_ASSERT(tgt != NULL || rs_diags_has_errors(d), "a refused target schema says why");
    if (tgt)
        for (size_t i = 0; i < tgt->n; i++) {
            const char *name = tgt->fields[i].name;
            FUZZ_ASSERT(rs_tgtschema_index(tgt, name, strlen(name)) == (int)i, "target fields are unique and found");
        }
    rs_tgtschema_free(tgt);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_copy(data, size);
    check_snapshot_schema(text, size);
    check_mapping_schemas(text, size);
    free(text);
    return 0;
}
