"""The payload codec: AES-GCM, key ids, rotation."""

import base64
import os

import pytest
from temporalio.api.common.v1 import Payload

from codec.encryption import ENCODING, EncryptionCodec, EncryptionKeyError, EncryptionKeys


def key_spec(*ids: str) -> str:
    return ",".join(f"{i}:{base64.b64encode(os.urandom(32)).decode()}" for i in ids)


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"email": "ap@acme.example"}')


async def test_round_trip_hides_the_payload() -> None:
    codec = EncryptionCodec(EncryptionKeys.parse(key_spec("k1")))
    [sealed] = await codec.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert b"acme" not in sealed.data and b"json/plain" not in sealed.data
    assert await codec.decode([sealed]) == [PLAIN]
    [again] = await codec.encode([PLAIN])
    assert again.data != sealed.data, "a fresh nonce every time"


async def test_rotation_reads_old_keys_and_writes_the_new_one() -> None:
    old = key_spec("2025")
    [sealed_before] = await EncryptionCodec(EncryptionKeys.parse(old)).encode([PLAIN])
    rotated = EncryptionCodec(EncryptionKeys.parse(key_spec("2026") + "," + old))
    assert await rotated.decode([sealed_before]) == [PLAIN]
    [sealed_after] = await rotated.encode([PLAIN])
    assert sealed_after.metadata["encryption-key-id"] == b"2026"


async def test_a_payload_no_key_opens_is_an_error() -> None:
    [sealed] = await EncryptionCodec(EncryptionKeys.parse(key_spec("a"))).encode([PLAIN])
    with pytest.raises(EncryptionKeyError, match="no key 'a'"):
        await EncryptionCodec(EncryptionKeys.parse(key_spec("b"))).decode([sealed])


async def test_unencrypted_payloads_pass_through() -> None:
    codec = EncryptionCodec(EncryptionKeys.parse(key_spec("k")))
    assert await codec.decode([PLAIN]) == [PLAIN]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "no encryption key"),
        ("k:notbase64!", "base64"),
        ("k:" + base64.b64encode(b"short").decode(), "32 bytes"),
    ],
)
def test_bad_key_configuration_is_named(spec: str, problem: str) -> None:
    with pytest.raises(EncryptionKeyError, match=problem):
        EncryptionKeys.parse(spec)
