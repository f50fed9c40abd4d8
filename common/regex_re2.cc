// regex_re2.cc: the C face of RE2 that common/regex.h promises. C++ stays inside this file.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <re2/re2.h>
#include "common/regex.h"

struct rs_regex {
    RE2 re;
    rs_regex(const char *p, size_t n, const RE2::Options &o) : re(re2::StringPiece(p, n), o) {}
};

static void put_err(char *err, size_t errlen, const std::string &msg) {
    if (!err || errlen == 0) return;
    size_t n = msg.size() < errlen - 1 ? msg.size() : errlen - 1;
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}

extern "C" rs_regex *rs_regex_new(const char *pattern, size_t len, char *err, size_t errlen) {
    RE2::Options o;
    o.set_log_errors(false);    // errors are reported as diagnostics, not on stderr
    rs_regex *r = new (std::nothrow) rs_regex(pattern, len, o);
    if (!r) return nullptr;
    if (r->re.ok()) return r;
    put_err(err, errlen, r->re.error());
    delete r;
    return nullptr;
}

extern "C" void rs_regex_free(rs_regex *re) { delete re; }

extern "C" bool rs_regex_check_rewrite(const rs_regex *re, const char *rewrite, size_t len,
                                       char *err, size_t errlen) {
    std::string why;
    if (re->re.CheckRewriteString(re2::StringPiece(rewrite, len), &why)) return true;
    put_err(err, errlen, why);
    return false;
}

extern "C" char *rs_regex_replace(const rs_regex *re, const char *s, size_t len, const char *rewrite,
                                  size_t rlen, size_t *out_len) {
    std::string str(s, len);
    RE2::GlobalReplace(&str, re->re, re2::StringPiece(rewrite, rlen));
    char *out = static_cast<char *>(std::malloc(str.size() + 1));
    if (!out) {
        std::fputs("roster: out of memory\n", stderr);
        std::exit(2);
    }
    std::memcpy(out, str.data(), str.size());
    out[str.size()] = '\0';
    *out_len = str.size();
    return out;
}
