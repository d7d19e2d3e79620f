"""GBNF grammars for llama.cpp, written by us and escaped correctly.

llama-cpp-python's own JSON-schema converter escapes an enum value once where it must escape it
twice: a sentence holding `"` becomes the rule `"\"It was called the \\"first oil shock\\" by
many.\""`, which llama.cpp cannot parse, and the process dies while sampling (SIGSEGV). A backslash
is mis-escaped the same way. So the in-process teacher never hands llama.cpp a grammar from that
converter: it converts the schema here (the subset of JSON schema our replies use), and
`generation.teachers.llama` has llama.cpp's own parser check every grammar before sampling.

Two kinds of grammar:

- `schema_to_gbnf(schema)`: a JSON value that matches `schema` (objects with their properties in
  order, arrays with bounds, strings with length bounds, enums and consts, numbers, booleans, null,
  `$ref` to `$defs`, `anyOf`).
- `question_gbnf(opening, ...)`: one line of plain text that opens with `opening` and ends with "?"
  (the fact-first strategy's question).
"""

from __future__ import annotations

import json
import re
from typing import Any


class GrammarError(ValueError):
    """A schema this converter does not support, or a grammar llama.cpp refused."""


# A JSON string character: anything but `"`, `\` and control characters, or an escape.
_RULES_JSON = {
    "space": r'| " " | "\n" [ \t]{0,20}',
    "char": r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})',
    "string": r'"\"" char* "\"" space',
    "integer": r'("-"? ([0-9] | [1-9] [0-9]{0,15})) space',
    "number": r'("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,16})? space',
    "boolean": r'("true" | "false") space',
    "null": r'"null" space',
}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "[": "\\[", "]": "\\]"}
_NAME = re.compile(r"[^a-zA-Z0-9-]+")


def gbnf_literal(text: str) -> str:
    """`text` as a GBNF string literal: every `"`, `\\` and control character escaped once."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def json_literal(value: Any) -> str:
    """A JSON value, written as JSON, as a GBNF literal: escaped twice over, JSON's then GBNF's."""
    return gbnf_literal(json.dumps(value, ensure_ascii=False))


class _Converter:
    def __init__(self, schema: dict[str, Any]):
        self.root = schema
        self.rules: dict[str, str] = {}
        self.used: set[str] = set()
        self.refs: dict[str, str] = {}

    def rule(self, name: str, body: str) -> str:
        name = _NAME.sub("-", name).strip("-") or "r"
        key, n = name, 1
        # The built-in rules' names (string, char, space, ...) and "root" are taken: a `$defs` entry or a
        # property may be called "string" or "root" and must not redefine them.
        while key in _RULES_JSON or key == "root" or (key in self.rules and self.rules[key] != body):
            n += 1
            key = f"{name}{n}"
        self.rules[key] = body
        return key

    def primitive(self, name: str) -> str:
        self.used.add(name)
        if name == "string":
            self.used.add("char")
        self.used.add("space")
        return name

    def visit(self, schema: Any, name: str) -> str:
        if schema is True or schema == {}:
            raise GrammarError(f"{name}: an unconstrained value is not supported")
        if not isinstance(schema, dict):
            raise GrammarError(f"{name}: a schema must be an object, not {schema!r}")
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        if "const" in schema:
            self.primitive("space")
            return self.rule(name, f"{json_literal(schema['const'])} space")
        if "enum" in schema:
            values = schema["enum"]
            if not values:
                raise GrammarError(f"{name}: an empty enum admits nothing")
            self.primitive("space")
            return self.rule(name, "(" + " | ".join(json_literal(v) for v in values) + ") space")
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.visit(s, f"{name}-{i}") for i, s in enumerate(schema[key])]
                return self.rule(name, " | ".join(options))
        kind = schema.get("type")
        if isinstance(kind, list):
            return self.rule(name, " | ".join(self.visit({**schema, "type": t}, f"{name}-{t}") for t in kind))
        if kind == "object" or (kind is None and "properties" in schema):
            return self.object(schema, name)
        if kind == "array":
            return self.array(schema, name)
        if kind == "string":
            unsupported = {"pattern", "format"} & schema.keys()
            if unsupported:
                raise GrammarError(f"{name}: string {', '.join(sorted(unsupported))} is not supported")
            lo = int(schema.get("minLength", 0))
            hi = schema.get("maxLength")
            self.primitive("string")
            count = f"{{{lo},{int(hi)}}}" if hi is not None else (f"{{{lo},}}" if lo else "*")
            return self.rule(name, f'"\\"" char{count} "\\"" space')
        if kind in ("integer", "number", "boolean", "null"):
            return self.primitive(kind)
        raise GrammarError(f"{name}: schema {json.dumps(schema)[:80]} is not supported")

    def ref(self, ref: str) -> str:
        if ref in self.refs:
            return self.refs[ref]
        if not ref.startswith("#/"):
            raise GrammarError(f"$ref {ref!r}: only local references are supported")
        target: Any = self.root
        for part in ref[2:].split("/"):
            if not isinstance(target, dict) or part not in target:
                raise GrammarError(f"$ref {ref!r} points at nothing")
            target = target[part]
        name = ref.rsplit("/", 1)[-1]
        self.refs[ref] = self.rule(name, "")  # reserve the name: a recursive schema refers to itself
        body_rule = self.visit(target, f"{name}-body")
        self.rules[self.refs[ref]] = body_rule
        return self.refs[ref]

    def object(self, schema: dict[str, Any], name: str) -> str:
        properties: dict[str, Any] = schema.get("properties", {})
        if not properties:
            raise GrammarError(f"{name}: an object with any properties is not supported")
        required = set(schema.get("required", properties))
        if set(properties) - required:
            # Optional properties would need every subset in order; our replies have none.
            raise GrammarError(f"{name}: optional properties ({', '.join(sorted(set(properties) - required))}) are not supported")
        self.primitive("space")
        parts = ['"{" space']
        for i, (key, sub) in enumerate(properties.items()):
            value = self.visit(sub, f"{name}-{key}")
            comma = '"," space ' if i else ""
            parts.append(f"{comma}{json_literal(key)} space \":\" space {value}")
        parts.append('"}" space')
        return self.rule(name, " ".join(parts))

    def array(self, schema: dict[str, Any], name: str) -> str:
        item = self.visit(schema.get("items", {}), f"{name}-item")
        lo = int(schema.get("minItems", 0))
        hi = schema.get("maxItems")
        self.primitive("space")
        if hi is not None and int(hi) == 0:
            return self.rule(name, '"[" space "]" space')
        more_hi = "" if hi is None else str(int(hi) - 1)
        more = f'("," space {item}){{{max(lo - 1, 0)},{more_hi}}}'
        body = f"{item} {more}"
        if lo == 0:
            body = f"({body})?"
        return self.rule(name, f'"[" space {body} "]" space')

    def grammar(self) -> str:
        value = self.visit(self.root, "value")
        lines = [f"root ::= {value}"]
        lines += [f"{k} ::= {v}" for k, v in self.rules.items()]
        lines += [f"{k} ::= {_RULES_JSON[k]}" for k in _RULES_JSON if k in self.used]
        return "\n".join(lines) + "\n"


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """A GBNF grammar for the JSON values `schema` admits. GrammarError for what it does not support."""
    return _Converter(schema).grammar()


def question_gbnf(opening: str, *, min_chars: int = 8, max_chars: int = 150) -> str:
    """One question on one line: `opening`, a space, then at least `min_chars` characters that are
    neither "?" nor a line break, then "?"."""
    body_max = max(min_chars, max_chars - len(opening) - 2)
    return (
        f"root ::= {gbnf_literal(opening + ' ')} body \"?\"\n"
        f"body ::= [^?\\n\\r\\x00-\\x1F]{{{min_chars},{body_max}}}\n"
    )
