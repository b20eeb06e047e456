#!/usr/bin/env python3
"""Counts azblob's public API from `cargo doc --no-deps -p azblob` output.

Types are the distinct struct, enum, trait and type-alias pages listed in
`all.html` (each item once, at its canonical path). Functions are free
functions plus every inherent method and trait method declared by the crate
(methods listed before a page's "Trait Implementations", so `Debug::fmt` and
the like are not counted). Paths add the `pub use` re-exports that a module
shows in its "Re-exports" section: a name reachable from two places counts
twice there, once in the types.

Usage: cargo doc --no-deps -p azblob && python3 docs/count_public_api.py
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/doc/azblob"
listing = open(os.path.join(root, "all.html")).read()
pages = sorted(set(re.findall(r'href="([^"#]+\.html)"', listing)))
types, functions, methods, reexports = [], [], 0, 0
by_module = {}
for page in pages:
    module = page.split("/")[0] if "/" in page else "(root)"
    entry = by_module.setdefault(module, [0, 0])
    kind = os.path.basename(page).split(".")[0]
    if kind in ("struct", "enum", "trait", "type", "union"):
        types.append(page)
        html = open(os.path.join(root, page)).read()
        cut = min(i for i in (html.find('id="trait-implementations"'), html.find('id="synthetic-implementations"'),
                              html.find('id="blanket-implementations"'), html.find('id="implementors"'), len(html)) if i >= 0)
        found = len(set(re.findall(r'id="(?:ty)?method\.([A-Za-z0-9_]+)"', html[:cut])))
        methods += found
        entry[0] += 1
        entry[1] += found
    elif kind == "fn":
        functions.append(page)
        entry[1] += 1
for dirpath, _, files in os.walk(root):
    if "index.html" in files:
        html = open(os.path.join(dirpath, "index.html")).read()
        reexports += len(re.findall(r'id="reexport\.', html))
print(f"public types: {len(types)}")
print(f"public functions: {len(functions) + methods} ({len(functions)} free, {methods} methods)")
for module, (t, f) in sorted(by_module.items()):
    if t or f:
        print(f"  {module}: {t} types, {f} functions")
print(f"public items in all.html: {len(pages)}; extra paths through re-exports: {reexports}")
