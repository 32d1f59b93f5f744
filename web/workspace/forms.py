"""The state of a form shown again after a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: form name → id of the form on the dossier page (plain actions and tasks: "action:<name>", "task:<id>")
ANCHORS = {
    "assessment": "ghi-danh-gia",
    "assessments": "tu-danh-gia",
    "register": "form-register",
    "import": "form-import",
}
#: inputs the page sends without the person typing them: their errors are shown with the message
HIDDEN_INPUTS = ("version", "action", "task", "decision", "criterion", "_schema")


@dataclass
class FormState:
    """The form a person sent, shown again after a refusal: what they typed, and what was wrong."""

    name: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None

    def active(self, name: str) -> bool:
        return self.name == name

    def value(self, name: str, key: str, default: Any = "") -> Any:
        if self.name != name:
            return default
        value = self.values.get(key, default)
        return value[0] if isinstance(value, list) and value else value

    def chosen(self, name: str, key: str) -> list[str]:
        if self.name != name:
            return []
        value = self.values.get(key, [])
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def error(self, name: str, key: str) -> str | None:
        return self.errors.get(key) if self.name == name else None

    def hidden_errors(self) -> list[str]:
        return [self.errors[key] for key in HIDDEN_INPUTS if key in self.errors]

    @property
    def anchor(self) -> str:
        """The id of the form on the page, to link the message at the top to it."""
        name = self.name or ""
        if name in ANCHORS:
            return ANCHORS[name]
        kind, _, key = name.partition(":")
        return f"form-{kind}-{key}" if kind in ("task", "criterion") else f"form-{key or kind}"
