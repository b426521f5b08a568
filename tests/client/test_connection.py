"""`connect` reads Temporal's environment configuration: a TOML profile with an address, a
namespace, an API key and TLS, as Temporal Cloud deployments use. The dev server speaks
plain gRPC, so a TLS-terminating proxy with a certificate of our own stands in front of it.
"""

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.testing import WorkflowEnvironment

from client.connection import connect


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (`ca.pem`), and a certificate it signed for localhost and 127.0.0.1 with its
    key."""
    now = datetime.datetime.now(datetime.UTC)

    def issued(subject: str, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dunning test CA")])
    ca = (
        issued("Dunning test CA", ca_key)
        .issuer_name(ca_name)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        issued("localhost", server_key)
        .issuer_name(ca_name)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem_key(server_key))
    return paths


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def tls_front(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[str]:
    """A TLS endpoint in front of the dev server; its address."""
    _, cert, key = certificates(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    host, port = dev_env.client.service_client.config.target_host.rsplit(":", 1)

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=context)
    address = server.sockets[0].getsockname()
    async with server:
        yield f"localhost:{address[1]}"
        server.close()


def profile(folder: Path, address: str, *, with_ca: bool) -> Path:
    """A `temporal.toml` with a `cloud` profile: address, namespace, API key and TLS."""
    tls = f'server_ca_cert_path = "{folder / "ca.pem"}"\n' if with_ca else ""
    path = folder / "temporal.toml"
    path.write_text(
        "[profile.cloud]\n"
        f'address = "{address}"\n'
        'namespace = "default"\n'
        'api_key = "sandbox-api-key"\n'
        "[profile.cloud.tls]\n"
        f"{tls}"
    )
    return path


async def test_a_profile_with_an_api_key_and_tls_connects(
    tls_front: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(profile(tmp_path, tls_front, with_ca=True)))
    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    for variable in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    client = await connect()
    assert client.service_client.config.target_host == tls_front
    assert client.api_key == "sandbox-api-key"
    assert client.namespace == "default"
    assert (await client.count_workflows()).count >= 0, "a call over TLS answered"


async def test_a_server_certificate_nobody_vouches_for_is_refused(
    tls_front: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: the same endpoint without the profile's CA fails, so TLS is verified.
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(profile(tmp_path, tls_front, with_ca=False)))
    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    with pytest.raises(RuntimeError):
        await connect()
