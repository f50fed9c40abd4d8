# cmddoc.awk: turns the command pages (docs/commands/*.txt, format in docs/commands/README.md) into
# what the build needs, so that `roster COMMAND --help` and the man pages come from one text:
#   awk -v mode=help -f scripts/cmddoc.awk PAGES...           the C table of help texts (cli/help.h)
#   awk -v mode=man -v version=V -f scripts/cmddoc.awk PAGE PAGES...
#                                                         the roff man page of PAGE
# A line "@commands@" in a page is replaced by one "  NAME  summary" line for each of the other
# pages, in the order given: how roster.txt lists the commands.

{ text[FILENAME, ++nlines[FILENAME]] = $0 }
FNR == 1 { files[++nfiles] = FILENAME }

END {
    for (f = 1; f <= nfiles; f++) expand(files[f])
    if (mode == "help") help()
    else if (mode == "man") man(files[1])
    else { print "cmddoc.awk: mode must be help or man" > "/dev/stderr"; exit 1 }
}

# ---- reading the pages ----

# "roster recalc - summary": the command ("recalc", "roster" for the page of roster itself).
function command(file,    name) {
    name = text[file, 1]
    sub(/ - .*/, "", name)
    sub(/^roster /, "", name)
    return name
}

function summary(file,    s) {
    s = text[file, 1]
    return substr(s, index(s, " - ") + 3)
}

# The lines of a page with @commands@ expanded, in out[file, i], i = 1..nout[file].
function expand(file,    i, g, n) {
    n = 0
    for (i = 1; i <= nlines[file]; i++) {
        if (text[file, i] != "@commands@") { out[file, ++n] = text[file, i]; continue }
        for (g = 1; g <= nfiles; g++)
            if (files[g] != file) out[file, ++n] = sprintf("  %-10s%s", command(files[g]), summary(files[g]))
    }
    nout[file] = n
}

function heading(line) { return line ~ /^[a-z][a-z ]*:$/ }

# ---- mode=help: C strings ----

function cstr(s,    r, i, c) {
    r = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\" || c == "\"") r = r "\\" c
        else if (c == "?") r = r "\\?"        # never a trigraph
        else if (c == "\n") r = r "\\n"
        else r = r c
    }
    return "\"" r "\""
}

# The lines of the usage: section, as one string.
function usage(file,    i, s, in_usage) {
    s = ""
    for (i = 1; i <= nout[file]; i++) {
        if (heading(out[file, i])) { in_usage = out[file, i] == "usage:"; continue }
        if (!in_usage) continue
        if (out[file, i] == "") break
        s = s out[file, i] "\n"
    }
    return s
}

function help(    f, i, file) {
    print "/* Generated from the pages of docs/commands by scripts/cmddoc.awk: edit those, not this. */"
    print "#include <stddef.h>"
    print "#include \"cli/help.h\""
    print ""
    print "const cli_help cli_helps[] = {"
    for (f = 1; f <= nfiles; f++) {
        file = files[f]
        printf "    {%s, %s, %s,\n", cstr(command(file)), cstr(summary(file)), cstr(usage(file))
        for (i = 1; i <= nout[file]; i++) printf "     %s\n", cstr(out[file, i] "\n")
        print "    },"
    }
    print "    {NULL, NULL, NULL, NULL},"
    print "};"
}

# ---- mode=man: roff ----

# Escapes roff's specials: a backslash, a hyphen (\- is the minus that options are typed with) and
# a control character at the start of a line.
function esc(s,    r, i, c) {
    r = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") r = r "\\e"
        else if (c == "-") r = r "\\-"
        else r = r c
    }
    if (r ~ /^[.']/) r = "\\&" r
    return r
}

function end_block() {
    if (nofill) print ".fi"
    if (literal) print ".RE"
    nofill = literal = 0
}

function section(title) {
    end_block()
    print ".SH " esc(toupper(title))
    paragraph = 0
}

# A list item "  TERM  text": the term in bold, the rest of the line and the indented lines
# below it as its text.
function item(line,    term, rest) {
    sub(/^  /, "", line)
    term = line
    rest = ""
    if (match(line, /   */)) {
        term = substr(line, 1, RSTART - 1)
        rest = substr(line, RSTART + RLENGTH)
    }
    print ".TP" tp_width
    print "\\fB" esc(term) "\\fR"
    if (rest != "") print esc(rest)
}

function man(file,    i, line, name, kind) {
    name = text[file, 1]
    sub(/ - .*/, "", name)
    gsub(/ /, "-", name)
    print ".\\\" Generated from " file " by scripts/cmddoc.awk: edit that file, not this one."
    print ".TH " esc(toupper(name)) " 1 \"\" \"roster " version "\" \"roster manual\""
    print ".SH NAME"
    print esc(name) " \\- " esc(summary(file))
    kind = ""
    for (i = 2; i <= nout[file]; i++) {
        line = out[file, i]
        if (line == "") { end_block(); if (kind == "usage") kind = "after-usage"; continue }
        if (heading(line)) {
            sub(/:$/, "", line)
            kind = line == "usage" ? "usage" : line ~ /^(options|exit status|commands)$/ ? "list" : \
                   line == "see also" ? "plain" : "prose"
            tp_width = line == "commands" ? " 10" : ""   # the longest command name fits
            section(line == "usage" ? "synopsis" : line)
            continue
        }
        if (kind == "list" && line !~ /^ /) { print ".PP"; kind = "prose"; paragraph = 1 }
        if (kind == "after-usage" && line !~ /^ /) { section("description"); kind = "prose" }
        if (kind == "usage" || kind == "after-usage") {
            if (!nofill) { print ".nf"; nofill = 1 }
            sub(/^  /, "", line)
            print esc(line)
        } else if (kind == "list") {
            if (line ~ /^  [^ ]/) item(line)
            else { sub(/^ +/, "", line); print esc(line) }
        } else if (kind == "plain") {
            sub(/^ +/, "", line)
            print esc(line)
        } else if (line ~ /^ /) {
            if (!literal) { print ".PP"; print ".RS 4"; print ".nf"; literal = nofill = 1 }
            sub(/^  /, "", line)
            print esc(line)
        } else {
            if (literal) end_block()
            if (paragraph++ && out[file, i - 1] == "") print ".PP"
            print esc(line)
        }
    }
    end_block()
}
