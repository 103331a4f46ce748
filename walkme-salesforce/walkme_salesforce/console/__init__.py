"""The web console: the integration manager's second face, for admins who do not live in a terminal.

`walkme-salesforce console` serves it (Flask + Jinja2 on Werkzeug's threaded server; Chart.js
shipped as a static file, so it works offline). Every screen calls the manager's own functions —
connect's token storage and permission check, describe, the report's columns from the tap's
discovery, the target's preflight, `store_integration`, the dry-run preview, the runner and the
run history — so the console and the CLI cannot disagree.

Modules: `server` (the command, the loopback/token rule), `app` (routes), `security` (CSRF,
token login, Host check, redaction), `accounts` (connected orgs, OAuth web-server flow),
`wizard` (drafts of an integration between screens), `jobs` (Run now in the background),
`history` (run log rows, chart data), `schedule` (next run time).
"""
