/* diag_codes.h: every diagnostic roster can emit, on one page. DIAG(number, NAME, severity, summary)
 * expands into the enum, the code strings ("E0201"), the JSON output and docs/diagnostics.md, so the
 * three cannot drift. Numbers are stable: never reuse or renumber one; add new ones at the end of
 * their range.
 *   E00xx input and limits   E01xx syntax            E02xx checker          E03xx against a snapshot
 *   E04xx JSON rule form     E05xx field mappings    E06xx snapshot loading E07xx bytecode files
 *   E08xx state database
 * The summary is what the docs list; the message text is written where the diagnostic is raised.
 * A retired code stays listed, so that its number is never given to something else, and nothing
 * emits it; docs/diagnostics.md says why: E0617. */
#ifndef RS_DIAG_CODES_H
#define RS_DIAG_CODES_H

#define RS_DIAG_CODES(DIAG)                                                                   \
    DIAG(1,   FILE_TOO_LARGE,      ERROR, "source file larger than the limit")                 \
    DIAG(2,   TOO_DEEP,            ERROR, "expression nested deeper than the limit")           \
    DIAG(3,   STRING_TOO_LONG,     ERROR, "string literal longer than the limit")              \
    DIAG(4,   BAD_UTF8,            ERROR, "source is not valid UTF-8")                         \
    DIAG(5,   NUL_BYTE,            ERROR, "NUL byte in source")                                \
    DIAG(6,   IO,                  ERROR, "file cannot be read or written")                    \
    DIAG(7,   TOO_MANY_ERRORS,     NOTE,  "further diagnostics suppressed")                    \
    DIAG(8,   BAD_ARGUMENT,        ERROR, "library call given a NULL, unknown or invalid argument") \
    DIAG(101, BAD_CHAR,            ERROR, "unexpected character")                              \
    DIAG(102, UNTERMINATED_STRING, ERROR, "string not closed before end of line or file")      \
    DIAG(103, BAD_ESCAPE,          ERROR, "invalid escape sequence in string")                 \
    DIAG(104, SYNTAX,              ERROR, "unexpected token")                                  \
    DIAG(105, BAD_DATE,            ERROR, "date literal that does not exist")                  \
    DIAG(106, BAD_NUMBER,          ERROR, "number literal out of range")                       \
    DIAG(107, DUPLICATE_ITEM,      ERROR, "group item given twice (name, departments, match)") \
    DIAG(108, MIXED_FORMS,         ERROR, "`where` mixed with numbered conditions or `match`") \
    DIAG(109, MISSING_NAME,        ERROR, "group without a `name`")                            \
    DIAG(110, EMPTY_GROUP_ID,      ERROR, "group id is empty")                                 \
    DIAG(111, BAD_DURATION,        ERROR, "relative date unit other than days or weeks")       \
    DIAG(201, UNKNOWN_FIELD,       ERROR, "unknown field")                                     \
    DIAG(202, BAD_OPERATOR,        ERROR, "operator not valid for the field's type")           \
    DIAG(203, BAD_VALUE_TYPE,      ERROR, "value of the wrong type for the field")             \
    DIAG(204, UNKNOWN_OPTION,      ERROR, "option outside the field's declared list")          \
    DIAG(205, BETWEEN_ORDER,       ERROR, "`is between A and B` with A after B")               \
    DIAG(206, EMPTY_LIST,          ERROR, "empty value list")                                  \
    DIAG(207, TOO_MANY_CONDITIONS, ERROR, "more than 20 conditions")                           \
    DIAG(208, TOO_MANY_DEPARTMENTS,ERROR, "more than 10 departments in the scope")             \
    DIAG(209, TOO_MANY_MEMBERS,    ERROR, "more than 100 allow or block entries")              \
    DIAG(210, DUPLICATE_GROUP_ID,  ERROR, "two groups with the same id")                       \
    DIAG(211, DUPLICATE_GROUP_NAME,ERROR, "two groups with the same display name")             \
    DIAG(212, CONDITION_RANGE,     ERROR, "condition number outside 1..20")                    \
    DIAG(213, DUPLICATE_CONDITION, ERROR, "condition number declared twice")                   \
    DIAG(214, UNDECLARED_CONDITION,ERROR, "`match` names a condition that is not declared")    \
    DIAG(215, CONDITION_REUSED,    ERROR, "`match` uses a condition more than once")           \
    DIAG(216, CONDITION_UNUSED,    ERROR, "declared condition missing from `match`")           \
    DIAG(217, ALLOWED_AND_BLOCKED, ERROR, "member both in `allow` and `block`")                \
    DIAG(218, SUBDEPT_NOT_ALLOWED, ERROR, "`with sub-departments` on an operator without it")  \
    DIAG(219, BAD_ARITY,           ERROR, "operator given a list where it takes one value, or the reverse") \
    DIAG(220, NOT_IN_MATCH,        ERROR, "`not` inside `match`")                              \
    DIAG(221, DUPLICATE_VALUE,     WARNING, "value listed twice")                              \
    DIAG(222, MULTI_OPERATOR,      ERROR, "single-value operator on a multi-valued field")     \
    DIAG(223, MATCH_WITHOUT_CONDITIONS, ERROR, "`match` in a group without conditions")         \
    DIAG(301, UNKNOWN_DEPARTMENT,  ERROR, "department id not in the snapshot")                 \
    DIAG(302, UNKNOWN_MEMBER,      ERROR, "member id not in the snapshot")                     \
    DIAG(401, JSON_SYNTAX,         ERROR, "rule JSON that is not valid JSON")                  \
    DIAG(402, JSON_SHAPE,          ERROR, "rule JSON key missing or of the wrong JSON type")   \
    DIAG(403, JSON_UNKNOWN_KEY,    ERROR, "rule JSON key roster does not know")                \
    DIAG(404, JSON_UNKNOWN_OP,     ERROR, "rule JSON operator name roster does not know")      \
    DIAG(501, MAP_UNKNOWN_PATH,    ERROR, "mapping reads a source path the source schema lacks") \
    DIAG(502, MAP_UNKNOWN_TARGET,  ERROR, "mapping writes a target field the target lacks")    \
    DIAG(503, MAP_TYPE,            ERROR, "mapping expression of the wrong type")              \
    DIAG(504, MAP_BAD_CALL,        ERROR, "function called with the wrong arguments")          \
    DIAG(505, MAP_DUPLICATE_TARGET,ERROR, "target field mapped twice")                         \
    DIAG(506, MAP_REQUIRED_UNMAPPED,ERROR,"required target field left unmapped")               \
    DIAG(507, MAP_DEFAULT_CHANGED, ERROR, "`default` mapping changed or removed")              \
    DIAG(508, MAP_RECOMMENDED_CHANGED, ERROR, "`recommended` mapping changed")                 \
    DIAG(509, MAP_UNKNOWN_FUNCTION,ERROR, "unknown function")                                  \
    DIAG(510, MAP_BAD_REGEX,       ERROR, "invalid regular expression")                        \
    DIAG(511, MAP_LOOKUP_TABLE,    ERROR, "lookup table missing or unreadable")                \
    DIAG(512, MAP_BAD_SCHEMA,      ERROR, "source or target schema missing or invalid")        \
    DIAG(513, MAP_NO_SCHEMA,       ERROR, "mapping without a `source` or `target` line")       \
    DIAG(514, MAP_BAD_EXTENDS,     ERROR, "extended mapping set missing or invalid")           \
    DIAG(601, SNAP_SYNTAX,         ERROR, "snapshot line that is not valid JSON or CSV")       \
    DIAG(602, SNAP_MISSING_ID,     ERROR, "record without an id")                              \
    DIAG(603, SNAP_DUPLICATE_ID,   ERROR, "id used by two records")                            \
    DIAG(604, SNAP_MISSING_PARENT, ERROR, "department whose parent does not exist")            \
    DIAG(605, SNAP_CYCLE,          ERROR, "department that is its own ancestor")               \
    DIAG(606, SNAP_BAD_DATE,       ERROR, "date that does not exist or is not YYYY-MM-DD")     \
    DIAG(607, SNAP_BAD_OPTION,     ERROR, "option outside the field's declared list")          \
    DIAG(608, SNAP_WRONG_TYPE,     ERROR, "value of the wrong type")                           \
    DIAG(609, SNAP_UNKNOWN_DEPARTMENT, ERROR, "member in a department that does not exist")    \
    DIAG(610, SNAP_UNKNOWN_MEMBER, ERROR, "personnel value naming a member that does not exist") \
    DIAG(611, SNAP_UNKNOWN_FIELD,  WARNING, "record key not declared in schema.json (ignored)") \
    DIAG(612, SNAP_BAD_SCHEMA,     ERROR, "schema.json invalid")                               \
    DIAG(613, SNAP_MISSING_FILE,   ERROR, "snapshot file missing")                             \
    DIAG(614, SNAP_CORRUPT,        ERROR, "binary .snap file corrupt, truncated or of another version") \
    DIAG(615, SNAP_NO_ROOT,        ERROR, "department tree without a root")                    \
    DIAG(616, SNAP_TOO_LARGE,      ERROR, "snapshot value or record beyond a limit")           \
    DIAG(617, SNAP_NO_DEPARTMENT,  ERROR, "retired: a member in no department is valid")       \
    DIAG(701, BC_CORRUPT,          ERROR, "bytecode file corrupt, truncated or of another version") \
    DIAG(702, BC_SCHEMA_MISMATCH,  ERROR, "bytecode compiled for fields the snapshot lacks")   \
    DIAG(801, STATE_DB,            ERROR, "state database error")                              \
    DIAG(802, RULE_REMOVED,        WARNING, "stored group whose rule is gone")

#endif
