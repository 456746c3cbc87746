#!/usr/bin/env python3
"""Rewrites `(status = N, description = "...", body = crate::error::Problem, ...)` tuples in
`#[utoipa::path]` responses into the shared types of src/api/problems.rs, grouping them into
sets where an operation lists the whole set. Usage: tools/apply_problems.py src/api/**/*.rs"""
import re
import sys

# (status, description as written in a handler) -> shared type. Several wordings of one
# meaning map to one type, so the document says it one way.
SINGLE = {
    (400, "Malformed JSON"): "MalformedJson",
    (400, "Invalid query"): "InvalidQuery",
    (400, "Malformed query or cursor"): "MalformedQueryOrCursor",
    (401, "Not authenticated"): "NotAuthenticated",
    (403, "Role not allowed"): "RoleNotAllowed",
    (403, "Role not allowed now"): "RoleNotAllowedNow",
    (403, "Not a system administrator"): "NotSystemAdmin",
    (403, "Not an administrator"): "NotAdministrator",
    (404, "No such dossier visible to the caller"): "DossierNotFound",
    (404, "No such result visible to the caller"): "ResultNotFound",
    (404, "No such payment visible to the caller"): "PaymentNotFound",
    (404, "No such province in the caller's scope"): "ProvinceNotInScope",
    (404, "No such commune in the caller's scope"): "CommuneNotInScope",
    (404, "No such province"): "ProvinceNotFound",
    (404, "No such procedure"): "ProcedureNotFound",
    (412, "Stale ETag"): "StaleEtag",
    (412, "Stale If-Match"): "StaleEtag",
    (413, "Body too large"): "BodyTooLarge",
    (413, "File too large"): "FileTooLarge",
    (415, "Not JSON"): "NotJson",
    (422, "Invalid fields"): "InvalidFields",
    (422, "Invalid limit"): "InvalidLimit",
    (428, "If-Match missing"): "IfMatchMissing",
}
SETS = [
    ("JsonBody", ["MalformedJson", "BodyTooLarge", "NotJson"]),
    ("Versioned", ["StaleEtag", "IfMatchMissing"]),
    ("PageQuery", ["InvalidQuery", "InvalidLimit"]),
]
ALL = sorted(set(SINGLE.values()) | {s for s, _ in SETS})
LINE = re.compile(
    r'^(\s*)\(status = (\d+), description = "([^"]*)", body = crate::error::Problem, '
    r'content_type = "application/problem\+json"\),?\s*$'
)
IMPORT = re.compile(r"^use (?:super|crate::api)::problems::(?:\{[^}]*\}|\w+);\n", re.M)


def rewrite_block(block):
    names, kept, first = [], [], None
    for b in block:
        m = LINE.match(b)
        key = (int(m.group(2)), m.group(3)) if m else None
        if key in SINGLE:
            names.append(SINGLE[key])
            if first is None:
                first = len(kept)
                kept.append(None)
        else:
            kept.append(b)
    # Shared names already on the block's lines count towards a set too.
    existing = []
    for i, b in enumerate(kept):
        if b is not None and re.fullmatch(r"\s*(\w+,\s*)+", b) and all(
            w in ALL for w in re.findall(r"\w+", b)
        ):
            existing += re.findall(r"\w+", b)
            kept[i] = ""
    names = existing + names
    if not names:
        return block
    if first is None:
        first = next(i for i, k in enumerate(kept) if k == "")
        kept[first] = None
    # Every JSON body is read by ValidJson, which also answers 413 over MAX_JSON_BYTES.
    if "MalformedJson" in names and "NotJson" in names and "BodyTooLarge" not in names:
        names.append("BodyTooLarge")
    final = []
    for set_name, members in SETS:
        if all(m in names for m in members):
            final.append(set_name)
            names = [n for n in names if n not in members]
    seen = []
    for n in final + names:
        if n not in seen:
            seen.append(n)
    kept[first] = "    " + ", ".join(seen) + ","
    return [k for k in kept if k != ""]


def main():
    for path in sys.argv[1:]:
        if path.endswith("problems.rs"):
            continue
        src = open(path).read()
        lines = src.split("\n")
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            out.append(line)
            i += 1
            if "#[utoipa::path" in line or (out and line.rstrip().endswith("responses(")):
                if not line.rstrip().endswith("responses("):
                    continue
                block = []
                while not lines[i].lstrip().startswith("))]"):
                    block.append(lines[i])
                    i += 1
                out.extend(rewrite_block(block))
        new = "\n".join(out)
        body = IMPORT.sub("", new)
        used = [n for n in ALL if re.search(r"\b%s\b" % n, body)]
        if used and new != src or (used and IMPORT.search(new)):
            imp = "use crate::api::problems::{%s};\n" % ", ".join(used)
            idx = body.find("\nuse crate::")
            if idx < 0:
                idx = body.find("\nuse ")
            new = body[: idx + 1] + imp + body[idx + 1 :]
        if new != src:
            open(path, "w").write(new)
            print(path, used)


main()
