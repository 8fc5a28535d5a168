"""How a foreign key's model name is resolved when several modules define a model of
that name: the referencing module's own wins; otherwise an ambiguous name is refused
(ConfigurationError naming the candidates), never resolved to whichever came last; a
dotted path picks one."""

from __future__ import annotations

import sys
import types
import uuid
from collections.abc import Callable, Iterator

import pytest

from ormolu import ConfigurationError, Database

STAFF = """
from ormolu import Mapped, Model, field

class Staff(Model, table="{staff}"):
    id: Mapped[int] = field(primary_key=True)
"""

LOCAL_STAFF = """
from ormolu import Mapped, Model, field

def make():  # (a class defined in a function: not a module attribute)
    class Staff(Model, table="{staff}"):
        id: Mapped[int] = field(primary_key=True)
    return Staff

made = make()
"""

SHIFT = """
from ormolu import Mapped, Model, field

class Shift(Model, table="{shift}"):
    id: Mapped[int] = field(primary_key=True)
    staff_id: Mapped[int] = field(foreign_key="{target}")
"""


Define = Callable[..., types.ModuleType]


@pytest.fixture
def module() -> Iterator[Define]:
    made: list[str] = []

    def define(code: str, **names: str) -> types.ModuleType:
        name = f"names_{uuid.uuid4().hex[:8]}"
        mod = types.ModuleType(name)
        sys.modules[name] = mod
        made.append(name)
        exec(code.format(**names), mod.__dict__)  # (models of distinct modules)
        return mod

    yield define
    for name in made:
        del sys.modules[name]


def referenced_table(shift_model: type) -> str:
    fk = shift_model.__mapper__.fields["staff_id"].column.foreign_key  # type: ignore[attr-defined]
    return str(fk.column.table.name)


def test_an_ambiguous_name_is_refused_naming_the_candidates(module: Define) -> None:
    a = module(STAFF, staff="names_staff_a")
    b = module(STAFF, staff="names_staff_b")
    c = module(SHIFT, shift="names_shift_c", target="Staff.id")
    with pytest.raises(ConfigurationError) as info:
        Database("sqlite://").create_all([c.Shift])
    message = str(info.value)
    assert "'Staff' is ambiguous" in message
    assert f"{a.__name__}.Staff" in message and f"{b.__name__}.Staff" in message
    assert "Shift" in message  # the referencing model


def test_a_dotted_path_picks_one(module: Define) -> None:
    a = module(STAFF, staff="names_staff_a2")
    module(STAFF, staff="names_staff_b2")
    c = module(SHIFT, shift="names_shift_c2", target=f"{a.__name__}.Staff.id")
    db = Database("sqlite://")
    db.create_all([a.Staff, c.Shift])
    assert referenced_table(c.Shift) == "names_staff_a2"


def test_the_referencing_modules_own_model_wins(module: Define) -> None:
    """Its own model of the name, even one defined inside a function, wins over models
    of the same name in other modules, defined before or after it."""
    module(STAFF, staff="names_staff_before")
    here = module(
        LOCAL_STAFF + SHIFT, staff="names_staff_here", shift="names_shift_here", target="Staff.id"
    )
    module(STAFF, staff="names_staff_after")
    Database("sqlite://").create_all([here.made, here.Shift])
    assert referenced_table(here.Shift) == "names_staff_here"


def test_a_name_defined_in_one_other_module_is_found(module: Define) -> None:
    # (a name of its own: the registry keeps the other tests' Staff models)
    a = module(STAFF.replace("Staff", "LoneStaff"), staff="names_staff_one")
    c = module(SHIFT, shift="names_shift_one", target="LoneStaff.id")
    Database("sqlite://").create_all([a.LoneStaff, c.Shift])
    assert referenced_table(c.Shift) == "names_staff_one"
