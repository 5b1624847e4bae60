"""What the REST API's schemas share (docs/api.md).

A request is loaded with a schema: its shape (types, required fields, lengths, ranges,
choices) is the schema's, its rules the service's. The fields here answer in the caller's
language, as the services do (marshmallow's own messages are English), and `field_errors`
names where each problem is the way the services name a field: `lines[1].product_code`
(lists counted from 1, as an order numbers its lines), `lines.12` (a key of an object).
Responses are dumped with plain marshmallow schemas; `Money` writes amounts as the
invoices do.
"""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    pre_load,
    validate,
)
from marshmallow.utils import get_value

from app.services.platform.errors import DomainError
from app.services.platform.money import round_money

REQUIRED = _l("required")
NUL = _l("the NUL character is not allowed")
NOT_AN_OBJECT = _l("an object is expected")


class _Translated:
    """A field whose missing or null value is refused as the services say it."""

    default_error_messages = {"required": REQUIRED, "null": REQUIRED}

    def make_error(self, key: str, **kwargs) -> ValidationError:
        # marshmallow formats and lists only plain text: a lazy message is made text here,
        # in the language of the request
        return ValidationError(str(self.error_messages[key]))


class Text(_Translated, fields.String):
    """Text a database can store: no NUL (PostgreSQL refuses it) and no lone surrogate
    (JSON may carry one, no database encodes it)."""

    default_error_messages = {"invalid": _l("text is expected"), "nul": NUL}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("nul")
        try:
            text.encode()
        except UnicodeEncodeError:
            raise self.make_error("invalid") from None
        return text


class Whole(_Translated, fields.Integer):
    """A whole number from `least` to `most`: a JSON number in a body; in an address's
    arguments (`strict=False`) the text of one."""

    def __init__(self, least: int, most: int, *, strict: bool = True, **kwargs):
        message = _l("a whole number from %(least)s to %(most)s", least=least, most=most)
        super().__init__(
            strict=strict,
            validate=validate.Range(least, most, error=message),
            error_messages={"invalid": message, "too_large": message},
            **kwargs,
        )


class Amount(_Translated, fields.Field):
    """An exact amount, given as text ("12.50") or as a JSON number, loaded as a Decimal;
    the decimals the currency allows and the upper limits are the services' rules."""

    default_error_messages = {"invalid": _l("an amount is expected")}

    def __init__(self, **kwargs):
        metadata = {"type": "string", "format": "decimal", "example": "12.50"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not amount.is_finite():
            raise self.make_error("invalid")
        return amount


class Flag(_Translated, fields.Boolean):
    """true or false, as JSON has them (not 1, "yes" or "on")."""

    default_error_messages = {"invalid": _l("true or false")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Day(_Translated, fields.Date):
    """A date as YYYY-MM-DD."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError(
                str(_l("%(value)s is not a date (YYYY-MM-DD)", value=repr(value)))
            ) from None


class ListOf(_Translated, fields.List):
    """A list; `message` says what a value that is not one should have been."""

    def __init__(self, inner, message, **kwargs):
        messages = {"invalid": message, **kwargs.pop("error_messages", {})}
        super().__init__(inner, error_messages=messages, **kwargs)


class Object(_Translated, fields.Nested):
    """An object inside a body, loaded with its own schema."""


class Pairs(_Translated, fields.Dict):
    """An object of keys to values; `message` says what a value that is not one should
    have been."""

    def __init__(self, message, **kwargs):
        messages = {"invalid": message, **kwargs.pop("error_messages", {})}
        super().__init__(error_messages=messages, **kwargs)


class OneOf(validate.OneOf):
    """One of the choices, refused in the words of the services' own check."""

    def __init__(self, choices):
        super().__init__([str(choice) for choice in choices])

    def _format_error(self, value) -> str:
        return str(
            _l("%(value)s is not one of %(choices)s", value=repr(value), choices=self.choices_text)
        )


def at_most(limit: int, message=None) -> validate.Length:
    """Text of at most `limit` characters (or, with its `message`, a list of at most
    `limit` items)."""
    return validate.Length(
        max=limit, error=message or _l("longer than %(limit)s characters", limit=limit)
    )


def column_length(model, column: str) -> int:
    return model.__table__.c[column].type.length


class Checked(validate.Validator):
    """A check of app/services/platform/validation.py (one that raises DomainError) as a
    schema's validator: a format the document names (an email address) is checked once,
    the same way everywhere."""

    def __init__(self, check):
        self.check = check

    def __call__(self, value):
        try:
            self.check(value)
        except DomainError as exc:
            raise ValidationError(exc.reason) from None
        return value


class Body(Schema):
    """A request body, or a part of one: a field it does not have is refused."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": _l("unknown field"), "type": NOT_AN_OBJECT}
    # a body that is a bare JSON list is read as this field (usage batches)
    list_field: str | None = None


PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 50, 100, 999_999_999


class PageArgs(Body):
    """The page (from 0) and its size of a list call; a larger size gives MAX_PAGE_SIZE."""

    page = Whole(0, MAX_PAGE, strict=False, load_default=0)
    page_size = Whole(
        1,
        MAX_PAGE,
        strict=False,
        load_default=PAGE_SIZE,
        metadata={"description": f"At most {MAX_PAGE_SIZE} are given"},
    )

    @pre_load
    def _blank_is_any(self, data, **kwargs):
        # `?status=&account=` is how a form asks for any status and any account
        return {name: value for name, value in data.items() if value != ""}

    @post_load
    def _bounded(self, data, **kwargs):
        data["page_size"] = min(data["page_size"], MAX_PAGE_SIZE)
        return data


def field_errors(errors, node, path: str = ""):
    """(where, reason) pairs of marshmallow's tree of errors found under `node` (a schema
    or one of its fields)."""
    if isinstance(errors, list):
        for reason in errors:
            yield path or "_schema", str(reason)
        return
    if isinstance(node, fields.Nested):
        yield from field_errors(errors, node.schema, path)
        return
    for key, found in errors.items():
        if key == "_schema":
            yield from field_errors(found, node, path)
        elif isinstance(node, fields.List):
            yield from field_errors(found, node.inner, f"{path}[{key + 1}]")
        elif isinstance(node, fields.Dict):
            # a key's own errors are under "key", its value's under "value"
            for part, reasons in found.items():
                inner = node.key_field if part == "key" else node.value_field
                yield from field_errors(reasons, inner, f"{path}.{key}")
        else:
            named = {field.data_key or name: field for name, field in node.fields.items()}
            yield from field_errors(found, named.get(key), f"{path}.{key}" if path else key)


class Money(fields.String):
    """An amount as exact text in its currency's minor unit ("15.27", "2359" won), as
    invoices and exports write it; `currency` is where the record keeps its currency."""

    def __init__(self, currency: str = "currency", **kwargs):
        super().__init__(metadata={"format": "decimal", "example": "15.27"}, **kwargs)
        self.currency = currency

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(round_money(Decimal(value), get_value(obj, self.currency)))


class StatusChange(Schema):
    """One step of a record's history: from which status to which, why, by whom."""

    at = fields.DateTime()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String(allow_none=True)
    username = fields.String()

    @post_dump
    def _first_step(self, data: dict, **kwargs) -> dict:
        # a record's first step comes from no status (stored as "")
        data["from_status"] = data["from_status"] or None
        return data
