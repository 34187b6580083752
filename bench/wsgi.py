"""The app as the Procfile serves it, plus a bare Flask endpoint at /bare on the same
server, so benchmarks can compare against the cheapest possible request."""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from saas import create_app

bare = Flask("bare")


@bare.get("/")
def hello():
    return "ok"


app = DispatcherMiddleware(create_app(), {"/bare": bare})
