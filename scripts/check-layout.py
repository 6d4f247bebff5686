#!/usr/bin/env python3
"""Checks the module graph and function sizes that ARCHITECTURE.md ("Module graph") promises.

1. Which top-level module may import which (`use crate::X`, `crate::X::` paths).
2. No import cycle between the files of src/core/.
3. No function longer than MAX_LINES in src/core/ and src/store/ (except those listed in
   LONG_FUNCTIONS, each with its reason).

Run by scripts/test.sh; exits 1 with one line per problem. `--graph` prints the edges found.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MAX_LINES = 80

# What each layer must never import. The rest is allowed; the point is the arrows that would
# run against the layering (see ARCHITECTURE.md).
FORBIDDEN = {
    "core": {"channels", "partners", "config", "http", "digest", "scheduler", "app", "cli", "tryout", "bench", "municipal"},
    "parse": {"core", "store", "channels", "partners", "config", "http", "digest", "scheduler", "app", "areas"},
    "store": {"channels", "partners", "config", "http", "scheduler", "app", "cli", "tryout", "bench", "municipal"},
    "digest": {"channels", "http", "scheduler", "app", "cli", "tryout", "bench"},
    "channels": {"http", "digest", "scheduler", "app", "cli", "tryout", "bench", "partners", "municipal"},
    "municipal": {"channels", "http", "scheduler", "app", "cli", "tryout", "bench"},
    "partners": {"channels", "http", "digest", "scheduler", "app", "cli", "tryout", "bench"},
    "i18n": {"core", "store", "channels", "partners", "config", "http", "digest", "app"},
    "areas": {"core", "store", "channels", "partners", "config", "http", "digest", "app"},
}
# Inside store/, only these parts of core and digest may be named: their plain data types
# (what a row is read into), never their logic.
STORE_MAY_USE = {"core": {"model", "links"}, "digest": {"build", "schedule", "render"}}

# Functions allowed to be longer, and why (keep this list short).
LONG_FUNCTIONS = {
}

USE_RE = re.compile(r"\bcrate::([a-z_0-9]+)(?:::([a-z_0-9]+))?")
SUPER_RE = re.compile(r"\buse\s+super::(?:\{([^}]*)\}|([a-z_]+))")
FN_RE = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?(?:async\s+)?(?:const\s+)?fn\s+([a-z_0-9]+)")


def module_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def code_lines(path: Path):
    """The file's lines, without `//` comments, and stopping at `#[cfg(test)]` modules."""
    for line in path.read_text().splitlines():
        if line.strip().startswith("#[cfg(test)]"):
            break
        yield line.split("//", 1)[0]


def imports(path: Path):
    for line in code_lines(path):
        for m in USE_RE.finditer(line):
            yield m.group(1), m.group(2)


def core_file_deps(path: Path):
    """The core/ files one core file names (`super::x`, `crate::core::x`)."""
    deps = set()
    for line in code_lines(path):
        for m in SUPER_RE.finditer(line):
            names = m.group(1) or m.group(2)
            for name in re.split(r"[,\s]+", names):
                name = name.split("::")[0].strip()
                if name and name[0].islower() and name != "self":
                    deps.add(name)
        for m in USE_RE.finditer(line):
            if m.group(1) == "core" and m.group(2):
                deps.add(m.group(2))
    return deps


def check_layers(problems, edges):
    for path in sorted(SRC.rglob("*.rs")):
        src_mod = module_of(path)
        for target, sub in imports(path):
            if target == src_mod:
                continue
            edges.add((src_mod, target))
            if target in FORBIDDEN.get(src_mod, set()):
                problems.append(f"{path.relative_to(ROOT)}: {src_mod} must not import crate::{target}")
            allowed = STORE_MAY_USE.get(target)
            if src_mod == "store" and allowed is not None and sub not in allowed:
                problems.append(
                    f"{path.relative_to(ROOT)}: store may use only {target}::{{{', '.join(sorted(allowed))}}}, not {target}::{sub}"
                )


def check_core_cycles(problems):
    files = {p.stem: p for p in (SRC / "core").glob("*.rs") if p.stem != "mod"}
    graph = {name: {d for d in core_file_deps(p) if d in files and d != name} for name, p in files.items()}
    # mod.rs may name its leaves only (it declares the others).
    leaves = {"model", "channel", "links"}
    for dep in core_file_deps(SRC / "core" / "mod.rs"):
        if dep in files and dep not in leaves:
            problems.append(f"src/core/mod.rs: uses core::{dep}; mod.rs may use only {sorted(leaves)}")
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("import cycle in src/core: " + " → ".join(cycle))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def check_function_sizes(problems, report):
    for folder in ("core", "store"):
        for path in sorted((SRC / folder).rglob("*.rs")):
            lines = list(code_lines(path))
            i = 0
            while i < len(lines):
                m = FN_RE.match(lines[i])
                if not m or lines[i].rstrip().endswith(";"):
                    i += 1
                    continue
                depth, start, opened = 0, i, False
                j = i
                while j < len(lines):
                    depth += lines[j].count("{") - lines[j].count("}")
                    opened = opened or "{" in lines[j]
                    if opened and depth <= 0:
                        break
                    j += 1
                length = j - start + 1
                key = f"{path.relative_to(ROOT)}::{m.group(1)}"
                if length > MAX_LINES:
                    if key in LONG_FUNCTIONS:
                        report.append(f"{key}: {length} lines (allowed: {LONG_FUNCTIONS[key]})")
                    else:
                        problems.append(f"{key}: {length} lines (at most {MAX_LINES} in src/core and src/store)")
                i = j + 1


def main():
    problems, edges, report = [], set(), []
    check_layers(problems, edges)
    check_core_cycles(problems)
    check_function_sizes(problems, report)
    if "--graph" in sys.argv:
        for a, b in sorted(edges):
            print(f"{a} -> {b}")
    for line in report:
        print("note:", line)
    for p in problems:
        print("layout:", p, file=sys.stderr)
    if problems:
        sys.exit(1)
    print("layout: module graph and function sizes as ARCHITECTURE.md says")


if __name__ == "__main__":
    main()
