"""Typed request fields: one definition validates JSON bodies and describes them in OpenAPI.

Validation is strict about JSON types (a quota is a JSON integer, a flag a JSON boolean), so
what the OpenAPI document promises and what the endpoints accept are the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...addresses import is_address

REQUIRED = "This field is required."
NULL = "This field may not be null."
UNKNOWN = "Unknown field."
# Free-text fields without a column limit still get one: no megabyte-long names.
MAX_STRING = 1000
_NO_CONTROL = r"^[^\u0000-\u001f]*$"
_NOT_BLANK = r"^[^\u0000-\u001f]*\S[^\u0000-\u001f]*$"


class ValidationError(Exception):
    """Per-field messages: {"name": ["..."], "mailbox": {"quota": ["..."]}}."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class FieldError(Exception):
    """One field's messages (a list, or a dict for nested objects)."""

    def __init__(self, messages):
        super().__init__(messages)
        self.messages = messages if isinstance(messages, list | dict) else [messages]


@dataclass
class Field:
    """Base field: required on create, nullable or not, read-only or writable."""

    required: bool = False
    nullable: bool = False
    read_only: bool = False
    write_only: bool = False  # accepted, never shown (passwords)
    output_optional: bool = False  # not in every response (master_user)
    description: str = ""
    example: object = None

    def load(self, value):
        """Return the clean value, or raise FieldError."""
        return value

    def schema(self) -> dict:
        """The JSON schema of this field (without nullability)."""
        return {}

    def openapi(self) -> dict:
        """The JSON schema including nullability, description and example."""
        spec = self.schema()
        if self.nullable:
            # OpenAPI 3.1 style, which schemathesis and swagger-ui both understand.
            spec = dict(spec, type=[spec["type"], "null"]) if "type" in spec else spec
        if self.description:
            spec["description"] = self.description
        if self.example is not None:
            spec["example"] = self.example
        if self.read_only:
            spec["readOnly"] = True
        return spec


@dataclass
class Integer(Field):
    """A JSON integer (booleans refused), with an optional minimum."""

    min_value: int | None = None
    max_value: int | None = 2**31 - 1

    def load(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError("A valid integer is required.")
        if self.min_value is not None and value < self.min_value:
            raise FieldError(f"Ensure this value is greater than or equal to {self.min_value}.")
        if self.max_value is not None and value > self.max_value:
            raise FieldError(f"Ensure this value is less than or equal to {self.max_value}.")
        return value

    def schema(self):
        spec = {"type": "integer"}
        if self.min_value is not None:
            spec["minimum"] = self.min_value
        if self.max_value is not None:
            spec["maximum"] = self.max_value
        return spec


@dataclass
class Boolean(Field):
    """A JSON boolean."""

    def load(self, value):
        if not isinstance(value, bool):
            raise FieldError(f'"{_short(value)}" is not a valid boolean.')
        return value

    def schema(self):
        return {"type": "boolean"}


@dataclass
class String(Field):
    """A JSON string: length-checked, blank allowed or not, NUL and control chars refused."""

    max_length: int = MAX_STRING
    allow_blank: bool = True

    def load(self, value):
        if not isinstance(value, str):
            raise FieldError("Not a valid string.")
        if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise FieldError("Control characters are not allowed.")
        if not self.allow_blank and not value.strip():
            raise FieldError("This field may not be blank.")
        if len(value) > self.max_length:
            raise FieldError(f"Ensure this field has no more than {self.max_length} characters.")
        return value

    def schema(self):
        # Control characters are refused: the pattern says so, so generated clients agree.
        spec = {"type": "string", "maxLength": self.max_length}
        spec["pattern"] = _NO_CONTROL if self.allow_blank else _NOT_BLANK
        if not self.allow_blank:
            spec["minLength"] = 1
        return spec


@dataclass
class Choice(String):
    """One of a fixed list of strings."""

    choices: tuple = ()

    def load(self, value):
        if not isinstance(value, str) or value not in self.choices:
            raise FieldError(f'"{_short(value)}" is not a valid choice.')
        return value

    def schema(self):
        return {"type": "string", "enum": list(self.choices)}


@dataclass
class Email(String):
    """An e-mail address (`modoboa_flask.addresses` rules); `allow_empty_local` accepts `@domain`.

    `strict` applies the dot-atom local-part rule of addresses we create (mailboxes, aliases);
    without it, the external-recipient rule.
    """

    max_length: int = 254
    allow_blank: bool = False
    allow_empty_local: bool = False
    strict: bool = False

    def load(self, value):
        value = String.load(self, value)
        if not is_address(value, strict=self.strict, catchall=self.allow_empty_local):
            raise FieldError("Enter a valid email address.")
        return value.strip()

    def schema(self):
        # No "format: email": we accept UTF-8 local parts that strict validators reject.
        local = "*" if self.allow_empty_local else "+"
        return {
            "type": "string",
            "maxLength": self.max_length,
            "pattern": rf"^[^@\s\u0000-\u001f/\\]{local}@[^@\s\u0000-\u001f]+$",
        }


@dataclass
class List(Field):
    """A JSON array of *child* values."""

    child: Field = field(default_factory=String)
    allow_empty: bool = True
    max_items: int = 1000

    def load(self, value):
        if not isinstance(value, list):
            raise FieldError(f'Expected a list of items but got type "{_json_type(value)}".')
        if not value and not self.allow_empty:
            raise FieldError("This list may not be empty.")
        if len(value) > self.max_items:
            raise FieldError(f"Ensure this list has no more than {self.max_items} items.")
        clean = []
        for item in value:
            if item is None:
                raise FieldError(NULL)
            clean.append(self.child.load(item))
        return clean

    def schema(self):
        spec = {"type": "array", "items": self.child.openapi(), "maxItems": self.max_items}
        if not self.allow_empty:
            spec["minItems"] = 1
        return spec


@dataclass
class Nested(Field):
    """A JSON object validated by another Schema."""

    schema_obj: Schema | None = None

    def load(self, value):
        try:
            return self.schema_obj.load(value)
        except ValidationError as exc:
            raise FieldError(exc.errors) from None

    def schema(self):
        return {"$ref": f"#/components/schemas/{self.schema_obj.name}"}

    def openapi(self):
        if self.nullable:
            return {"oneOf": [self.schema(), {"type": "null"}]}
        return self.schema()


class Schema:
    """A named set of fields; load() validates a JSON object, openapi() describes it."""

    def __init__(self, name: str, fields: dict[str, Field], required_on_update=None):
        self.name = name
        self.fields = fields
        # PUT requires what POST requires, unless a resource says otherwise (account password).
        self.required_on_update = required_on_update

    def load(self, data, *, update: bool = False, ignore=()) -> dict:
        """Validate *data*; unknown keys are errors, read-only keys are ignored."""
        if not isinstance(data, dict):
            raise ValidationError(
                {
                    "non_field_errors": [
                        f"Invalid data. Expected a dictionary, but got {_json_type(data)}."
                    ]
                }
            )
        errors, clean = {}, {}
        for key in data:
            if key not in self.fields and key not in ignore:
                errors[key] = [UNKNOWN]
        for name, spec in self.fields.items():
            if spec.read_only:
                continue
            if name not in data:
                if self._required(name, spec, update):
                    errors[name] = [REQUIRED]
                continue
            value = data[name]
            if value is None:
                if spec.nullable:
                    clean[name] = None
                else:
                    errors[name] = [NULL]
                continue
            try:
                clean[name] = spec.load(value)
            except FieldError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return clean

    def _required(self, name, spec, update):
        if update and self.required_on_update is not None:
            return name in self.required_on_update
        return spec.required

    def openapi(self, *, request: bool = False, update: bool = False) -> dict:
        """The object schema: the read representation, or a request body (POST or PUT)."""
        props, required = {}, []
        for name, spec in self.fields.items():
            if not request and spec.write_only:
                continue
            props[name] = spec.openapi()
            if request and not spec.read_only and self._required(name, spec, update):
                required.append(name)
            if not request and not spec.output_optional:
                required.append(name)
        out = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        return out


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    return {dict: "dict", list: "list", str: "str", int: "int", float: "float"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
