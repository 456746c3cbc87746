#!/usr/bin/env python3
"""States in the OpenAPI schema what `#[validate(...)]` enforces: for each validated field of
a `ToSchema` or `IntoParams` struct, adds `#[schema(...)]` / `#[param(...)]` with the same
bounds (minLength/maxLength, minItems/maxItems, minimum/maximum, pattern), on the line
before the `#[validate]`. Idempotent: a line already stating them is not added again.
Usage: tools/validate_to_schema.py FILE..."""
import re
import sys

# Custom field rules whose shape a pattern states (domain/fields.rs).
PATTERNS = {
    "crate::domain::fields::commune_code": r"^[0-9]{5}$",
    "crate::domain::fields::province_code": r"^[0-9]{2}$",
    "crate::domain::fields::personal_id": r"^(0(01|02|04|06|08|10|11|12|14|15|17|19|20|22|24|25|26|27|30|31|33|34|35|36|37|38|40|42|44|45|46|48|49|51|52|54|56|58|60|62|64|66|67|68|70|72|74|75|77|79|80|82|83|84|86|87|89|91|92|93|94|95|96)|[1-9][0-9]{2})[0-9]{9}$",
    "crate::domain::fields::phone": r"^[ +\-.()]*([0-9][ +\-.()]*){9,15}$",
}


def bounds(rule, is_vec):
    out = []
    for kind, body in re.findall(r"\b(length|range)\(([^)]*)\)", rule):
        lo = re.search(r"min\s*=\s*(-?\d+)", body)
        hi = re.search(r"max\s*=\s*(-?\d+)", body)
        if kind == "length":
            names = ("min_items", "max_items") if is_vec else ("min_length", "max_length")
        else:
            names = ("minimum", "maximum")
        if lo:
            out.append(f"{names[0]} = {lo.group(1)}")
        if hi:
            out.append(f"{names[1]} = {hi.group(1)}")
    for fn, pattern in PATTERNS.items():
        if f'"{fn}"' in rule:
            out.append(f'pattern = r"{pattern}"')
    return out


def main():
    for path in sys.argv[1:]:
        lines = open(path).read().split("\n")
        out = []
        derive = None
        changed = False
        for i, line in enumerate(lines):
            if line.lstrip().startswith("#[derive("):
                derive = "param" if "IntoParams" in line and "ToSchema" not in line else (
                    "schema" if "ToSchema" in line else None)
            m = re.match(r"^(\s*)#\[validate\((.*)\)\]\s*$", line)
            if m and derive:
                j = i + 1
                while j < len(lines) and lines[j].lstrip().startswith(("#[", "///")):
                    j += 1
                field = lines[j] if j < len(lines) else ""
                is_vec = re.search(r":\s*(Option<)?Vec<", field) is not None
                attrs = bounds(m.group(2), is_vec)
                stated = f"{m.group(1)}#[{derive}({', '.join(attrs)})]"
                if attrs and not (out and out[-1] == stated):
                    out.append(stated)
                    changed = True
            out.append(line)
        if changed:
            open(path, "w").write("\n".join(out))
            print(path)


main()
