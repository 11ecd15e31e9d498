"""Reads what the DAG needs from an Octet registry: model names, the warehouse, S3A endpoint.

The registry is HOCON (README "Registry"; every key is in common/src/main/resources/reference.conf).
The jobs validate it fully; this reader only needs the ``models { <name> { ... } }`` keys and the
top-level ``warehouse``/``hadoop`` settings, with the same override precedence the jobs apply
to those keys: ``--set key=value``, then ``OCTET__<KEY>`` environment variables, then the file,
then the reference default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from octet_airflow import storage

#: reference.conf's default warehouse; relative, so the DAG refuses it (see warehouse_location).
DEFAULT_WAREHOUSE = "octet-warehouse"


class RegistryError(ValueError):
    """The registry cannot be read or lists no usable models; names the registry."""


@dataclasses.dataclass(frozen=True)
class Registry:
    source: str
    models: tuple[str, ...]
    warehouse: str
    #: Non-secret fs.s3a.* endpoint settings (storage.S3A_KEYS_FOR_PYTHON) for reads from Python.
    s3a: Mapping[str, str]


def _text(value: Any) -> str:
    """A config value as HOCON would print it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _flatten(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    from pyhocon import ConfigTree  # noqa: PLC0415 - imported in tasks only

    for k, v in tree.items():
        key = prefix + _unquote(k)
        if isinstance(v, ConfigTree):
            yield from _flatten(v, key + ".")
        else:
            yield key, v


def _set_overrides(sets: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in sets:
        key, eq, value = s.partition("=")
        if not eq or not key.strip():
            raise RegistryError(f"--set needs key=value, got '{s}'")
        out[key.strip()] = value.strip()
    return out


def _env_overrides(env: Mapping[str, str]) -> dict[str, str]:
    # OCTET__<KEY>: "__" for ".", "_" for "-", lower case (as io.octet.config.ConfigLoader).
    out = {}
    for name in sorted(env):
        if name.startswith("OCTET__"):
            key = ".".join(p.replace("_", "-") for p in name[len("OCTET__") :].lower().split("__"))
            out[key] = env[name]
    return out


def parse(
    text: str,
    source: str,
    sets: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Registry:
    """Parses registry text.

    :param text: the HOCON text
    :param source: where it came from (named in errors)
    :param sets: ``key=value`` overrides, as given to the jobs with ``--set``
    :param env: environment with ``OCTET__*`` overrides (default: none)
    :raises RegistryError: unparsable text, no ``models`` object, no models
    """
    from pyhocon import ConfigFactory, ConfigTree  # noqa: PLC0415 - imported in tasks only

    try:
        conf = ConfigFactory.parse_string(text)
    except Exception as e:  # pyhocon raises pyparsing and its own exception types
        raise RegistryError(f"Cannot parse registry {source}: {e}") from e
    models = conf.get("models", None)
    if not isinstance(models, ConfigTree):
        raise RegistryError(f"Registry {source}: 'models' must be an object of model entries keyed by name")
    for k, v in models.items():
        if not isinstance(v, ConfigTree):
            raise RegistryError(f"Registry {source}: models.{_unquote(k)} must be an object")
    names = sorted(_unquote(k) for k in models.keys())
    if not names:
        raise RegistryError(f"Registry {source} lists no models: add at least one under models {{ }}")

    overrides = _env_overrides(env or {})
    overrides.update(_set_overrides(sets))
    warehouse = overrides.get("warehouse", conf.get("warehouse", DEFAULT_WAREHOUSE))
    hadoop = dict(_flatten(conf.get("hadoop", ConfigTree())))
    for k, v in overrides.items():
        if k.startswith("hadoop."):
            hadoop[k[len("hadoop.") :]] = v
    s3a = {k: _text(hadoop[k]) for k in storage.S3A_KEYS_FOR_PYTHON if k in hadoop}
    return Registry(source, tuple(names), str(warehouse), s3a)


def load(location: str, sets: Sequence[str] = (), env: Mapping[str, str] | None = None) -> Registry:
    """Reads and parses a registry from a local path, ``file:`` or ``s3a://`` URI."""
    # A registry on S3 is read with endpoint settings from the overrides only: the file that
    # would carry them is the one being read (the jobs bootstrap the same way).
    s3a = {
        k[len("hadoop.") :]: v
        for k, v in {**_env_overrides(env or {}), **_set_overrides(sets)}.items()
        if k.startswith("hadoop.")
    }
    try:
        text = storage.for_location(location, s3a).read_text(location)
    except storage.StorageError as e:
        raise RegistryError(f"Cannot read registry: {e}") from e
    return parse(text, location, sets, env)


def select(registry: Registry, wanted: Sequence[str]) -> list[str]:
    """The registry's models, or the wanted subset in registry order; unknown names are errors."""
    if not wanted:
        return list(registry.models)
    unknown = [w for w in wanted if w not in registry.models]
    if unknown:
        raise RegistryError(
            f"No model {', '.join(repr(u) for u in unknown)} in registry {registry.source}"
            f" (it has {', '.join(registry.models)})"
        )
    return [m for m in registry.models if m in set(wanted)]
