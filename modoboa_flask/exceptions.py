"""Errors raised by services; views, CLI and API turn them into messages and status codes."""


class ServiceError(Exception):
    """A refused operation. `field` names the form field to show it on (None = whole form)."""

    status = 400

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequest(ServiceError):
    """Invalid input."""


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status = 403


class NotFound(ServiceError):
    """The object does not exist or is out of the actor's scope."""

    status = 404


class Conflict(ServiceError):
    """The object already exists."""

    status = 409


class LimitReached(ServiceError):
    """A limit of the limits plugin refuses the creation ("<Label>: limit reached")."""

    status = 403
