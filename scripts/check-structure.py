#!/usr/bin/env python3
"""Checks the shape of the tiercare workspace, so it stays as ARCHITECTURE.md
draws it:

1. Crate dependencies: each crate depends only on the tiercare crates (and
   on none of the forbidden outside crates) its room allows.
2. The service crate names no HTTP or FHIR JSON type in its source.
3. No import cycle between the folders of any crate: a file that imports
   from another folder makes an edge from its folder to that one, and the
   folders must not import each other in a circle (the crate root,
   lib.rs or main.rs, wires every folder and does not count).
4. No source file is longer than 600 lines before its unit tests.

Prints what is wrong and exits 1, or prints a summary and exits 0.
"""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# crate -> (tiercare crates it may depend on, outside crates it must not use)
RULES = {
    "tiercare-core": (set(), {"tokio", "sqlx", "axum", "reqwest"}),
    "tiercare-store": ({"tiercare-core"}, {"axum", "reqwest"}),
    "tiercare-service": ({"tiercare-core", "tiercare-store"}, {"axum", "serde_json", "reqwest", "http", "hyper", "askama"}),
    "tiercare-fhir": ({"tiercare-core", "tiercare-store", "tiercare-service"}, {"axum", "tokio", "sqlx", "reqwest", "askama"}),
    "tiercare-api": ({"tiercare-core", "tiercare-store", "tiercare-service", "tiercare-fhir"}, {"askama"}),
    "tiercare-web": ({"tiercare-core", "tiercare-store", "tiercare-service", "tiercare-api", "tiercare-chart"}, {"serde_json", "reqwest"}),
    "tiercare-chart": (set(), {"tokio", "axum", "serde_json"}),
    "tiercare-sim": ({"tiercare-core", "tiercare-chart"}, {"tokio", "sqlx", "axum", "reqwest"}),
    "tiercare": (None, set()),
}
SERVICE_FORBIDDEN = re.compile(r"\b(axum|serde_json|reqwest|StatusCode|hyper)\b")
# An HTTP status in the service, even in a comment, means it speaks for a face.
HTTP_STATUS = re.compile(r"\b4[0-2][0-9]\b")
MAX_LINES = 600

problems = []


def crate_dependencies():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    meta = json.loads(out)
    crates = {}
    for p in meta["packages"]:
        deps = {d["name"] for d in p["dependencies"] if d["kind"] is None}
        crates[p["name"]] = (deps, os.path.dirname(p["manifest_path"]))
    for name, (deps, _) in sorted(crates.items()):
        if name not in RULES:
            problems.append(f"{name}: no dependency rule; add it to scripts/check-structure.py")
            continue
        allowed, forbidden = RULES[name]
        ours = {d for d in deps if d.startswith("tiercare")}
        if allowed is not None:
            for d in sorted(ours - allowed):
                problems.append(f"{name} must not depend on {d}")
        for d in sorted(deps & forbidden):
            problems.append(f"{name} must not depend on {d}")
    return crates


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] if '"' not in line else line for line in text.splitlines())


def service_names_no_http(src):
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                code = line.split("//")[0]
                if SERVICE_FORBIDDEN.search(code) or HTTP_STATUS.search(line):
                    problems.append(f"{os.path.relpath(path, ROOT)}:{n}: the service names HTTP or FHIR JSON: {line.strip()}")


def module_files(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    mods = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            mods[tuple(parts)] = os.path.join(dirpath, f)
    return mods


PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP_RE = re.compile(r"\b(crate|super|self)::\{([^}]*)\}")


def references(text):
    """The module paths a file refers to: `crate::a::b`, `super::x`, and
    the members of `crate::{a, b::c}` groups."""
    found = []
    for base, rest in PATH_RE.findall(text):
        found.append((base, [p for p in rest.split("::") if p]))
    for base, group in GROUP_RE.findall(text):
        for item in group.split(","):
            item = item.strip().split(" as ")[0]
            if item and item != "self":
                found.append((base, [p.strip() for p in item.split("::") if p.strip()]))
    return found


def resolve(here, base, parts, mods):
    if base == "crate":
        start = ()
    else:
        # `self` is this module; `super` is its parent. A file module's
        # `self` is the file itself.
        start = here
        if base == "super":
            start = here[:-1]
    target = start
    for p in parts:
        if p == "super":
            target = target[:-1]
            continue
        if target + (p,) in mods:
            target = target + (p,)
        else:
            break
    return target


def cycles_in(graph):
    seen, stack, on, found = set(), [], set(), []

    def visit(n):
        seen.add(n)
        stack.append(n)
        on.add(n)
        for m in sorted(graph.get(n, ())):
            if m in on:
                found.append(stack[stack.index(m):] + [m])
            elif m not in seen:
                visit(m)
        stack.pop()
        on.discard(n)

    for n in sorted(graph):
        if n not in seen:
            visit(n)
    return found


def folder_of(path, src):
    return os.path.relpath(os.path.dirname(path), src)


def folder_cycles(crate, src):
    mods = module_files(src)
    graph = defaultdict(set)
    for here, path in mods.items():
        if here == ():
            continue  # the crate root wires every folder
        text = strip_comments(open(path, encoding="utf-8").read())
        text = text.split("#[cfg(test)]")[0]
        for base, parts in references(text):
            target = resolve(here, base, parts, mods)
            a, b = folder_of(path, src), folder_of(mods[target], src)
            if a != b:
                graph[a].add(b)
    for cycle in cycles_in(graph):
        problems.append(f"{crate}: import cycle between folders " + " -> ".join(cycle))


def long_files(crate_dir):
    for dirpath, _, files in os.walk(os.path.join(crate_dir, "src")):
        for f in files:
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            path = os.path.join(dirpath, f)
            n = 0
            for line in open(path, encoding="utf-8"):
                if line.startswith("#[cfg(test)]"):
                    break
                n += 1
            if n > MAX_LINES:
                problems.append(f"{os.path.relpath(path, ROOT)}: {n} lines before its tests (at most {MAX_LINES})")


def main():
    crates = crate_dependencies()
    for name, (_, crate_dir) in sorted(crates.items()):
        src = os.path.join(crate_dir, "src")
        if name == "tiercare-service":
            service_names_no_http(src)
        folder_cycles(name, src)
        long_files(crate_dir)
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} problem(s) in the workspace's structure", file=sys.stderr)
        sys.exit(1)
    print(f"structure ok: {len(crates)} crates, dependency rules kept, no import cycles, no file over {MAX_LINES} lines")


if __name__ == "__main__":
    main()
