"""HTML pages from Jinja2 templates shipped as package data (``validation/templates/*.html.j2``).

Autoescaping is on for every template: a value is text unless the caller marks it as markup
it built itself (:func:`trusted`, used only for the inline SVG charts this package draws with
every label escaped). Undefined names are errors, never an empty cell.

    html = render("gates_index.html.j2", environment="production", gates=[...])
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["render", "trusted"]

TEMPLATES = "templates"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("validation", TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render one page template with ``context`` (values are escaped unless :func:`trusted`)."""
    return _environment().get_template(template).render(**context)


def trusted(markup: str) -> Markup:
    """Mark markup this package generated itself (its own text already escaped) as safe to embed."""
    return Markup(markup)  # only for SVG built by this package, whose labels are escaped
