"""A preset's prompt with `{variables}`: finding their names and filling them in.

`{product}` is a variable; `{{` and `}}` are a literal `{` and `}`. A name is letters,
digits and `_` (spaces around it are ignored: `{ product }` is `{product}`). Every problem
comes back as a sentence for the person who wrote the prompt or fills it in.
"""

import re

NAME = re.compile(r"^[^\W\d]\w{0,39}$")
MAX_VARIABLES = 12
VALUE_MAX_LENGTH = 300


class VariableError(ValueError):
    """A prompt or its values that cannot be filled: `message` says why, plainly."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _pieces(template: str) -> list[tuple[str, str]]:
    """The template as ("text", …) and ("var", name) pieces, braces unescaped."""
    pieces: list[tuple[str, str]] = []
    text: list[str] = []
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch == "{" and template.startswith("{{", i):
            text.append("{")
            i += 2
        elif ch == "}" and template.startswith("}}", i):
            text.append("}")
            i += 2
        elif ch == "{":
            end = template.find("}", i + 1)
            opened = template.find("{", i + 1)
            if end == -1 or (opened != -1 and opened < end):
                raise VariableError(
                    f"A “{{” at “{_around(template, i)}” is never closed. Close the variable "
                    "with “}”, or write “{{” for a brace that stays in the prompt."
                )
            name = template[i + 1 : end].strip()
            if not NAME.match(name):
                shown = template[i : end + 1]
                raise VariableError(
                    f"“{shown}” is not a variable name: use letters, digits and _ "
                    "(like {product} or {main_colour}), or write “{{” and “}}” for braces "
                    "that stay in the prompt."
                )
            if text:
                pieces.append(("text", "".join(text)))
                text = []
            pieces.append(("var", name))
            i = end + 1
        elif ch == "}":
            raise VariableError(
                f"A “}}” at “{_around(template, i)}” closes nothing. Write “}}}}” for a "
                "brace that stays in the prompt."
            )
        else:
            text.append(ch)
            i += 1
    if text:
        pieces.append(("text", "".join(text)))
    return pieces


def _around(template: str, at: int) -> str:
    return " ".join(template[max(0, at - 12) : at + 13].split())


def variables_in(template: str) -> list[str]:
    """The variables' names in order of first appearance, each once; raises VariableError."""
    names = list(dict.fromkeys(name for kind, name in _pieces(template) if kind == "var"))
    if len(names) > MAX_VARIABLES:
        raise VariableError(
            f"A preset may have at most {MAX_VARIABLES} variables; this one has {len(names)}."
        )
    return names


def fill(template: str, values: dict[str, str]) -> str:
    """The prompt with every variable replaced by its value, braces unescaped.

    Raises VariableError naming the variables left empty, or values given for names the
    prompt does not have (a mistyped or stale field)."""
    names = variables_in(template)
    cleaned = {key.strip(): " ".join(str(value).split()) for key, value in values.items()}
    unknown = [key for key in cleaned if key not in names]
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in names) or "none"
        raise VariableError(
            f"This preset has no {_listed(unknown)}; its variables are: {known}. "
            "Reload the preset and try again."
        )
    missing = [name for name in names if not cleaned.get(name)]
    if missing:
        raise VariableError(f"Please fill in {_listed(missing)} first.")
    too_long = [name for name in names if len(cleaned[name]) > VALUE_MAX_LENGTH]
    if too_long:
        raise VariableError(f"Please keep {_listed(too_long)} under {VALUE_MAX_LENGTH} characters.")
    return "".join(cleaned[text] if kind == "var" else text for kind, text in _pieces(template))


def plain(template: str) -> str:
    """The prompt of a preset without variables, braces unescaped."""
    return fill(template, {})


def _listed(names: list[str]) -> str:
    shown = [f"{{{name}}}" for name in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
