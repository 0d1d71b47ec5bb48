"""The one way a view runs a write: `run(use_case, *args, form=...)`.

It calls the use case with the request's session (`use_case(session, *args)`), commits once (with
`retry=True`, surveys/db.py's retry of a transaction the database aborted for a reason of the moment:
only for a use case that can run twice, e.g. not one reading a request's stream), and on a Problem
rolls back. A 422 on a page (`form` given, not an API request) goes onto the form's fields
(an error of no field of the form, or a 422 without field errors, onto the form's own errors) and
the view renders the form again; anything else (403, 404, 409, a 422 of the API) is re-raised for
the one error handler (surveys/views/errors.py), so a 403 stays a 403 on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from flask_babel import get_locale
from flask_wtf import FlaskForm

from surveys.db import RETRY_ATTEMPTS, get_session, run_in_transaction
from surveys.errors import Problem
from surveys.views.errors import wants_json

T = TypeVar("T")
INVALID = 422


@dataclass
class Outcome(Generic[T]):
    """What a write run for a page gave: its result, or the 422 now shown on the form."""

    value: T | None = None
    problem: Problem | None = None
    details: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def problem_to_form(form: FlaskForm, problem: Problem, *, skip: Collection[str] = (),
                    name_unplaced: bool = False) -> None:
    """Put a 422's messages, in the page's language, on the form's fields; those of no field (or of
    a field in `skip`) on the form's own errors, as `field: message` when `name_unplaced`."""
    locale = str(get_locale())
    general = list(form.form_errors)
    for name, text in problem.errors.items():
        message = text.get(locale)
        target = form._fields.get(name) if name != "csrf_token" and name not in skip else None
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            general.append(f"{name}: {message}" if name_unplaced else message)
    if not problem.errors:
        general.append(problem.message.get(locale))
    form.form_errors = general


@overload
def run(use_case: Callable[..., T], *args: Any, form: None = None, retry: bool = False,
        **kwargs: Any) -> T: ...


@overload
def run(use_case: Callable[..., T], *args: Any, form: FlaskForm, retry: bool = False,
        skip: Collection[str] = (), name_unplaced: bool = False, **kwargs: Any) -> Outcome[T]: ...


def run(use_case: Callable[..., T], *args: Any, form: FlaskForm | None = None, retry: bool = False,
        skip: Collection[str] = (), name_unplaced: bool = False,
        **kwargs: Any) -> T | Outcome[T]:
    """Run `use_case(session, *args, **kwargs)` and commit once. Without a form, return its result
    (every Problem propagates); with a form, an Outcome (a 422 shown on the form, not raised)."""
    session = get_session()
    try:
        value = run_in_transaction(session, lambda: use_case(session, *args, **kwargs),
                                   attempts=RETRY_ATTEMPTS if retry else 1)
    except Problem as problem:
        session.rollback()
        if form is None or problem.status != INVALID or wants_json():
            raise
        problem_to_form(form, problem, skip=skip, name_unplaced=name_unplaced)
        return Outcome(problem=problem, details=_details(problem))
    if form is None:
        return value
    return Outcome(value=value)


def _details(problem: Problem) -> list[dict[str, Any]]:
    locale = str(get_locale())
    details = problem.to_json(locale).get("details")
    return details if isinstance(details, list) else []
