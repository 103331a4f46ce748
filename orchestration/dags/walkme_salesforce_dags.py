"""Airflow DAG file: one DAG per WalkMe → Salesforce integration (see orchestration/walkme_dags).

Copy or mount this file into Airflow's dags folder; ``orchestration/`` must be on Airflow's
``PYTHONPATH`` (or the file is loaded from here with ``AIRFLOW__CORE__DAGS_FOLDER``). It needs no
edit when an integration is added: the DAGs follow the project's schedules.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # orchestration/

from walkme_dags.factory import register

register(globals())
