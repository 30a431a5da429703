"""The guard's request-ID helpers agree with the uuid module they stand in for."""

from __future__ import annotations

import re
import uuid

import pytest

from embedded_backend.middleware.guard import GuardMiddleware, _valid_uuid4_hex, new_request_id


def test_new_ids_are_uuid4_hex_and_unique() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        parsed = uuid.UUID(hex=request_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert parsed.hex == request_id


V4 = "3f2b8c1e9d7a4b6c8e0f1a2b3c4d5e6f"


@pytest.mark.parametrize(
    "raw",
    [
        V4,
        V4.upper(),
        str(uuid.UUID(V4)),  # with dashes
        "{" + str(uuid.UUID(V4)) + "}",
        uuid.uuid1().hex,  # version 1
        "3f2b8c1e9d7a5b6c8e0f1a2b3c4d5e6f",  # version 5
        "3f2b8c1e9d7a4b6c0e0f1a2b3c4d5e6f",  # version nibble 4, NCS variant
        "3f2b8c1e9d7a4b6cce0f1a2b3c4d5e6f",  # version nibble 4, Microsoft variant
        "3f2b8c1e9d7a4b6ce",
        "<script>",
        "",
        "zz2b8c1e9d7a4b6c8e0f1a2b3c4d5e6f",
        V4 + "00",
    ],
)
def test_validation_matches_the_uuid_module(raw: str) -> None:
    try:
        expected = uuid.UUID(raw).version == 4
    except ValueError:
        expected = False
    assert _valid_uuid4_hex(raw.encode("latin-1")) is expected


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {"type": "http", "headers": headers}


def test_a_valid_id_is_used_and_the_headers_are_left_alone() -> None:
    headers = [(b"host", b"x"), (b"x-request-id", V4.encode())]
    scope = _scope(headers)
    assert GuardMiddleware._ensure_request_id(scope) == V4
    assert scope["headers"] is headers


def test_a_missing_id_is_added_without_touching_the_servers_list() -> None:
    headers = [(b"host", b"x")]
    scope = _scope(headers)
    request_id = GuardMiddleware._ensure_request_id(scope)
    assert scope["headers"] == [(b"host", b"x"), (b"x-request-id", request_id.encode())]
    assert headers == [(b"host", b"x")]


def test_junk_ids_are_all_replaced_by_one_new_id() -> None:
    scope = _scope([(b"x-request-id", b"<a>"), (b"host", b"x"), (b"x-request-id", V4.encode())])
    request_id = GuardMiddleware._ensure_request_id(scope)
    assert request_id != V4
    assert scope["headers"] == [(b"host", b"x"), (b"x-request-id", request_id.encode())]
