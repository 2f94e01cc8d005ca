#!/usr/bin/env python3
"""Prints Fleet's module graph and, inside each module, the graph of its folders; fails on a cycle.

    scripts/module-graph.py            # modules (from Package.swift) and folders, with line counts
    scripts/module-graph.py --quiet    # only cycles and the exit status

Modules come from `swift package dump-package`. Folder edges are found by name: a file in folder A
that mentions a type, protocol or top-level function declared in folder B makes the edge A -> B.
"""
import collections, json, os, re, subprocess, sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
quiet = "--quiet" in sys.argv

package = json.loads(subprocess.run(
    ["swift", "package", "dump-package"], cwd=top, check=True, capture_output=True, text=True).stdout)

def target_path(t):
    return t.get("path") or os.path.join("Tests" if t["type"] == "test" else "Sources", t["name"])

targets = {t["name"]: t for t in package["targets"]}

def deps(t):
    out = []
    for d in t["dependencies"]:
        for kind in ("byName", "target"):
            if kind in d and d[kind][0] in targets:
                out.append(d[kind][0])
    return out

def lines_of(path):
    n = 0
    for root, _, files in os.walk(os.path.join(top, path)):
        for f in files:
            if f.endswith((".swift", ".c", ".h")):
                with open(os.path.join(root, f), errors="replace") as fh:
                    n += sum(1 for _ in fh)
    return n

def find_cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index: visit(v)
    return out

failed = False
modules = {n: t for n, t in targets.items() if t["type"] in ("regular", "executable")}
graph = {n: [d for d in deps(t) if d in modules] for n, t in modules.items()}
if not quiet:
    print("modules (dependencies point down; lines of source):")
    for n in modules:
        print(f"  {n:<20} {lines_of(target_path(modules[n])):>6}  -> {', '.join(graph[n]) or '-'}")
for c in find_cycles(graph):
    failed = True; print("module cycle:", " <-> ".join(c))

declaration = re.compile(
    r"^([ \t]*)(?:@\w+(?:\([^)]*\))?\s+)*(?:public |internal |package |fileprivate |private |final |indirect |nonisolated )*"
    r"(?:struct|class|enum|protocol|actor|typealias|func)\s+([A-Za-z_]\w*)", re.M)
identifier = re.compile(r"\b[A-Za-z_]\w*\b")
comment = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
string = re.compile(r'"(?:\\.|[^"\\\n])*"')

for name, t in modules.items():
    root = os.path.join(top, target_path(t))
    files = {}
    for r, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".swift"):
                folder = os.path.relpath(r, root).split(os.sep)[0]
                folder = "." if folder == "." else folder
                with open(os.path.join(r, f)) as fh:
                    files[os.path.join(r, f)] = (folder, string.sub('""', comment.sub("", fh.read())))
    folders = sorted({f for f, _ in files.values()})
    if len(folders) < 2:
        continue
    declared = collections.defaultdict(set)
    for path, (folder, text) in files.items():
        for m in declaration.finditer(text):
            # only top-level (unindented) declarations name a folder's own types and functions
            if not m.group(1):
                declared[m.group(2)].add(folder)
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for path, (folder, text) in files.items():
        for word in set(identifier.findall(text)):
            for owner in declared.get(word, ()):
                if owner != folder and folder not in declared.get(word, ()):
                    edges[folder][owner].add(word)
    fgraph = {f: sorted(edges[f]) for f in folders}
    if not quiet:
        print(f"\n{name} folders:")
        for f in folders:
            print(f"  {f:<16} -> {', '.join(fgraph[f]) or '-'}")
    for c in find_cycles(fgraph):
        failed = True
        print(f"folder cycle in {name}: " + " <-> ".join(c))
        for a in c:
            for b in c:
                if b in edges[a]:
                    print(f"    {a} -> {b}: {', '.join(sorted(edges[a][b])[:8])}")

if not quiet:
    biggest = max((sum(1 for _ in open(os.path.join(r, f))), os.path.relpath(os.path.join(r, f), top))
                  for r, _, fs in os.walk(os.path.join(top, "Sources")) for f in fs if f.endswith(".swift"))
    print(f"\nlargest source file: {biggest[1]} ({biggest[0]} lines)")
    big = max((lines_of(target_path(t)), n) for n, t in modules.items())
    print(f"largest module: {big[1]} ({big[0]} lines)")
sys.exit(1 if failed else 0)
