"""A local, wire-faithful emulator of the WalkMe pieces the tap talks to.

It serves WalkMe's client-credentials token endpoint, bearer-authenticated report downloads and
signed report links (as in report-subscription e-mails), with deterministic fault injection, and
ships a deterministic generator of demo reports plus a matching Salesforce seed. It is a test and
demo tool: never imported by the tap or the target.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
