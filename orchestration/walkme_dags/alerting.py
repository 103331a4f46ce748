"""The integration tasks' failure callback: the manager's alert hook.

The alert hook is ``walkme_salesforce.alerts.send_alert(title, body, *, urls=None,
project_root=None) -> bool`` (apprise; URLs from ``WALKME_SALESFORCE_ALERT_URLS`` in the
environment or the project's ``.env``). Airflow and Meltano live in separate
virtualenvs (their pins clash), so the hook is called

1. directly, when ``walkme_salesforce`` is importable in Airflow's environment; else
2. in the Meltano project's Python — ``WALKME_ALERT_PYTHON``, else the ``python`` next to the
   ``meltano`` executable the tasks run — with the title and body as JSON on stdin.

The callback never raises (Airflow would only log it): when neither way works it logs why.
Airflow calls it once per failed task, after the last retry (``on_failure_callback``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_CALL_HOOK = (
    "import json, sys\n"
    "from pathlib import Path\n"
    "from walkme_salesforce.alerts import send_alert\n"
    "alert = json.load(sys.stdin)\n"
    "root = Path(alert['project_root']) if alert.get('project_root') else None\n"
    "sys.exit(0 if send_alert(alert['title'], alert['body'], project_root=root) else 1)\n"
)


def alert_python(meltano_bin: str) -> str | None:
    """The Python that has the manager installed (``walkme_salesforce``), if one is known."""
    if os.environ.get("WALKME_ALERT_PYTHON"):
        return os.environ["WALKME_ALERT_PYTHON"]
    resolved = shutil.which(meltano_bin)
    if resolved:
        candidate = Path(resolved).parent / "python"
        if candidate.exists():
            return str(candidate)
    return None


def alert_text(context: dict[str, Any]) -> tuple[str, str]:
    """Title and body of the alert for a failed integration task."""
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    params = context.get("params") or {}
    integration = params.get("integration", getattr(dag, "dag_id", "?"))
    environment = params.get("environment", "?")
    title = f"WalkMe → Salesforce: integration {integration} failed in {environment}"
    lines = [
        f"DAG {getattr(dag, 'dag_id', '?')}, task {getattr(ti, 'task_id', '?')}, "
        f"try {getattr(ti, 'try_number', '?')}",
        f"Run: {getattr(context.get('dag_run'), 'run_id', '?')}",
        f"Job: {params.get('job', '?')} (meltano --environment {environment} run ...)",
        f"Error: {context.get('exception') or 'the task failed'}",
        "Run history: walkme-salesforce runs --integration "
        f"{integration} --environment {environment}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"Airflow log: {log_url}")
    return title, "\n".join(lines)


def send_alert_for(
    context: dict[str, Any], meltano_bin: str = "meltano", project_root: Path | None = None
) -> bool:
    """Send the alert for a failed task; True when the hook reported it sent.

    ``project_root`` lets the hook read ``WALKME_SALESFORCE_ALERT_URLS`` from the project's
    ``.env`` when the worker's environment does not set it.
    """
    title, body = alert_text(context)
    try:
        from walkme_salesforce.alerts import send_alert
    except ImportError:
        send_alert = None
    if send_alert is not None:
        try:
            return bool(send_alert(title, body, project_root=project_root))
        except Exception:  # an alert that fails must not hide the task's own failure
            log.exception("walkme_salesforce.alerts.send_alert raised")
            return False
    python = alert_python(meltano_bin)
    if python is None:
        log.warning(
            "No alert sent for %r: walkme_salesforce is not importable here and no Python "
            "with it was found (set WALKME_ALERT_PYTHON).",
            title,
        )
        return False
    try:
        done = subprocess.run(
            [python, "-c", _CALL_HOOK],
            input=json.dumps(
                {
                    "title": title,
                    "body": body,
                    "project_root": str(project_root) if project_root else None,
                }
            ),
            text=True,
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("No alert sent for %r: %s", title, error)
        return False
    if done.returncode != 0:
        log.warning(
            "Alert hook did not send %r (exit %s): %s",
            title,
            done.returncode,
            done.stderr.strip()[-500:],
        )
        return False
    return True


def failure_callback(meltano_bin: str = "meltano", project_root: Path | None = None):
    """An ``on_failure_callback`` bound to the tasks' ``meltano`` executable and project."""

    def on_failure(context: dict[str, Any]) -> None:
        send_alert_for(context, meltano_bin, project_root)

    return on_failure
