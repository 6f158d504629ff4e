"""Bounded dbt artifacts: prune the folders dagster-dbt leaves in dbt_project/target/.

Every dbt invocation through dagster-dbt writes its manifest, run results and logs into a folder
of its own, `target/<op>-<run id[:7]>-<uuid[:7]>/` (`target/<uuid[:7]>/` without a run), and
never removes it: about 4 MB each here, two invocations a day, so gigabytes a year. Before each
invocation the dbt resource (resources.ProjectDbtCliResource.cli) calls prune_dbt_artifacts:

- the MEASURE_DBT_ARTIFACTS_KEEP newest folders stay (default 20; keep it above the dbt
  invocations that can run at the same time, two per run: a concurrent run's folder must not go);
- with MEASURE_DBT_ARTIFACTS_KEEP_DAYS set (default 0: off), every folder younger than that many
  days stays too;
- the folders of the current run, and of the run that wrote the newest folder, always stay.

Only folders of that name form directly under target/ are touched (never manifest.json,
partial_parse.msgpack, compiled/, run/ of a plain `dbt` call). By hand:
`python -m measure_dagster.artifacts [--keep N] [--keep-days D] [--dry-run]`.
"""

import argparse
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from measure_dagster import settings
from measure_dagster.settings import DBT_PROJECT_DIR

DEFAULT_KEEP = settings.DEFAULT_DBT_ARTIFACTS_KEEP
# <op name>-<run id[:7]>-<uuid[:7]>, or <uuid[:7]> for an invocation without a Dagster context
INVOCATION_FOLDER = re.compile(r"(?:(?P<op>[A-Za-z0-9_]+)-(?P<run>[0-9a-f]{7})-)?(?P<uuid>[0-9a-f]{7})")


def keep_setting() -> int:
    return settings.dbt_artifacts_keep()


def keep_days_setting() -> int:
    return settings.dbt_artifacts_keep_days()


@dataclass(frozen=True)
class InvocationFolder:
    path: Path
    run: str | None
    modified: float


def invocation_folders(target_dir: Path) -> list[InvocationFolder]:
    """dagster-dbt's invocation folders under target_dir, newest first."""
    found = []
    if not target_dir.is_dir():
        return found
    for path in target_dir.iterdir():
        match = INVOCATION_FOLDER.fullmatch(path.name)
        if match and path.is_dir() and not path.is_symlink():
            found.append(InvocationFolder(path, match.group("run"), path.stat().st_mtime))
    return sorted(found, key=lambda folder: (folder.modified, folder.path.name), reverse=True)


def folders_to_prune(folders: list[InvocationFolder], *, keep: int, keep_days: int, now: float,
                     current_run: str | None = None) -> list[InvocationFolder]:
    """What prune_dbt_artifacts removes from `folders` (newest first)."""
    protected_runs = {current_run[:7]} if current_run else set()
    if folders and folders[0].run:
        protected_runs.add(folders[0].run)
    young = now - keep_days * 86400
    return [
        folder for rank, folder in enumerate(folders)
        if rank >= keep and folder.run not in protected_runs and not (keep_days and folder.modified >= young)
    ]


def directory_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file() and not file.is_symlink())


def prune_dbt_artifacts(target_dir: Path | None = None, *, keep: int | None = None, keep_days: int | None = None,
                        current_run: str | None = None, now: float | None = None, dry_run: bool = False) -> list[Path]:
    """Remove the invocation folders beyond the settings; returns the removed folders."""
    target_dir = target_dir or DBT_PROJECT_DIR / "target"
    doomed = folders_to_prune(
        invocation_folders(target_dir),
        keep=keep_setting() if keep is None else keep,
        keep_days=keep_days_setting() if keep_days is None else keep_days,
        now=time.time() if now is None else now,
        current_run=current_run,
    )
    if not dry_run:
        for folder in doomed:
            # a folder another process removes meanwhile is not an error
            shutil.rmtree(folder.path, ignore_errors=True)
    return [folder.path for folder in doomed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prune dagster-dbt's invocation folders in dbt_project/target/.")
    parser.add_argument("--target-dir", type=Path, default=DBT_PROJECT_DIR / "target")
    parser.add_argument("--keep", type=int, default=None,
                        help=f"newest folders kept (default MEASURE_DBT_ARTIFACTS_KEEP or {DEFAULT_KEEP})")
    parser.add_argument("--keep-days", type=int, default=None, help="folders younger than this many days kept too")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    before = directory_bytes(args.target_dir) if args.target_dir.is_dir() else 0
    removed = prune_dbt_artifacts(args.target_dir, keep=args.keep, keep_days=args.keep_days, dry_run=args.dry_run)
    after = directory_bytes(args.target_dir) if args.target_dir.is_dir() else 0
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(removed)} folders; {args.target_dir}: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
