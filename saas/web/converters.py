"""URL converters: an id in a URL is a database id, so a number no row can have is a 404, not a query
the database refuses (PostgreSQL's integer ends at 2**31 - 1)."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` everywhere: whole numbers from 0 to the largest id a row can have."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app) -> None:
    app.url_map.converters["int"] = IdConverter
