"""The one place errors are rendered: JSON for the API, HTML for pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from surveys.errors import Problem

log = logging.getLogger(__name__)

HTTP_TO_CODE = {400: "400.1", 401: "401.1", 403: "403.1", 404: "404.1", 405: "405.1",
                413: "413.1", 500: "500.1"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_problem(problem: Problem) -> tuple[Response | str, int, dict[str, str]]:
    locale = str(get_locale())
    response: Response | str
    if wants_json():
        response = jsonify(problem.to_json(locale))
    else:
        response = render_template("error.html", problem=problem, locale=locale,
                                   message=problem.message.get(locale),
                                   errors={k: v.get(locale) for k, v in problem.errors.items()})
    headers = {"WWW-Authenticate": 'Bearer realm="phusong"'} if problem.status == 401 else {}
    return response, problem.status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> ResponseReturnValue:
        return render_problem(problem)

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> ResponseReturnValue:
        return render_problem(Problem("400.3"))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        code = HTTP_TO_CODE.get(error.code or 500)
        if code is None:
            return error
        response, status, headers = render_problem(Problem(code))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response, status, headers

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_problem(Problem("500.1"))
