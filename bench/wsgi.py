"""The app as the Procfile serves it, plus two bare Flask endpoints on the same server, so
benchmarks can compare against the cheapest possible requests:

- GET /bare/ answers "ok" and does nothing else;
- POST /bare/store writes the request body as one row (one INSERT, committed, through a
  psycopg connection of the thread's own): the least any endpoint that stores what it
  was sent can cost. It needs BENCH_STORE_DSN and a table bench_store(body text)."""
import os
import threading

import psycopg
from flask import Flask, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from saas.app import create_app

bare = Flask("bare")
_connections = threading.local()


@bare.get("/")
def hello():
    return "ok"


@bare.post("/store")
def store():
    connection = getattr(_connections, "connection", None)
    if connection is None:
        connection = _connections.connection = psycopg.connect(os.environ["BENCH_STORE_DSN"], autocommit=True)
    connection.execute("INSERT INTO bench_store (body) VALUES (%s)", (request.get_data(as_text=True),))
    return "ok"


app = DispatcherMiddleware(create_app(), {"/bare": bare})
