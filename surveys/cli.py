"""flask commands: init-db, create-user, create-token, revoke-token, load-demo, places, coverage,
indicators, webhooks, jobs."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from surveys import migrate
from surveys.administration import accounts
from surveys.db import session_scope
from surveys.errors import Problem
from surveys.models import Role, User


def _fail(problem: Problem) -> None:
    details = "; ".join(f"{field}: {text.en}" for field, text in problem.errors.items())
    raise click.ClickException(details or problem.message.en)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database to the latest schema (safe to run again)."""
    engine = current_app.extensions["phusong.engine"]
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    if before == after:
        click.echo(f"Database already at the latest revision ({after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--commune", "commune_slug", help="Commune slug (surveyor, staff).")
@click.option("--area", "area_slug",
              help="Province or group of communes slug (staff of a whole area).")
@click.option("--partner", "partner_slug", help="Partner organisation slug (partner).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", help="Display name.")
def create_user(username: str, role: str, commune_slug: str | None, area_slug: str | None,
                partner_slug: str | None, password: str, display_name: str | None) -> None:
    """Create a user with one role, scoped to a commune, a province or group of communes (staff),
    or a partner organisation."""
    try:
        with session_scope(current_app) as session:
            user = accounts.create_user(session, username, password, role,
                                        commune_slug=commune_slug, partner_slug=partner_slug,
                                        display_name=display_name, area_slug=area_slug)
            click.echo(f"Created {user.role} {user.username}.")
    except Problem as problem:
        _fail(problem)


@click.command("create-token")
@with_appcontext
@click.argument("username")
@click.option("--label", help="What the token is for, e.g. 'Viettel uploader'.")
def create_token(username: str, label: str | None) -> None:
    """Create an API token; the token alone is printed on the last line (shown only once)."""
    with session_scope(current_app) as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user {username}.")
        token, record = accounts.create_token(session, user, label, actor_label="cli")
        click.echo(f"Token {record.prefix}… for {user.username}; store it now, it is not kept.",
                   err=True)
        click.echo(token)


@click.command("revoke-token")
@with_appcontext
@click.argument("token_or_prefix")
def revoke_token(token_or_prefix: str) -> None:
    """Revoke a token, given in full or by the prefix create-token showed."""
    with session_scope(current_app) as session:
        count = accounts.revoke_token(session, token_or_prefix)
    if not count:
        raise click.ClickException("No active token matches.")
    click.echo(f"Revoked {count} token(s).")


@click.command("load-demo")
@with_appcontext
@click.option("--with-data", is_flag=True, help="Also generate synthetic submissions.")
@click.option("--seed", default=2026, show_default=True, help="Random seed for synthetic data.")
def load_demo(with_data: bool, seed: int) -> None:
    """Load the five demo communes, villages and users (idempotent). Refused in production."""
    if not current_app.config["ALLOW_DEMO_DATA"]:
        raise click.ClickException(
            "Demo data is disabled here. Set ALLOW_DEMO_DATA=true to load it (never in "
            "production: it creates users with published passwords).")
    from surveys import demo

    try:
        with session_scope(current_app) as session:
            report = demo.load_demo(session, with_data=with_data, seed=seed)
    except Problem as problem:
        _fail(problem)
    click.echo(report)


@click.group("places")
def places_group() -> None:
    """Provinces, groups of communes and communes."""


@places_group.command("import-province")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--slug", required=True, help="The province's slug, e.g. ha-tinh.")
@with_appcontext
def places_import_province(directory: str, slug: str) -> None:
    """Import a province (province.geojson) and its communes (communes/*.geojson): all or
    nothing, errors by file; a re-run updates by national code."""
    from pathlib import Path

    from surveys.places.province_import import import_province

    try:
        with session_scope(current_app) as session:
            result = import_province(session, Path(directory), slug)
            click.echo(result.report())
    except Problem as problem:
        _fail(problem)


@click.group("coverage")
def coverage() -> None:
    """Telecom partners' coverage measurements."""


@coverage.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--partner", "partner_slug", required=True, help="Partner organisation slug.")
@click.option("--format", "format_name", help="Format name; detected from the file when absent.")
@with_appcontext
def coverage_import(path: str, partner_slug: str, format_name: str | None) -> None:
    """Import a measurement file (streamed; one transaction: all of it or nothing)."""
    import os
    import sys

    from surveys.coverage.uploads import import_upload
    from surveys.models import Partner

    size = os.path.getsize(path)
    try:
        with session_scope(current_app) as session, open(path, "rb") as stream, \
                click.progressbar(length=size, label="Importing", file=sys.stderr) as bar:
            partner = session.scalar(select(Partner).where(Partner.slug == partner_slug))
            if partner is None:
                raise click.ClickException(f"No partner {partner_slug}.")
            last = [0]

            def progress(_done: object) -> None:
                position = stream.tell()
                bar.update(position - last[0])
                last[0] = position

            result = import_upload(session, partner, None, os.path.basename(path), stream,
                                   format_name=format_name, progress=progress,
                                   max_village_km=current_app.config["COVERAGE_VILLAGE_MAX_KM"],
                                   gzip_max_ratio=current_app.config["COVERAGE_GZIP_MAX_RATIO"])
            bar.update(size - last[0])
            upload = result.upload
            verb = "Imported" if result.created else "Already imported (same content)"
            click.echo(f"{verb}: upload {upload.id}, format {upload.format}: {upload.rows} rows, "
                       f"{upload.accepted} accepted, {upload.rejected} rejected, "
                       f"{upload.duplicates} duplicates, {upload.warnings} warnings.")
    except Problem as problem:
        _fail(problem)


@coverage.command("rebuild-rollups")
@with_appcontext
def coverage_rebuild_rollups() -> None:
    """Recompute every coverage rollup from the stored measurements (after an upgrade that
    changes the rollups, or to check them): one transaction, one upload at a time."""
    from surveys.coverage import rollups

    with session_scope(current_app) as session:
        uploads, rows = rollups.rebuild(session)
    click.echo(f"Rebuilt the rollups of {uploads} uploads: {rows} rows.")


@click.group("indicators")
def indicators_group() -> None:
    """Indicator rollups."""


@indicators_group.command("rebuild")
@click.option("--commune", "commune_slug", help="Only this commune (slug).")
@with_appcontext
def indicators_rebuild(commune_slug: str | None) -> None:
    """Recompute the indicator rollups from the stored submissions (they are kept up to date on
    every submission and review; this is for checks and repairs)."""
    from surveys.indicators import rollups as indicator_rollups
    from surveys.models import Commune

    with session_scope(current_app) as session:
        commune_id = None
        if commune_slug:
            commune = session.scalar(select(Commune).where(Commune.slug == commune_slug))
            if commune is None:
                raise click.ClickException(f"No commune {commune_slug}.")
            commune_id = commune.id
        counted = indicator_rollups.rebuild(session, commune_id)
    click.echo(f"Rebuilt the indicator rollups from {counted} counted households.")


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("deliver")
@click.option("--watch", is_flag=True, help="Keep delivering every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
@with_appcontext
def webhooks_deliver(watch: bool, interval: float) -> None:
    """Post the webhook deliveries that are due and schedule retries (run it as a worker)."""
    import time

    from surveys import webhooks

    while True:
        with session_scope(current_app) as session:
            attempted = webhooks.deliver_due(
                session, timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"],
                max_attempts=current_app.config["WEBHOOK_MAX_ATTEMPTS"],
                allow_loopback_http=current_app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"])
        if attempted or not watch:
            click.echo(f"Attempted {attempted} deliveries.")
        if not watch:
            return
        time.sleep(interval)


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: the imports of resumable coverage uploads."""


@jobs_group.command("work")
@click.option("--once", is_flag=True, help="Take at most one job, then stop (else keep working).")
@click.option("--interval", default=2.0, show_default=True,
              help="Seconds to wait when there is no job.")
@with_appcontext
def jobs_work(once: bool, interval: float) -> None:
    """Import queued coverage uploads, one at a time (run one or more as workers; several are
    safe on PostgreSQL, one works at a time on SQLite). Also removes expired upload sessions."""
    import time
    from datetime import timedelta
    from pathlib import Path

    from surveys.coverage import jobs, resumable

    config = current_app.config
    settings = jobs.WorkerSettings(
        upload_dir=Path(config["UPLOAD_DIR"]),
        lease=timedelta(seconds=config["COVERAGE_JOB_LEASE_SECONDS"]),
        max_attempts=config["COVERAGE_JOB_MAX_ATTEMPTS"],
        max_village_km=config["COVERAGE_VILLAGE_MAX_KM"],
        gzip_max_ratio=config["COVERAGE_GZIP_MAX_RATIO"])
    factory = current_app.extensions["phusong.sessionmaker"]
    while True:
        done = jobs.work_once(factory, settings)
        if done is not None:
            click.echo(f"Import job {done[0]}: {done[1]}.")
        else:
            with session_scope(current_app) as session:
                resumable.remove_expired(
                    session, settings.upload_dir,
                    timedelta(hours=config["COVERAGE_RESUMABLE_EXPIRY_HOURS"]))
        if once:
            if done is None:
                click.echo("No job to take.")
            return
        if done is None:
            time.sleep(interval)


def init_app(app: Flask) -> None:
    for command in (init_db, create_user, create_token, revoke_token, load_demo, places_group,
                    coverage,
                    indicators_group, webhooks_group, jobs_group):
        app.cli.add_command(command)
