/* gen-google: writes N Google Directory user records (the users resource, as users.list returns
 * them) as JSON Lines, for the mapping benchmark. Deterministic for a seed. About 1 record in 200
 * has a name longer than Lark allows and 1 in 200 none, so failures are part of what is measured.
 *   gen-google --users N [--seed S] -o users.jsonl */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint32_t next(void) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(state >> 33);
}

static const char *pick(const char *const *v, size_t n) { return v[next() % n]; }

#define PICK(v) pick(v, sizeof v / sizeof v[0])

static const char *const given[] = {"Ana", "Li", "Sakura", "João", "Maria", "Wei", "Lisa", "Omar",
                                    "Inès", "Pedro", "Anna", "Kenji", "Fatima", "Lucas", "Chen"};
static const char *const family[] = {"Silva", "Wang", "Tanaka", "Costa", "Müller", "Li", "Jansen",
                                     "Haddad", "Neumann", "Santos", "Kowalski", "Sato", "Chen"};
static const char *const titles[] = {"Software Engineer", "Product Manager", "Designer", "Sales Lead",
                                     "Accountant", "Support Engineer", "Recruiter", "Data Analyst"};
static const char *const descs[] = {"Full-time", "Full-time", "Full-time", "Intern", "Contractor"};
static const char *const cities[] = {"Lisbon", "Shanghai", "Tokyo", "Berlin", "Porto", "Hangzhou"};
static const char *const units[] = {"/Engineering/Backend", "/Engineering/Frontend", "/Sales/EMEA",
                                    "/Sales/APAC", "/Finance", "/People", "/Marketing"};
static const char *const genders[] = {"female", "male", "other", "unknown"};

static void name_json(FILE *out, uint64_t i) {
    const char *g = PICK(given), *f = PICK(family);
    uint32_t r = next() % 200;
    if (r == 0) {
        fputs("\"name\": {\"givenName\": \"\"}, ", out);
    } else if (r == 1) {
        fprintf(out, "\"name\": {\"givenName\": \"%s\", \"familyName\": \"%s\", \"fullName\": "
                     "\"%s Alexander Friedrich Maximilian von %s-Hohenberg zu Liechtenfels %llu\"}, ",
                g, f, g, f, (unsigned long long)i);
    } else {
        fprintf(out, "\"name\": {\"givenName\": \"%s\", \"familyName\": \"%s\", \"fullName\": \"%s %s\"}, ",
                g, f, g, f);
    }
}

static void user(FILE *out, uint64_t i) {
    fprintf(out, "{\"kind\": \"admin#directory#user\", \"id\": \"1%020llu\", \"etag\": \"\\\"e%llu\\\"\", "
                 "\"primaryEmail\": \"User.%llu@Example.com\", ",
            (unsigned long long)i, (unsigned long long)i, (unsigned long long)i);
    name_json(out, i);
    fprintf(out, "\"isAdmin\": %s, \"suspended\": false, \"archived\": false, "
                 "\"creationTime\": \"20%02u-%02u-%02uT09:30:00.000Z\", "
                 "\"lastLoginTime\": \"2026-11-20T08:12:44.000Z\", ",
            next() % 100 == 0 ? "true" : "false", 10 + next() % 16, 1 + next() % 12, 1 + next() % 28);
    fprintf(out, "\"emails\": [{\"address\": \"user.%llu@example.com\", \"primary\": true}], "
                 "\"phones\": [{\"value\": \"+351 9%08u\", \"type\": \"mobile\"}], ",
            (unsigned long long)i, next() % 100000000);
    fprintf(out, "\"organizations\": [{\"title\": \"%s\", \"primary\": true, \"description\": \"%s\"}], ",
            PICK(titles), PICK(descs));
    fprintf(out, "\"relations\": [{\"value\": \"user.%llu@example.com\", \"type\": \"manager\"}], ",
            (unsigned long long)(i / 8));
    fprintf(out, "\"externalIds\": [{\"value\": \"E-%llu\", \"type\": \"organization\"}], "
                 "\"addresses\": [{\"type\": \"work\", \"locality\": \"%s\"}], "
                 "\"gender\": {\"type\": \"%s\"}, \"customerId\": \"C03az79cb\", \"orgUnitPath\": \"%s\", "
                 "\"includeInGlobalAddressList\": true}\n",
            (unsigned long long)i, PICK(cities), PICK(genders), PICK(units));
}

int main(int argc, char **argv) {
    unsigned long long n = 0, seed = 1;
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--users") == 0) n = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0) seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-o") == 0) path = argv[i + 1];
    }
    if (!n || !path) {
        fputs("usage: gen-google --users N [--seed S] -o users.jsonl\n", stderr);
        return 2;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 2;
    }
    state = seed;
    for (unsigned long long i = 0; i < n; i++) user(out, i);
    return fclose(out) == 0 ? 0 : 2;
}
