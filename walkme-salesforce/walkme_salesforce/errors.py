"""The one error type the setup commands raise for problems a user can fix."""

from __future__ import annotations


class SetupError(Exception):
    """A problem with the user's input or project, with a message that names the fix.

    The CLI prints the message (never a traceback) and exits with status 2. Messages never
    contain tokens, client secrets or private keys.
    """
