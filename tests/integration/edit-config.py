#!/usr/bin/env python3
"""edit-config.py FILE path=JSON [path=JSON ...] [-path ...]

Sets (or with a leading '-', deletes) fields of a JSON file by dotted path; list indices are
numbers ("linux.namespaces.0.type"). Values are JSON; a value that is not valid JSON is taken
as a string. "path+=JSON" appends to a list."""
import json
import sys


def walk(doc, parts, create=True):
    for part in parts:
        key = int(part) if isinstance(doc, list) else part
        if isinstance(doc, dict) and key not in doc:
            if not create:
                return None
            doc[key] = {}
        doc = doc[key]
    return doc


def value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main():
    path = sys.argv[1]
    with open(path) as f:
        doc = json.load(f)
    for arg in sys.argv[2:]:
        if arg.startswith("-"):
            parts = arg[1:].split(".")
            parent = walk(doc, parts[:-1], create=False)
            if isinstance(parent, dict):
                parent.pop(parts[-1], None)
            elif isinstance(parent, list):
                del parent[int(parts[-1])]
            continue
        append = "+=" in arg.split("=", 1)[0] + "="
        key, _, raw = arg.partition("+=" if append and "+=" in arg else "=")
        parts = key.split(".")
        parent = walk(doc, parts[:-1])
        last = int(parts[-1]) if isinstance(parent, list) else parts[-1]
        if append:
            parent.setdefault(last, []).append(value(raw))
        else:
            parent[last] = value(raw)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


if __name__ == "__main__":
    main()
