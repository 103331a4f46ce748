"""Values handed to a page's scripts inside `<script type="application/json">` blocks."""

from __future__ import annotations

import json
from typing import Any


def script_json(value: Any) -> str:
    """JSON safe inside a `<script type="application/json">` block."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
