"""Reading a QR code back from a PNG with zbarimg (Debian zbar-tools, installed by
scripts/test.sh): what a bank's app would read from the printed code."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - zbarimg, a fixed local program
from pathlib import Path


def decoded(png: bytes, folder: Path) -> str:
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg (Debian zbar-tools) is installed by scripts/test.sh"
    image = folder / "code.png"
    image.write_bytes(png)
    done = subprocess.run([zbarimg, "--quiet", "--raw", "-Sbinary", str(image)],  # nosec B603
                          capture_output=True, check=True)
    return done.stdout.decode("utf-8").rstrip("\n")
