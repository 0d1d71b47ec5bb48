"""The ceiling of the HTTP submissions bench: the least a Flask endpoint can do with a submission
(parse its JSON, answer 201 with a small JSON body), served by the same gunicorn in the same run.
`gunicorn bench.minimal_app:app`."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/api/v1/submissions")
def accept() -> Response:
    body = request.get_json()
    response = jsonify({"instance_id": body["instance_id"], "received": True})
    response.status_code = 201
    return response
