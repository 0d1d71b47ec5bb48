"""/communes/SLUG/admin/villages: a commune's villages, one by one or imported from a CSV or GeoJSON
file (surveys/places/villages.py)."""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import Session

from forms.admin import VillageForm, VillageImportForm
from surveys.db import get_session
from surveys.errors import Problem, Text
from surveys.models import Commune, User
from surveys.places import village_imports
from surveys.places import villages as village_service
from surveys.views.admin.common import acting_user, admin_commune, bp, render_page
from surveys.views.errors import wants_json
from surveys.views.use_cases import run


def _villages_page(commune: Commune, form: VillageForm, import_form: VillageImportForm, *,
                   ok: bool = True, issues: list[dict[str, Any]] | None = None,
                   import_message: str | None = None) -> ResponseReturnValue:
    villages = village_service.villages_of(get_session(), commune.id, with_boundary=True)
    return render_page("admin/villages.html", commune, ok=ok, tab="villages", villages=villages,
                       form=form, import_form=import_form, issues=issues or [],
                       import_message=import_message)


@bp.route("/communes/<slug>/admin")
@login_required
def home(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    return redirect(url_for("admin.villages", slug=commune.slug))


@bp.route("/communes/<slug>/admin/villages", methods=["GET", "POST"])
@login_required
def villages(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    form = VillageForm()
    if form.validate_on_submit():
        if run(village_service.create_village, commune, form.payload(), actor=acting_user(),
               form=form).ok:
            flash(_("Village saved."))
            return redirect(url_for("admin.villages", slug=slug))
        return _villages_page(commune, form, VillageImportForm(formdata=None), ok=False)
    return _villages_page(commune, form, VillageImportForm(formdata=None))


def _is_geojson(filename: str, head: bytes) -> bool:
    if filename.lower().endswith((".geojson", ".json")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _import_file(session: Session, commune: Commune, actor: User, filename: str,
                 stream: BinaryIO) -> village_imports.ImportResult:
    head = stream.read(64)
    stream.seek(0)
    if _is_geojson(filename, head):
        return village_imports.import_geojson(session, commune, stream.read(), actor=actor,
                                              filename=filename)
    return village_imports.import_csv(session, commune, stream, actor=actor, filename=filename)


@bp.post("/communes/<slug>/admin/villages/import")
@login_required
def import_villages(slug: str) -> ResponseReturnValue:
    commune = admin_commune(slug)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        problem = Problem("422.1", errors={"file": Text("Hãy chọn một tệp CSV hoặc GeoJSON.",
                                                        "Choose a CSV or GeoJSON file.")})
        if wants_json():
            raise problem
        import_form = VillageImportForm()
        import_form.file.errors = [problem.errors["file"].get(str(get_locale()))]
        return _villages_page(commune, VillageForm(formdata=None), import_form, ok=False)
    import_form = VillageImportForm()
    outcome = run(_import_file, commune, acting_user(), upload.filename, upload.stream,
                  form=import_form)
    if outcome.problem is not None:
        # The file's rows at fault are listed; without them, every message goes by the file field.
        problem, locale = outcome.problem, str(get_locale())
        import_form.form_errors = []
        import_form.file.errors = ([m.get(locale) for m in problem.errors.values()]
                                   if problem.errors and not outcome.details else [])
        return _villages_page(commune, VillageForm(formdata=None), import_form, ok=False,
                              issues=outcome.details, import_message=problem.message.get(locale))
    result = outcome.value
    assert result is not None
    if wants_json():
        return {"created": result.created, "updated": result.updated,
                "ignored_columns": result.ignored_columns}
    flash(_("Imported: %(created)s new and %(updated)s updated villages.",
            created=len(result.created), updated=len(result.updated)))
    if result.ignored_columns:
        flash(_("Columns not used: %(columns)s.", columns=", ".join(result.ignored_columns)))
    return redirect(url_for("admin.villages", slug=slug))


@bp.route("/communes/<slug>/admin/villages/<int:village_id>", methods=["GET", "POST"])
@login_required
def village(slug: str, village_id: int) -> ResponseReturnValue:
    commune = admin_commune(slug)
    db = get_session()
    found = village_service.commune_village(db, commune, village_id)
    form = VillageForm()
    if form.validate_on_submit():
        if run(village_service.update_village, found, form.payload(), actor=acting_user(),
               form=form).ok:
            flash(_("Village saved."))
            return redirect(url_for("admin.villages", slug=slug))
        return render_page("admin/village_edit.html", commune, ok=False, tab="villages", form=form,
                           village=found)
    form.fill(found)
    return render_page("admin/village_edit.html", commune, tab="villages", form=form, village=found)


