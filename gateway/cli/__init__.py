"""The `gateway` command (staff and admin): the layer's one face is `main`.

`common` holds what every command shares and imports nothing else of the CLI;
`main` the group with serve, check, secret and demo; `accounts` the staff
commands (accounts, residents); `demo_setup` the README's first command.
"""

from .common import Context
from .main import main

__all__ = ["Context", "main"]
