#!/usr/bin/python3
"""
NAME
    validate-json.py - check smtp-audit JSON reports against the JSON Schema

SYNOPSIS
    validate-json.py SCHEMA FILE...

DESCRIPTION
    Validates each FILE against SCHEMA (draft 2020-12 or draft-07, chosen
    by the schema's "$schema") with the jsonschema module (Debian:
    python3-jsonschema). Prints one line per problem, "FILE: PATH: MESSAGE"
    where PATH is the JSON pointer of the offending value, and nothing when
    every file is valid.

DIAGNOSTICS
    Exit status 0 when every file is valid, 1 otherwise (invalid document,
    unreadable or malformed file, invalid schema, wrong usage).
"""

import json
import sys

import jsonschema


def json_pointer(path):
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validate_file(validator, path):
    """Returns the problem lines for one file."""
    try:
        document = load(path)
    except (OSError, ValueError) as e:
        return [f"{path}: cannot read: {e}"]
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{path}: {json_pointer(e.absolute_path)}: {e.message}" for e in errors]


def main(argv):
    if len(argv) < 3:
        print(f"usage: {argv[0]} SCHEMA FILE...", file=sys.stderr)
        return 1
    try:
        schema = load(argv[1])
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"{argv[1]}: invalid schema: {e}")
        return 1
    validator = cls(schema)
    problems = []
    for path in argv[2:]:
        problems.extend(validate_file(validator, path))
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
