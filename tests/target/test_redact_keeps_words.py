"""The secret filter replaces values, never words of a message (issue 14, item 5)."""

from __future__ import annotations

import secrets

import pytest
from target_salesforce_update.exceptions import REDACTED, AuthenticationError, redact

ORDINARY = [
    "Check the client id and password: reset them in Salesforce, then connect again.",
    "The refresh token: expired or revoked; run connect again to get a new token.",
    "Keep the client secret in .env; never put the secret: in meltano.yml.",
    "Salesforce answered with status code: 401 for the token request.",
    "The signature: invalid means the signed link expired; ask WalkMe for a new link.",
    "Send the Bearer token only over HTTPS.",
    "password: incorrect, or the user is locked out (error code: 18).",
    "Enter the verification code: sent to the admin's e-mail.",
]


@pytest.mark.parametrize("sentence", ORDINARY)
def test_ordinary_sentences_are_left_as_written(sentence: str) -> None:
    assert redact(sentence) == sentence
    assert str(AuthenticationError(sentence)) == sentence


def test_values_next_to_those_words_are_still_replaced() -> None:
    token = secrets.token_urlsafe(32)
    session = "00D000000000001!AQ" + secrets.token_urlsafe(40)
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEv" + "A" * 40 + "\n-----END PRIVATE KEY-----"
    cases = {
        f"refresh token: {token} was refused": f"refresh token: {REDACTED} was refused",
        "password: hunter2 is wrong": f"password: {REDACTED} is wrong",
        f"Authorization: Bearer {session} refused": f"Authorization: Bearer {REDACTED} refused",
        "Authorization: Bearer abc.def": f"Authorization: Bearer {REDACTED}",
        "grant_type=refresh_token&refresh_token=5Aep861x&client_secret=xyz": (
            f"grant_type=refresh_token&refresh_token={REDACTED}&client_secret={REDACTED}"
        ),
        "https://walkme.example/r.csv?signature=abcDEF%2B9&expires=1": (
            f"https://walkme.example/r.csv?signature={REDACTED}&expires=1"
        ),
        "http://localhost:1717/OauthRedirect?code=aPrx4&state=s": (
            f"http://localhost:1717/OauthRedirect?code={REDACTED}&state=s"
        ),
        '{"client_secret": "plainword"}': f'{{"client_secret": "{REDACTED}"}}',
        f"key {pem} rejected": f"key {REDACTED} rejected",
        f"token: {'abcdefghij' * 3}": f"token: {REDACTED}",  # long, even if only letters
    }
    for text, expected in cases.items():
        assert redact(text) == expected, text
