"""Readable messages for JSON Schema errors, shared by the framework loader and the assessment import."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema


def json_path(parts: Iterable[Any]) -> str:
    """``$.capabilities[0].components[2].id`` style path of a place in a document."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_schema_error(error: jsonschema.ValidationError) -> str:
    """One line: where the problem is and what it is, without dumping long values."""
    where = json_path(error.absolute_path)
    value = error.instance
    rule = error.validator_value
    match error.validator:
        case "maxItems":
            message = f"has {len(value)} items, at most {rule} allowed"
        case "minItems":
            message = f"has {len(value)} items, at least {rule} needed"
        case "maxLength":
            message = f"is {len(value)} characters long, at most {rule} allowed"
        case "minLength":
            message = f"is empty or too short (at least {rule} characters)"
        case "pattern":
            message = f"{short_repr(value)} does not match the pattern {rule!r}"
        case "type":
            message = f"{short_repr(value)} is not of type {rule!r}"
        case "enum":
            message = f"{short_repr(value)} is not one of {', '.join(map(repr, rule))}"
        case "const":
            message = f"{short_repr(value)} should be {rule!r}"
        case "oneOf" | "anyOf":
            message = f"{short_repr(value)} is not valid here"
        case _:
            message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{where}: {message}"


def schema_problems(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    """Every schema problem of ``document`` as readable lines, in document order."""
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe_schema_error(e) for e in errors]
