"""The anomaly checks' reader on BigQuery (imported only on BigQuery targets, like dagster-gcp)."""

from dagster_gcp import BigQueryResource

from measure_dagster.defs.checks.anomaly import TrafficProfileRows


class BigQueryTrafficProfileReader(TrafficProfileRows):
    """Runs the anomaly checks' selects through dagster-gcp's BigQueryResource."""

    bigquery: BigQueryResource

    def rows(self, sql: str) -> list[dict]:
        with self.bigquery.get_client() as client:
            return [dict(row.items()) for row in client.query_and_wait(sql)]
