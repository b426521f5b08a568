"""The codec server: decodes for the Web UI, only with the token, only for its origins."""

import base64
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from codec.encryption import EncryptionCodec, EncryptionKeys
from codec.server import CodecServer

TOKEN = "operators-only"
UI = "http://localhost:8233"
CODEC = EncryptionCodec(EncryptionKeys.parse(f"k:{base64.b64encode(os.urandom(32)).decode()}"))
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'"billing@acme.example"')


@pytest.fixture
async def server() -> AsyncIterator[TestClient[Any, Any]]:
    app = CodecServer(CODEC, TOKEN, [UI]).app()
    async with TestClient(TestServer(app)) as client:
        yield client


def body(payloads: list[Payload]) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


async def test_decode_with_the_token(server: TestClient[Any, Any]) -> None:
    sealed = await CODEC.encode([PLAIN])
    headers = {"Authorization": f"Bearer {TOKEN}", "Origin": UI}
    response = await server.post("/decode", data=body(sealed), headers=headers)
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == UI
    decoded = json_format.Parse(json.dumps(await response.json()), Payloads())
    assert list(decoded.payloads) == [PLAIN]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}"])
async def test_nothing_without_the_token(
    server: TestClient[Any, Any], authorization: str | None
) -> None:
    sealed = await CODEC.encode([PLAIN])
    headers = {"Authorization": authorization} if authorization else {}
    response = await server.post("/decode", data=body(sealed), headers=headers)
    assert response.status == 401
    assert b"billing@acme" not in await response.read()


async def test_encode_and_bad_bodies(server: TestClient[Any, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    encoded = await server.post("/encode", data=body([PLAIN]), headers=auth)
    sealed = json_format.Parse(json.dumps(await encoded.json()), Payloads())
    assert await CODEC.decode(list(sealed.payloads)) == [PLAIN]
    bad = await server.post("/decode", data="{not json", headers=auth)
    assert bad.status == 400


async def test_cors_preflight_admits_only_the_web_ui(server: TestClient[Any, Any]) -> None:
    allowed = await server.options("/decode", headers={"Origin": UI})
    assert allowed.headers["Access-Control-Allow-Origin"] == UI
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    other = await server.options("/decode", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_codec_server_without_a_token_is_refused() -> None:
    with pytest.raises(ValueError, match="bearer token"):
        CodecServer(CODEC, "", [UI])
