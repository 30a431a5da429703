from __future__ import annotations

import pytest

from embedded_backend.logs.redaction import redact, register_secret


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("headers={'authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ("connecting to postgresql://erp:S3cr3t!@db.local/erp", "S3cr3t!"),
        ("login password=hunter22 user=ana", "hunter22"),
        ('{"password": "hunter22", "user": "ana"}', "hunter22"),
        ("token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature", "eyJzdWIiOiIxIn0"),
        ("admin_token: tok_123456789", "tok_123456789"),
        ("VIGIA_SECRET_KEY=abcdef123456", "abcdef123456"),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert "***" in out


def test_ordinary_text_is_untouched() -> None:
    text = "order 12 created for customer 7 (total 59.97)"
    assert redact(text) == text


def test_registered_values_are_masked_anywhere() -> None:
    register_secret("Zq9-literal-secret-value")
    assert redact("saw Zq9-literal-secret-value in a URL") == "saw *** in a URL"
