"""Bounded disk: dbt artifact folders pruned (artifacts.py), old runs deleted (retention.py)."""

import os
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from measure_dagster.artifacts import invocation_folders, prune_dbt_artifacts
from measure_dagster.defs.schedules.retention import purge_old_runs, retention_days


def _folder(target, name, age_days, now):
    path = target / name
    path.mkdir()
    (path / "run_results.json").write_text("{}")
    os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    return path


def test_pruning_keeps_the_newest_the_young_and_the_latest_run(tmp_path):
    now = 1_800_000_000.0
    # newest first: run aaaaaaa (2 folders, newest), bbbbbbb, ccccccc, a folder without a run, ddddddd (old)
    names = [("dbt_partitioned_models-aaaaaaa-1111111", 0.1), ("dbt_full_history_models-aaaaaaa-2222222", 0.2),
             ("dbt_partitioned_models-bbbbbbb-3333333", 1), ("dbt_full_history_models-ccccccc-4444444", 2),
             ("5555555", 3), ("dbt_partitioned_models-ddddddd-6666666", 10)]
    for name, age in names:
        _folder(tmp_path, name, age, now)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "compiled").mkdir()
    assert [f.path.name for f in invocation_folders(tmp_path)] == [name for name, _ in names]

    # keep 1: the newest folder's run keeps both its folders; the current run's folder stays too
    removed = prune_dbt_artifacts(tmp_path, keep=1, keep_days=0, current_run="ccccccc-rest-of-id", now=now)
    assert sorted(p.name for p in removed) == ["5555555", "dbt_partitioned_models-bbbbbbb-3333333",
                                               "dbt_partitioned_models-ddddddd-6666666"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compiled", "dbt_full_history_models-aaaaaaa-2222222",
                                                         "dbt_full_history_models-ccccccc-4444444",
                                                         "dbt_partitioned_models-aaaaaaa-1111111", "manifest.json"]


def test_pruning_by_age(tmp_path):
    now = 1_800_000_000.0
    for index, age in enumerate([0.5, 1.5, 4, 8]):
        _folder(tmp_path, f"dbt_partitioned_models-{index:07d}-abcdef{index}", age, now)
    removed = prune_dbt_artifacts(tmp_path, keep=1, keep_days=5, now=now)
    assert [p.name for p in removed] == ["dbt_partitioned_models-0000003-abcdef3"]


def test_bad_retention_settings_are_named(monkeypatch):
    monkeypatch.setenv("MEASURE_DAGSTER_RUN_RETENTION_DAYS", "soon")
    with pytest.raises(ValueError, match="MEASURE_DAGSTER_RUN_RETENTION_DAYS"):
        retention_days()
    monkeypatch.setenv("MEASURE_DBT_ARTIFACTS_KEEP", "0")
    with pytest.raises(ValueError, match="MEASURE_DBT_ARTIFACTS_KEEP"):
        prune_dbt_artifacts()


def test_old_runs_go_except_those_holding_the_latest_materialization():
    partitions = dg.DailyPartitionsDefinition(start_date="2026-10-01")

    @dg.asset(partitions_def=partitions)
    def daily():
        return 1

    @dg.asset
    def whole():
        return 1

    @dg.op
    def noop():
        return None

    @dg.job
    def other():
        noop()

    with dg.instance_for_test() as instance:
        def materialize(assets, key=None):
            return dg.materialize(assets, instance=instance, partition_key=key).run_id

        superseded = materialize([daily], "2026-10-01")
        latest_day1 = materialize([daily], "2026-10-01")
        latest_day2 = materialize([daily], "2026-10-02")
        superseded_whole = materialize([whole])
        latest_whole = materialize([whole])
        unrelated = other.execute_in_process(instance=instance).run_id

        assert purge_old_runs(instance, days=90) == []  # nothing is 90 days old
        deleted = purge_old_runs(instance, days=1, now=datetime.now(timezone.utc) + timedelta(days=2))
        assert sorted(deleted) == sorted([superseded, superseded_whole, unrelated])
        assert sorted(r.run_id for r in instance.get_runs()) == sorted([latest_day1, latest_day2, latest_whole])
        assert instance.get_materialized_partitions(daily.key) == {"2026-10-01", "2026-10-02"}
