"""`EncryptionCodec`: AES-256-GCM over every payload, the key id in the payload's metadata.

Several keys can be configured: the first encrypts, all of them decrypt, so a key is
rotated by putting the new one first and keeping the old one until no history needs it.
"""

import base64
import dataclasses
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class EncryptionKeyError(ValueError):
    """A key configuration that cannot be used, or a payload no configured key opens."""


@dataclasses.dataclass(frozen=True)
class EncryptionKeys:
    """Keys by id; `active` encrypts."""

    keys: dict[str, bytes]
    active: str

    @classmethod
    def parse(cls, spec: str) -> "EncryptionKeys":
        """`id1:base64key,id2:base64key` (each key 32 bytes; the first one encrypts)."""
        keys: dict[str, bytes] = {}
        for item in (part.strip() for part in spec.split(",") if part.strip()):
            key_id, _, encoded = item.partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError as err:
                raise EncryptionKeyError(f"encryption key {key_id!r} is not base64") from err
            if not key_id or len(key) != 32:
                raise EncryptionKeyError(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
            keys[key_id] = key
        if not keys:
            raise EncryptionKeyError("no encryption key given")
        return cls(keys, next(iter(keys)))


class EncryptionCodec(PayloadCodec):
    """Encrypts payloads with the active key; decrypts with whichever key sealed them."""

    def __init__(self, keys: EncryptionKeys) -> None:
        self._keys = keys
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Seal each payload whole (metadata and data)."""
        cipher = self._ciphers[self._keys.active]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), None)
            metadata = {"encoding": ENCODING, KEY_ID: self._keys.active.encode()}
            sealed.append(Payload(metadata=metadata, data=data))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Open each sealed payload; others pass through unchanged."""
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                opened.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise EncryptionKeyError(f"no key {key_id!r} to decrypt this payload")
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            opened.append(Payload.FromString(cipher.decrypt(nonce, sealed, None)))
        return opened


def data_converter(keys: EncryptionKeys | None) -> DataConverter:
    """The product's converter: pydantic JSON, encrypted (failure messages too) with keys."""
    if keys is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
