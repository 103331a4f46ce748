"""The crash, fault, hostile-input and secrets suite (a package, so its conftest and helpers
never shadow another folder's ``conftest`` module)."""
