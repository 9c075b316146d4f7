"""The portal's stylesheet has no block left open: a missing `}` after an `@media` block puts
every rule below it inside that media query, so they apply on phones only."""

import re
from pathlib import Path

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"


def test_every_block_of_the_stylesheet_is_closed_where_it_opened():
    text = re.sub(
        r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), STYLESHEET.read_text(), flags=re.S
    )
    depth, opened = 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char == "{":
                depth += 1
                opened.append(number)
            elif char == "}":
                depth -= 1
                assert depth >= 0, f"line {number}: a '}}' closes nothing"
                opened.pop()
        # A rule written at the start of a line is a top-level one: nothing may be open there.
        if line and not line[0].isspace() and not line.startswith("}") and depth > line.count("{"):
            raise AssertionError(f"line {number} is inside the block opened on line {opened[0]}")
    assert depth == 0, f"blocks opened on lines {opened} are never closed"
