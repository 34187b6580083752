"""gunicorn's access log without secrets (the Procfile's `--logger-class`): the token a link carries in
its path (reset, verification, invitation, unsubscribe, survey) and every query string stay out of it."""
from gunicorn.glogging import Logger

from saas.core.observability import without_tokens


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = without_tokens(environ.get("PATH_INFO") or "/")
        referer = without_tokens((environ.get("HTTP_REFERER") or "-").split("?", 1)[0])
        atoms.update({"r": f"{atoms['m']} {path} {atoms['H']}", "U": path, "q": "", "f": referer,
                      "{referer}i": referer})
        return atoms
