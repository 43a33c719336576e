"""The moto releases the emulator's patches are known to work with, and the refusal of any other.

controller/local/ patches moto's internals (its request parsing, backends and responses), which change between
releases without notice: moto 5.2.6 changed `determine_request_protocol`'s arguments, and every IAM-enforced request
then answered 500 from deep inside a patch. The range below is the one the whole suite passes with, the same range
pyproject.toml's `local` extra declares (a unit test keeps the two equal). Importing the emulator with another release
fails at once with one line that says what is installed, what is supported and how to fix it.

`MODELCTL_ALLOW_UNSUPPORTED_MOTO=1` lets another release through with a warning on stderr: it is how
`make test-latest` finds out whether the range can move.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata

from controller.errors import ModelctlError

SUPPORTED_FROM = (5, 2, 5)  # the oldest release the suite has passed with
SUPPORTED_BEFORE = (5, 2, 7)  # the first release not yet tried
ALLOW_UNSUPPORTED_VARIABLE = "MODELCTL_ALLOW_UNSUPPORTED_MOTO"

_FINAL_RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\.post\d+)?", re.ASCII)


class UnsupportedMotoError(ModelctlError):
    """moto is missing, or is a release outside SUPPORTED_FROM..SUPPORTED_BEFORE."""


def _dotted(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def supported_range() -> str:
    """The range as a PEP 440 specifier, as pyproject.toml writes it."""
    return f">={_dotted(SUPPORTED_FROM)},<{_dotted(SUPPORTED_BEFORE)}"


def is_supported(version: str) -> bool:
    """True for a final (or post) release inside the range; pre-releases and dev builds are never supported."""
    match = _FINAL_RELEASE.fullmatch(version)
    if match is None:
        return False
    release = (int(match[1]), int(match[2]), int(match[3]))
    return SUPPORTED_FROM <= release < SUPPORTED_BEFORE


def installed_moto_version() -> str | None:
    """The installed moto's version, or None when moto is not installed."""
    try:
        return metadata.version("moto")
    except metadata.PackageNotFoundError:
        return None


def require_supported_moto(installed: str | None = None) -> None:
    """Raise UnsupportedMotoError unless the installed moto (or `installed`) is inside the supported range."""
    version = installed if installed is not None else installed_moto_version()
    fix = f"pip install 'moto[server,stepfunctions]{supported_range()}' (or `make install` in a checkout)"
    if version is None:
        raise UnsupportedMotoError(
            f"the embedded emulator needs moto{supported_range()}, which is not installed: {fix}"
        )
    if is_supported(version):
        return
    message = f"the embedded emulator supports moto{supported_range()}, but moto {version} is installed: {fix}"
    if os.environ.get(ALLOW_UNSUPPORTED_VARIABLE) == "1":
        print(f"warning: {message} ({ALLOW_UNSUPPORTED_VARIABLE}=1: going on anyway)", file=sys.stderr)
        return
    raise UnsupportedMotoError(message)
