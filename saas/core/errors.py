"""The one error a user can cause: a request the app refuses, said in words, at the field it concerns."""


class Refusal(Exception):
    """A request that cannot be honoured and changes nothing; `field` names the form field it belongs to
    (None: the form as a whole). Views show `message` there; the transaction is rolled back."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
