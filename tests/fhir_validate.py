#!/usr/bin/env python3
"""Validates FHIR R4 JSON resources with the independent `fhir.resources`
models (6.1.0, the last release with R4 4.0.1 models; needs pydantic < 2).

Input on stdin: a JSON array of resources, or one resource per line.

Each resource is checked twice:

1. against the R4 model of its `resourceType`, with
   `fhir.resources.construct_fhir_element` (element names, types,
   cardinalities, required elements, primitive formats such as dates and
   ids, nested resources in Bundles; not value-set bindings);
2. against the JSON rules of FHIR (http://hl7.org/fhir/R4/json.html) that
   the models do not check: no `null`, no empty arrays, objects or strings.

Prints one line per failure and a last line `validated N` (N: resources
read), and exits 1 if any resource failed, 2 if the input could not be
read, 0 otherwise. A caller should compare N with the number it sent.
"""

import json
import sys


def read_input(text):
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("expected a JSON array")
        return data
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def json_rule_errors(value, path):
    """FHIR JSON rules the pydantic models let through."""
    errors = []
    if value is None:
        errors.append(f"{path}: null is not allowed in FHIR JSON")
    elif isinstance(value, str):
        if value == "":
            errors.append(f"{path}: empty strings are not allowed in FHIR JSON")
    elif isinstance(value, list):
        if not value:
            errors.append(f"{path}: empty arrays are not allowed in FHIR JSON")
        for i, item in enumerate(value):
            errors.extend(json_rule_errors(item, f"{path}[{i}]"))
    elif isinstance(value, dict):
        if not value:
            errors.append(f"{path}: empty objects are not allowed in FHIR JSON")
        for key, item in value.items():
            errors.extend(json_rule_errors(item, f"{path}.{key}"))
    return errors


def label(i, resource):
    if isinstance(resource, dict):
        rt = resource.get("resourceType", "?")
        rid = resource.get("id")
        kind = resource.get("type") if rt == "Bundle" else None
        name = rt + (f"/{rid}" if rid else "") + (f" ({kind})" if kind else "")
        return f"#{i} {name}"
    return f"#{i}"


def main():
    try:
        from fhir.resources import construct_fhir_element
    except ImportError as e:  # pragma: no cover - environment problem
        print(f"fhir.resources is not installed ({e}): run ./scripts/test.sh", file=sys.stderr)
        return 2
    try:
        resources = read_input(sys.stdin.read())
    except ValueError as e:
        print(f"input is not JSON: {e}", file=sys.stderr)
        return 2

    failed = 0
    for i, resource in enumerate(resources):
        problems = []
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            problems.append("not a JSON object with a resourceType")
        else:
            try:
                construct_fhir_element(resource["resourceType"], resource)
            except Exception as e:  # pydantic.ValidationError, LookupError, ...
                problems.append(f"{type(e).__name__}: {e}")
            problems.extend(json_rule_errors(resource, resource["resourceType"]))
        if problems:
            failed += 1
            print(f"FAIL {label(i, resource)}")
            for p in problems:
                for line in str(p).splitlines():
                    print(f"    {line}")
    print(f"validated {len(resources)}")
    if failed:
        print(f"{failed} of {len(resources)} resources are not valid FHIR R4")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
