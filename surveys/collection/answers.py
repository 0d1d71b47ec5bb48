"""Check a submission's answers against its definition: types, relevance, required, constraints.

The same rules run in the browser (static/js/form.js) for a good experience; this is the authority.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from surveys.definitions import Question, SurveyDefinition
from surveys.errors import Text
from surveys.parsing import parse_int

MAX_SAFE_INTEGER = 2**53 - 1  # what a phone's JavaScript holds exactly

MAX_TEXT_LENGTH = 2000

Coerced = tuple[Any, Text | None]


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _integer(q: Question, value: Any) -> Coerced:
    if isinstance(value, bool):
        return None, Text("Phải là một số nguyên.", "Must be a whole number.")
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        value = int(value)
    if isinstance(value, int | str):
        number = parse_int(value, minimum=-MAX_SAFE_INTEGER, maximum=MAX_SAFE_INTEGER)
        if number is not None:
            return number, None
    return None, Text("Phải là một số nguyên.", "Must be a whole number.")


def _decimal(q: Question, value: Any) -> Coerced:
    if isinstance(value, bool):
        return None, Text("Phải là một số.", "Must be a number.")
    if isinstance(value, str):
        # Vietnamese writes decimals with a comma; a phone keyboard may too.
        value = value.strip().replace(",", ".")
        try:
            value = float(value)
        except ValueError:
            return None, Text("Phải là một số.", "Must be a number.")
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value), None
    return None, Text("Phải là một số hữu hạn.", "Must be a finite number.")


def _select_one(q: Question, value: Any) -> Coerced:
    if isinstance(value, str) and value in q.choice_names:
        return value, None
    return None, Text("Lựa chọn không hợp lệ: {value}. Chọn một trong: {choices}.",
                      "Not a valid choice: {value}. Choose one of: {choices}.").format(
        value=repr(value), choices=", ".join(c.name for c in q.choices))


def _select_multiple(q: Question, value: Any) -> Coerced:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, Text("Phải là một danh sách (mảng JSON) tên lựa chọn.",
                          "Must be a JSON array of choice names.")
    unknown = [v for v in value if v not in q.choice_names]
    if unknown:
        return None, Text("Lựa chọn không hợp lệ: {bad}. Chọn trong: {choices}.",
                          "Not valid choices: {bad}. Choose from: {choices}.").format(
            bad=", ".join(unknown), choices=", ".join(c.name for c in q.choices))
    if len(set(value)) != len(value):
        return None, Text("Một lựa chọn bị lặp lại.", "A choice is repeated.")
    # Keep the definition's order so equal answers hash equally whatever order a client sent.
    return [c.name for c in q.choices if c.name in value], None


def _text(q: Question, value: Any) -> Coerced:
    if not isinstance(value, str):
        return None, Text("Phải là văn bản.", "Must be text.")
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        return None, Text("Quá dài (tối đa {n} ký tự).", "Too long (at most {n} characters).").format(
            n=MAX_TEXT_LENGTH)
    return value, None


def _image(q: Question, value: Any) -> Coerced:
    # The answer is the file name, as in ODK; the file itself goes to the attachments endpoint.
    if isinstance(value, str) and 0 < len(value) <= 255 and "/" not in value and "\\" not in value:
        return value, None
    return None, Text("Phải là tên tệp ảnh; gửi ảnh qua /attachments.",
                      "Must be the photo's file name; send the file to /attachments.")


# A registry, not an if-chain: a new question type registers its coercion here.
COERCERS: dict[str, Callable[[Question, Any], Coerced]] = {
    "integer": _integer,
    "decimal": _decimal,
    "select_one": _select_one,
    "select_multiple": _select_multiple,
    "text": _text,
    "image": _image,
}

REQUIRED = Text("Câu hỏi này bắt buộc.", "This question is required.")
NOT_RELEVANT = Text("Câu hỏi này không áp dụng với các câu trả lời khác (điều kiện: {cond}); "
                    "hãy bỏ câu trả lời.",
                    "This question does not apply given the other answers (relevant: {cond}); "
                    "leave it out.")
UNKNOWN = Text("Không có câu hỏi này trong phiếu {survey}.",
               "There is no such question in survey {survey}.")
CONSTRAINT = Text("Giá trị không thỏa điều kiện: {cond}.", "Value fails the constraint: {cond}.")


def validate_answers(definition: SurveyDefinition, raw: Mapping[str, Any], *,
                     strict_relevance: bool = True) -> tuple[dict[str, Any], dict[str, Text]]:
    """Return (clean answers, errors by question name).

    With strict_relevance (the JSON API) an answer to a question that does not apply is an error;
    without it (a plain HTML form, where every field is posted) such answers are dropped, as ODK
    clients clear non-relevant values on submit.
    """
    errors: dict[str, Text] = {}
    for name in raw:
        if name not in definition.by_name:
            errors[name] = UNKNOWN.format(survey=definition.name)

    coerced: dict[str, Any] = {}
    for q in definition.questions:
        value = raw.get(q.name)
        if _is_empty(value):
            continue
        clean, error = COERCERS[q.type](q, value)
        if error:
            errors[q.name] = error
        elif not _is_empty(clean):
            coerced[q.name] = clean

    # Relevance and constraints see only relevant answers, in document order like ODK clients:
    # a question switched off drops out of the context of the questions after it.
    context = dict(coerced)
    answers: dict[str, Any] = {}
    for q in definition.questions:
        if not all(expression.test(context) for expression in q.relevant):
            context.pop(q.name, None)
            if q.name in coerced and strict_relevance:
                errors[q.name] = NOT_RELEVANT.format(cond=q.relevant_source)
            continue
        if q.name in errors:
            continue
        if q.name not in coerced:
            if q.required:
                errors[q.name] = REQUIRED
            continue
        value = coerced[q.name]
        constraint = q.constraint
        # A constraint over an answer that is itself in error would only repeat that error.
        if constraint is not None and not (constraint.references & errors.keys()):
            if not constraint.test(context, value):
                errors[q.name] = q.constraint_message or CONSTRAINT.format(cond=constraint.source)
                continue
        answers[q.name] = value
    return answers, errors
