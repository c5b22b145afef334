"""The Flask class of the portal: its Jinja environment looks into rows first.

Billing rows reach the templates as plain dicts (`c.amount`). Jinja's
`getattr` tries the attribute first and the key only after an AttributeError,
which made every cell cost twice what it should; here a dict's key is tried
first. (A column named like a dict method, `items` or `keys`, would hide that
method in templates: querylib refuses such column names.)
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.templating import Environment


class PortalEnvironment(Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class PortalFlask(Flask):
    jinja_environment = PortalEnvironment
