"""The codec server: decodes for the Web UI, only with the token, only for its origins."""

import asyncio
import base64
import json
import os
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from codec.encryption import EncryptionCodec, EncryptionKeys
from codec.server import CodecServer
from devstack.processes import free_port, start_codec_server

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


async def test_a_web_ui_without_sign_in_uses_the_token_in_the_endpoint(
    server: TestClient[Any, Any],
) -> None:
    sealed = await CODEC.encode([PLAIN])
    good = await server.post(f"/t/{TOKEN}/decode", data=body(sealed), headers={"Origin": UI})
    assert good.status == 200
    bad = await server.post("/t/guess/decode", data=body(sealed))
    assert bad.status == 401


async def test_the_codec_server_process_serves_the_web_ui(tmp_path: Path) -> None:
    key = f"k:{base64.b64encode(os.urandom(32)).decode()}"
    os.environ["DUNNING_ENCRYPTION_KEYS"] = key
    try:
        port = free_port()
        process = start_codec_server(port, TOKEN, tmp_path / "codec.log")
    finally:
        del os.environ["DUNNING_ENCRYPTION_KEYS"]
    codec = EncryptionCodec(EncryptionKeys.parse(key))
    sealed = await codec.encode([PLAIN])
    try:
        url = f"http://127.0.0.1:{port}/t/{TOKEN}/decode"
        answer = await asyncio.to_thread(post_when_up, url, body(sealed).encode())
    finally:
        process.stop()
    decoded = json_format.Parse(json.dumps(answer), Payloads())
    assert list(decoded.payloads) == [PLAIN]


def post_when_up(url: str, data: bytes) -> Any:
    for _ in range(100):
        try:
            request = urllib.request.Request(url, data=data, method="POST")
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")
