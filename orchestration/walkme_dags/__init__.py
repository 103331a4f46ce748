"""Airflow DAGs for the WalkMe Insights → Salesforce Meltano project, generated from its schedules.

- :mod:`walkme_dags.project` reads the schedules and jobs from the project file (no Airflow);
- :mod:`walkme_dags.pools` names the per-org pools and writes them for ``airflow pools import``;
- :mod:`walkme_dags.alerting` is the failure callback (the manager's alert hook);
- :mod:`walkme_dags.factory` builds one DAG per integration schedule and environment.
"""
