"""Org users (with their object and field permissions) and connected apps (OAuth clients)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class User:
    """An org user and its permissions."""

    id: str
    username: str
    password: str
    security_token: str = ""
    profile: str = "Standard User"
    modify_all_data: bool = False
    object_permissions: dict[str, dict[str, bool]] = field(default_factory=dict)
    read_only_fields: dict[str, list[str]] = field(default_factory=dict)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    active: bool = True

    def can(self, obj: str, action: str) -> bool:
        """``action`` is read | edit | create | delete. Modify All Data allows everything."""
        if self.modify_all_data:
            return True
        for name, perms in self.object_permissions.items():
            if name.lower() == obj.lower():
                if action != "read" and not perms.get("read", True):
                    return False
                return bool(perms.get(action, True))
        return True

    def field_editable(self, obj: str, field_name: str) -> bool:
        if self.modify_all_data:
            return True
        for name, fields in self.read_only_fields.items():
            if name.lower() == obj.lower() and field_name.lower() in {f.lower() for f in fields}:
                return False
        return True

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username


@dataclass
class ConnectedApp:
    """An OAuth client."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    certificate: str | None = None
    run_as: str | None = None
    scopes: list[str] = field(default_factory=lambda: ["api", "refresh_token"])
    name: str = "Emulator App"
