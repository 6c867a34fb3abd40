"""The one base for errors a person is shown: ``message`` is written for them."""


class PortalError(Exception):
    """Something the customer, agent or operator must correct or know; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
