"""The codec server: the Web UI sends it encrypted payloads and shows what comes back.

`POST /decode` and `POST /encode` take and return `{"payloads": [...]}` in protobuf JSON,
only with `Authorization: Bearer <DUNNING_CODEC_TOKEN>`; CORS admits the Web UI's origins.
A Web UI without sign-in sends no bearer token, so the same endpoints also answer under
`/t/<token>/…`: give the UI `http://host:port/t/<token>` as its codec endpoint.
"""

import hmac
import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from codec.encryption import EncryptionCodec, EncryptionKeyError

MAX_BODY_BYTES = 4 * 1024 * 1024
ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"


class CodecServer:
    """Decodes and encodes payloads for callers that hold the token."""

    def __init__(self, codec: EncryptionCodec, token: str, origins: list[str]) -> None:
        if not token:
            raise ValueError("the codec server needs a bearer token (DUNNING_CODEC_TOKEN)")
        self._codec, self._token, self._origins = codec, token, set(origins)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[self._cors])
        app.router.add_post("/decode", self._decode)
        app.router.add_post("/encode", self._encode)
        app.router.add_post("/t/{token}/decode", self._decode)
        app.router.add_post("/t/{token}/encode", self._encode)
        app.router.add_route("OPTIONS", "/{tail:.*}", self._preflight)
        return app

    @web.middleware
    async def _cors(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        response = await handler(request)
        origin = request.headers.get("Origin")
        if origin in self._origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    async def _preflight(self, _: web.Request) -> web.Response:
        return web.Response(
            headers={
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            token = request.match_info.get("token", "")
        return bool(token) and hmac.compare_digest(token.strip(), self._token)

    async def _decode(self, request: web.Request) -> web.Response:
        return await self._convert(request, decode=True)

    async def _encode(self, request: web.Request) -> web.Response:
        return await self._convert(request, decode=False)

    async def _convert(self, request: web.Request, *, decode: bool) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"error": "a valid bearer token is required"}, status=401)
        try:
            payloads = json_format.Parse(await request.text(), Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as err:
            return web.json_response({"error": f"not a Payloads message: {err}"}, status=400)
        try:
            convert = self._codec.decode if decode else self._codec.encode
            result = Payloads(payloads=await convert(payloads.payloads))
        except (EncryptionKeyError, ValueError) as err:
            return web.json_response({"error": str(err)}, status=400)
        body = json.loads(json_format.MessageToJson(result))
        return web.json_response(body)
