#!/usr/bin/env python3
"""edit-config.py FILE EDIT...

Edits a JSON file (an OCI config.json) in place. Each EDIT is one of:
  path=JSON      set a field; a value that is not valid JSON is taken as a string
  path+=JSON     append to a list (created when missing)
  -path          delete a field or list element
  @PYTHON        run a Python statement with the document bound to `c`, e.g.
                 '@c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys"]'
Paths are dotted; list indices are numbers ("linux.namespaces.0.type"); missing objects on the
way are created."""
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


def parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def delete(doc, path):
    parts = path.split(".")
    parent = walk(doc, parts[:-1], create=False)
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)
    elif isinstance(parent, list):
        del parent[int(parts[-1])]


def assign(doc, edit):
    key, sep, raw = edit.partition("=")
    if not sep:
        sys.exit(f"edit-config.py: {edit!r}: expected path=JSON, path+=JSON, -path or @python")
    append = key.endswith("+")
    parts = key.rstrip("+").split(".")
    parent = walk(doc, parts[:-1])
    last = int(parts[-1]) if isinstance(parent, list) else parts[-1]
    if append:
        parent.setdefault(last, []).append(parse_value(raw))
    else:
        parent[last] = parse_value(raw)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    with open(path) as f:
        doc = json.load(f)
    for edit in sys.argv[2:]:
        if edit.startswith("@"):
            exec(edit[1:], {"c": doc, "json": json})
        elif edit.startswith("-"):
            delete(doc, edit[1:])
        else:
            assign(doc, edit)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


if __name__ == "__main__":
    main()
