"""One error catalogue: every error class has a code from ``csqa.errors.CODES``, and every ``raise`` in the
library raises a csqa error (pydantic validators excepted: pydantic turns their ValueError into a validation
error, which csqa reports as an InputError or RuleFileError)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import csqa
from csqa.errors import CODES, CsqaError

SRC = Path(csqa.__file__).resolve().parent
ALLOWED = {"SystemExit", "ArgumentTypeError", "ImportError"}  # the CLI's exits, argparse's types, missing extras
VALIDATORS = {"field_validator", "model_validator"}
VALIDATOR_HELPERS = {"_unicode", "_alias"}  # csqa.input.model: run by pydantic validators (AfterValidator, a field_validator)


def _error_classes() -> set[type[CsqaError]]:
    for module in pkgutil.walk_packages([str(SRC)], prefix="csqa."):
        if module.name.split(".")[-1] in ("spark", "dask", "lake"):
            continue  # optional extras; their errors are the frames' (imported below)
        importlib.import_module(module.name)
    importlib.import_module("csqa.scale.frames")
    found: set[type[CsqaError]] = set()
    todo: list[type[CsqaError]] = [CsqaError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return found


def test_every_error_class_has_a_catalogued_code() -> None:
    for cls in _error_classes():
        assert cls.code in CODES, f"{cls.__module__}.{cls.__name__} has code {cls.code}, not in csqa.errors.CODES"


def test_every_raise_in_the_library_raises_a_csqa_error() -> None:
    names = {cls.__name__ for cls in _error_classes()} | ALLOWED
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        validators: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and (node.name in VALIDATOR_HELPERS or any(
                isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) in VALIDATORS
                for d in node.decorator_list
            )):
                validators |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or node.exc is None or id(node) in validators:
                continue
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            if name and name[0].isupper() and name not in names:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} raises {name}")
    assert offenders == []


def test_the_catalogue_is_documented_in_the_readme(root: Path) -> None:
    readme = (root / "README.md").read_text(encoding="utf-8")
    missing = [code for code in CODES if f"`{code}`" not in readme]
    assert missing == [], f"error codes not in the README: {missing}"
