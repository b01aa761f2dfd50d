#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a man page must mention, one item a line, for tests/man/test_man.sh.

  man_items.py keys FILE.c...     the key names of the config parsers' key tables:
                                  { "name", true|false } (spg_yaml_key), and the inventory's
                                  FLD("name", ...), { "name", INVF_... } and
                                  { "sections", "kind", { ... } rows
  man_items.py paths FILE.yaml... every mapping key of example configs as its dotted path
                                  (dataplane.lcores.main); inside lists, the bare key names
                                  (a list of mappings has no path of its own per item)
"""
import re
import sys

import yaml

KEY_PATTERNS = [
    re.compile(r'\{\s*"([a-z_]+)"\s*,\s*(?:true|false)\s*\}'),
    re.compile(r'\bFLD\(\s*"([a-z_]+)"'),
    re.compile(r'\{\s*"([a-z_]+)"\s*,\s*INVF_'),
    re.compile(r'\{\s*"([a-z_]+)"\s*,\s*"([a-z_]+)"\s*,\s*\{'),
]


def table_keys(paths):
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for pattern in KEY_PATTERNS:
            for m in pattern.finditer(text):
                names.update(m.groups())
    return names


def walk(node, prefix, in_list, out):
    if isinstance(node, dict):
        for key, value in node.items():
            key = str(key)
            if in_list:
                out.add(key)
                walk(value, "", True, out)
            else:
                path = prefix + "." + key if prefix else key
                out.add(path)
                walk(value, path, False, out)
    elif isinstance(node, list):
        for item in node:
            walk(item, "", True, out)


def example_paths(paths):
    out = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            walk(yaml.safe_load(f), "", False, out)
    return out


def main(argv):
    if len(argv) < 3 or argv[1] not in ("keys", "paths"):
        sys.stderr.write(__doc__)
        return 2
    items = table_keys(argv[2:]) if argv[1] == "keys" else example_paths(argv[2:])
    for item in sorted(items):
        print(item)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
