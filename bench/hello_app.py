"""The baseline for bench/load.py: a Flask app whose POST does nothing but parse JSON and answer.

Served by gunicorn with the same worker shape as `kelisim serve --production` (gthread workers,
the same worker and thread counts, an access log), so the ratio of consent POSTs to these says
what recording a consent costs on top of the web stack itself.
"""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/hello")
def hello():
    request.get_json(silent=True)
    return jsonify(hello="world"), 201
