"""Minimal read access to registries and warehouses: local paths natively, s3a:// through s3fs.

The Spark jobs reach storage through Hadoop's FileSystem; the DAG only needs to read a registry
file, a few JSON files and list run prefixes, so it does that itself rather than starting a JVM.
``s3fs`` is optional and imported only when an ``s3a://``/``s3://`` location is used.
"""

from __future__ import annotations

import glob as globlib
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

# Hadoop settings that tell s3fs where the S3-compatible endpoint is. Credentials are never
# read from the registry (Octet refuses to print them and the DAG passes specs through XCom):
# s3fs takes them from the worker's environment or instance role, as S3A does.
_S3A_ENDPOINT = "fs.s3a.endpoint"
_S3A_REGION = "fs.s3a.endpoint.region"
_S3A_PATH_STYLE = "fs.s3a.path.style.access"
_S3A_SSL = "fs.s3a.connection.ssl.enabled"
S3A_KEYS_FOR_PYTHON = (_S3A_ENDPOINT, _S3A_REGION, _S3A_PATH_STYLE, _S3A_SSL)


class StorageError(RuntimeError):
    """A location cannot be read (missing file, unsupported scheme, s3fs not installed)."""


def is_s3(location: str) -> bool:
    return location.startswith(("s3a://", "s3://", "s3n://"))


def is_absolute(location: str) -> bool:
    """Whether a warehouse or registry location means the same thing on every machine."""
    return is_s3(location) or location.startswith("file:") or location.startswith("/")


def join(base: str, *parts: str) -> str:
    return posixpath.join(base.rstrip("/"), *parts)


def local_path(location: str) -> Path:
    """``/x``, ``file:/x`` and ``file:///x`` to a local path."""
    if location.startswith("file:"):
        return Path(unquote(urlparse(location).path))
    return Path(location)


def s3fs_options(hadoop: Mapping[str, Any]) -> dict[str, Any]:
    """Maps the registry's non-secret ``fs.s3a.*`` endpoint settings to s3fs arguments."""
    opts: dict[str, Any] = {}
    client: dict[str, Any] = {}
    endpoint = hadoop.get(_S3A_ENDPOINT)
    if endpoint:
        endpoint = str(endpoint)
        if "://" not in endpoint:
            ssl = str(hadoop.get(_S3A_SSL, "true")).lower() != "false"
            endpoint = ("https://" if ssl else "http://") + endpoint
        client["endpoint_url"] = endpoint
    if hadoop.get(_S3A_REGION):
        client["region_name"] = str(hadoop[_S3A_REGION])
    if client:
        opts["client_kwargs"] = client
    if str(hadoop.get(_S3A_PATH_STYLE, "false")).lower() == "true":
        opts["config_kwargs"] = {"s3": {"addressing_style": "path"}}
    return opts


class Store:
    """Reads one kind of location. Use :func:`for_location`."""

    def read_bytes(self, location: str) -> bytes:
        raise NotImplementedError

    def exists(self, location: str) -> bool:
        raise NotImplementedError

    def glob(self, pattern: str) -> list[str]:
        raise NotImplementedError

    def link(self, location: str) -> str:
        """A URI a person can follow (file:// or s3a://)."""
        raise NotImplementedError

    def read_json(self, location: str) -> Any:
        data = self.read_bytes(location)
        try:
            return json.loads(data)
        except ValueError as e:
            raise StorageError(f"{location} is not valid JSON: {e}") from e

    def read_text(self, location: str) -> str:
        return self.read_bytes(location).decode("utf-8")


class LocalStore(Store):
    def read_bytes(self, location: str) -> bytes:
        p = local_path(location)
        try:
            return p.read_bytes()
        except OSError as e:
            raise StorageError(f"Cannot read {location}: {e.strerror or e}") from e

    def exists(self, location: str) -> bool:
        return local_path(location).exists()

    def glob(self, pattern: str) -> list[str]:
        prefix = "file://" if pattern.startswith("file:") else ""
        return sorted(prefix + p for p in globlib.glob(str(local_path(pattern))))

    def link(self, location: str) -> str:
        return local_path(location).absolute().as_uri()


class S3Store(Store):
    def __init__(self, hadoop: Mapping[str, Any]):
        try:
            import s3fs  # noqa: PLC0415 - optional, only for s3a:// registries and warehouses
        except ImportError as e:
            raise StorageError(
                "Reading s3a:// locations from Airflow needs the 's3fs' package on the workers"
                " (pip install s3fs); credentials come from the worker's environment or"
                " instance role, as for S3A."
            ) from e
        self._fs = s3fs.S3FileSystem(**s3fs_options(hadoop))

    @staticmethod
    def _key(location: str) -> str:
        u = urlparse(location)
        return f"{u.netloc}{u.path}"

    def read_bytes(self, location: str) -> bytes:
        try:
            with self._fs.open(self._key(location), "rb") as f:
                return f.read()
        except (OSError, ValueError) as e:
            raise StorageError(f"Cannot read {location}: {e}") from e

    def exists(self, location: str) -> bool:
        return self._fs.exists(self._key(location))

    def glob(self, pattern: str) -> list[str]:
        scheme = urlparse(pattern).scheme
        return sorted(f"{scheme}://{k}" for k in self._fs.glob(self._key(pattern)))

    def link(self, location: str) -> str:
        return location


def for_location(location: str, hadoop: Mapping[str, Any] | None = None) -> Store:
    if is_s3(location):
        return S3Store(hadoop or {})
    scheme = urlparse(location).scheme
    if scheme and scheme != "file" and len(scheme) > 1:
        raise StorageError(
            f"Unsupported location {location}: the DAG reads local paths, file:// and s3a:// URIs"
        )
    return LocalStore()
