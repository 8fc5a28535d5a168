"""pydantic v2 interop (the ``pydantic`` extra: ``pip install 'ormolu[pydantic]'``).

* :func:`pydantic_model` builds a pydantic model from an ormolu model: the same fields,
  types and rules (``max_length``/``min_length``, ``ge``/``gt``/``le``/``lt``,
  ``max_digits``/``decimal_places``, ``choices``, ``validators``, an integer column's
  range, a datetime's timezone rule, nullability and defaults), and, to a given
  ``depth``, nested models for the relationships. It reads ormolu objects
  (``from_attributes``), so it serves as a FastAPI ``response_model``.
* Ormolu models themselves are pydantic types (``Model.__get_pydantic_core_schema__``
  calls :func:`core_schema_for`): ``TypeAdapter(Track)`` validates a dict into a ``Track``
  and dumps one, and a FastAPI endpoint may declare ``-> Track`` or take ``Track`` as its
  body. Only this module imports pydantic, and ``import ormolu`` does not import it.
* ``Model.from_pydantic(obj)`` builds an ormolu object from a pydantic model instance.
* :func:`validation_error_handler` answers an ormolu
  :class:`~ormolu.exceptions.ValidationError` with a 422 response in FastAPI's shape
  (``error.to_dict()``).

Example::

    ArtistOut = pydantic_model(Artist, depth=1)        # Artist with its albums
    ArtistOut.model_validate(artist).model_dump()      # {"id": 1, "name": ..., "albums": [...]}
    TypeAdapter(Artist).validate_python({"name": "AC/DC"})   # an Artist object

Reading a relationship that is not loaded loads it on a sync session (one SELECT per
object: load it with ``selectinload`` first); on an async session the LazyLoadError it
raises reaches pydantic, which reports it as a ``pydantic.ValidationError`` ("Error
extracting attribute: LazyLoadError: ...", naming the loader option to add) — in FastAPI
a 500 with that message in the log.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Optional

try:
    import pydantic
    from pydantic_core import PydanticCustomError, core_schema
except ImportError:  # pragma: no cover - the extra is installed for the tests
    from .exceptions import ConfigurationError

    raise ConfigurationError(
        "ormolu.pydantic needs pydantic 2: pip install 'ormolu[pydantic]'"
    ) from None

from .exceptions import ConfigurationError, ValidationError
from .orm.fields import MISSING
from .schema import types as t

if TYPE_CHECKING:
    from .orm.mapper import FieldSpec
    from .orm.model import Model

__all__ = ["core_schema_for", "pydantic_model", "validation_error_handler"]

_CACHE: dict[tuple[Any, ...], type[pydantic.BaseModel]] = {}


def pydantic_model(
    model: type[Model],
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] = (),
    depth: int = 0,
    name: str | None = None,
) -> type[pydantic.BaseModel]:
    """A pydantic model with ``model``'s fields and rules.

    ``include``: the field and relationship names to keep (default: every field but the
    deferred ones, ``field(deferred=True)``, and the relationships when ``depth`` > 0);
    ``exclude``: names to leave out (``password_hash``).
    ``depth``: how many levels of relationships to nest (0: fields only; 1: each
    relationship as a nested model of its target's fields, a list for a to-many one, ``None``
    allowed for a many-to-one; 2: theirs too, ...). A relationship named in ``include``
    at ``depth`` 0 is nested one level. ``name``: the class name (default: the model's,
    with a suffix for a variant). Models are cached: the same arguments give the same class.

    The result validates like the model: a value the model would refuse is refused with
    a ``pydantic.ValidationError`` (a 422 in FastAPI), and it reads ormolu objects
    (``Out.model_validate(track)``). A database-generated key is optional (``None``).

    Raises ConfigurationError naming the model and name for an unknown name in
    ``include``/``exclude`` or a negative ``depth``.

    Example::

        TrackIn = pydantic_model(Track, exclude={"id"})
        TrackOut = pydantic_model(Track, include={"id", "name", "album"}, depth=1)
    """
    from .orm.registry import configure

    mapper = model.__mapper__
    configure(mapper)
    if depth < 0:
        raise ConfigurationError(f"pydantic_model({model.__name__}): depth must be >= 0")
    fields = set(mapper.column_keys)
    relationships = set(mapper.relationship_decls)
    known = fields | relationships
    for given in (include or (), exclude):
        unknown = sorted(set(given) - known)
        if unknown:
            raise ConfigurationError(
                f"pydantic_model({model.__name__}): {model.__name__} has no field or "
                f"relationship {', '.join(map(repr, unknown))}"
            )
    if include is None:
        # deferred fields (password hashes, large documents) stay out unless included:
        # reading one would load it, or raise LazyLoadError on an async session
        deferred: frozenset[str] = mapper.deferred_keys
        chosen = (fields - deferred) | (relationships if depth > 0 else set())
    else:
        chosen = set(include)
    chosen -= set(exclude)
    key = (model, frozenset(chosen), depth, name)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    definitions: dict[str, Any] = {}
    for k in mapper.column_keys:
        if k in chosen:
            definitions[k] = _field(mapper.fields[k])
    for k in mapper.relationship_decls:
        if k in chosen:
            definitions[k] = _relationship(mapper.relationship(k), max(depth - 1, 0))
    title = name or model.__name__
    if name is None and not (include is None and not exclude and depth == 0):
        # a variant: a name of its own, the same in every run (OpenAPI names schemas by it)
        digest = hashlib.sha1(",".join(sorted(chosen)).encode()).hexdigest()[:8]
        title = f"{model.__name__}_{depth}_{digest}"
    built: type[pydantic.BaseModel] = pydantic.create_model(
        title,
        __config__=pydantic.ConfigDict(from_attributes=True),
        __doc__=f"pydantic model of the ormolu model {model.__name__}.",
        **definitions,
    )
    _CACHE[key] = built
    return built


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    """(annotation, pydantic FieldInfo) for one column field."""
    info, type_ = spec.info, spec.type
    py: Any = type_.python_type
    constraints: dict[str, Any] = {}
    metadata: list[Any] = []
    if isinstance(type_, t.String):
        constraints["max_length"] = type_.length
        constraints["min_length"] = info.min_length
    elif isinstance(type_, t.Numeric):
        constraints["max_digits"] = type_.precision
        constraints["decimal_places"] = type_.scale
        # ormolu takes no NaN or infinity
        constraints["allow_inf_nan"] = False
    elif isinstance(type_, t.Float):
        constraints["allow_inf_nan"] = False
    elif isinstance(type_, t.Json):
        py = dict[str, Any] if type_.python_type is dict else list[Any]
    if py is datetime:
        # the column's own rule: aware values for timezone=True, else naive ones
        py = pydantic.AwareDatetime if getattr(type_, "timezone", False) else pydantic.NaiveDatetime
    for bound in ("ge", "gt", "le", "lt"):
        constraints[bound] = getattr(info, bound)
    if isinstance(type_, t.Integer):
        # the column's range (Integer.coerce), checked but kept out of the JSON schema
        metadata.append(pydantic.AfterValidator(_in_range(type_.size)))
    extra: dict[str, Any] = {}
    if info.choices is not None:
        # checked after the type and the bounds, as the model checks it; shown in the
        # JSON schema as an "enum" where the choices are JSON values
        choices = tuple(info.choices)
        metadata.append(pydantic.AfterValidator(_one_of(choices)))
        shown = [c.value if isinstance(c, enum.Enum) else c for c in choices]
        if all(isinstance(c, str | int | float | bool) for c in shown):
            extra["json_schema_extra"] = {"enum": shown}
    for fn in info.validators:
        metadata.append(pydantic.AfterValidator(_validator(fn)))
    if metadata:
        py = Annotated[(py, *metadata)]
    nullable = spec.nullable or spec.auto
    if nullable:
        py = Optional[py]  # noqa: UP045 (a runtime value: X | None needs a type on the left)
    kw = {k: v for k, v in constraints.items() if v is not None} | extra
    if spec.default_factory is not None:
        return py, pydantic.Field(default_factory=spec.default_factory, **kw)
    if spec.default is not MISSING:
        return py, pydantic.Field(default=spec.default, **kw)
    if nullable:
        return py, pydantic.Field(default=None, **kw)
    return py, pydantic.Field(**kw)


def _in_range(size: int) -> Callable[[int], int]:
    limit = 1 << (size * 8 - 1)

    def in_range(value: int) -> int:
        if not -limit <= value < limit:
            raise ValueError(f"integer out of the {size * 8}-bit range")
        return value

    return in_range


def _one_of(choices: tuple[Any, ...]) -> Callable[[Any], Any]:
    def one_of(value: Any) -> Any:
        if value not in choices:
            raise PydanticCustomError(
                "literal_error", "Input should be one of {expected}", {"expected": repr(choices)}
            )
        return value

    return one_of


def _validator(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A field validator with ormolu's meaning: raising ValueError/TypeError or returning
    False rejects the value; a returned value other than a bool replaces it."""
    name = getattr(fn, "__name__", "validator")

    def run(value: Any) -> Any:
        try:
            result = fn(value)
        except TypeError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if result is False:
            raise ValueError(f"rejected by {name}")
        return value if result is None or result is True else result

    return run


def _relationship(rel: Any, depth: int) -> tuple[Any, Any]:
    nested = pydantic_model(rel.target.cls, depth=depth)
    if rel.uselist:
        return list[nested], pydantic.Field(default_factory=list)  # type: ignore[valid-type]
    return Optional[nested], pydantic.Field(default=None)  # noqa: UP045


# -- ormolu models as pydantic types ----------------------------------------------------------
def core_schema_for(model: type[Model], handler: Any) -> core_schema.CoreSchema:
    """The pydantic core schema of an ormolu model (``Model.__get_pydantic_core_schema__``).

    Validation: an instance of ``model`` passes as it is; a mapping (or, in JSON, an
    object) is checked against :func:`pydantic_model` ``(model)`` and becomes a new
    ``model`` object (:meth:`~ormolu.Model.from_pydantic`). Serialization: the object's
    fields, as that pydantic model dumps them (``Decimal`` as a string in JSON, ...).
    The JSON schema is that model's.
    """
    shape = pydantic_model(model)
    inner = handler.generate_schema(shape)
    from_dict = core_schema.chain_schema(
        [inner, core_schema.no_info_plain_validator_function(model.from_pydantic)]
    )

    def passing_objects(value: Any, handler: Any) -> Any:
        # an object passes as it is; anything else is checked (errors located as the
        # pydantic model's own: ["body", "title"], with no branch of a union in between)
        return value if isinstance(value, model) else handler(value)

    return core_schema.no_info_wrap_validator_function(
        passing_objects,
        from_dict,
        serialization=core_schema.plain_serializer_function_ser_schema(
            shape.model_validate, return_schema=inner
        ),
    )


def from_pydantic(model: type[Model], obj: Any, overrides: dict[str, Any]) -> Any:
    """``Model.from_pydantic``: ``model(**fields of obj, **overrides)``; a nested pydantic
    object (or a list of them) under a relationship becomes an object of its target."""
    if not isinstance(obj, pydantic.BaseModel):
        raise TypeError(
            f"{model.__name__}.from_pydantic() takes a pydantic model instance, got "
            f"{type(obj).__name__}"
        )
    mapper = model.__mapper__
    values: dict[str, Any] = {}
    for key in type(obj).model_fields:
        if key in overrides:
            continue
        value = getattr(obj, key)
        if key in mapper.relationship_decls:
            target = mapper.relationship(key).target.cls
            value = _related(target, value)
        values[key] = value
    values.update(overrides)
    return model(**values)


def _related(target: type[Model], value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return target.from_pydantic(value)
    if isinstance(value, list | tuple):
        return [target.from_pydantic(v) if isinstance(v, pydantic.BaseModel) else v for v in value]
    return value


# -- 422 responses ------------------------------------------------------------------------------
async def validation_error_handler(request: Any, error: Exception) -> Any:
    """A FastAPI/Starlette exception handler answering an ormolu ValidationError with 422
    and ``error.to_dict()`` as its JSON body, the shape FastAPI gives its own validation
    errors (``{"detail": [{"type", "loc", "msg", "input", "ctx"}]}``).

    Install it with ``app.add_exception_handler(ValidationError, validation_error_handler)``.
    """
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse

    assert isinstance(error, ValidationError)
    return JSONResponse(status_code=422, content=jsonable_encoder(error.to_dict()))
