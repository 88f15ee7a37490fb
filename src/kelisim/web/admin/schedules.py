"""Admin: scheduled scans of the production site and the trend of their findings.

Editors and admins schedule a scan (target, interval, e-mail, webhook); everyone who sees Scans sees
the schedules and, per schedule, the finding counts of its runs, newest first, with how many were
new. The runner that scans is `kelisim scan schedule run` (kelisim.services.scheduled_scans). Page
texts are kept here, in the three admin languages, beside the view that uses them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from kelisim.services.schedules import MAX_INTERVAL_HOURS, ScheduleError, Schedules
from kelisim.web.admin.forms import ActionForm
from kelisim.web.admin.shell import bp, current_user, language, requires_role, services

TEXTS: dict[str, dict[str, str]] = {
    "title": {"ru": "Сканирование по расписанию", "kk": "Кесте бойынша сканерлеу",
              "en": "Scheduled scans"},
    "intro": {"ru": "Kelisim сканирует сайт по расписанию и сообщает о новых нарушениях по "
                    "e-mail и вебхуку.",
              "kk": "Kelisim сайтты кесте бойынша сканерлеп, жаңа бұзушылықтар туралы e-mail "
                    "және вебхук арқылы хабарлайды.",
              "en": "Kelisim scans the site on a schedule and reports new findings by e-mail "
                    "and webhook."},
    "target": {"ru": "Адрес сайта", "kk": "Сайт мекенжайы", "en": "Site URL"},
    "interval": {"ru": "Интервал (часов)", "kk": "Аралық (сағат)", "en": "Interval (hours)"},
    "email": {"ru": "E-mail для уведомлений", "kk": "Хабарлама e-mail", "en": "Notify e-mail"},
    "webhook": {"ru": "Вебхук (URL)", "kk": "Вебхук (URL)", "en": "Webhook URL"},
    "add": {"ru": "Добавить расписание", "kk": "Кесте қосу", "en": "Add schedule"},
    "next_run": {"ru": "Следующий запуск (UTC)", "kk": "Келесі іске қосу (UTC)",
                 "en": "Next run (UTC)"},
    "enabled": {"ru": "включено", "kk": "қосулы", "en": "on"},
    "disabled": {"ru": "выключено", "kk": "өшірулі", "en": "off"},
    "enable": {"ru": "Включить", "kk": "Қосу", "en": "Enable"},
    "disable": {"ru": "Выключить", "kk": "Өшіру", "en": "Disable"},
    "remove": {"ru": "Удалить", "kk": "Жою", "en": "Remove"},
    "trend": {"ru": "Нарушения по запускам", "kk": "Іске қосулар бойынша бұзушылықтар",
              "en": "Findings per run"},
    "started": {"ru": "Начало (UTC)", "kk": "Басталуы (UTC)", "en": "Started (UTC)"},
    "findings": {"ru": "Нарушения", "kk": "Бұзушылықтар", "en": "Findings"},
    "new": {"ru": "новые", "kk": "жаңа", "en": "new"},
    "change": {"ru": "изменение", "kk": "өзгеріс", "en": "change"},
    "notified": {"ru": "Уведомления", "kk": "Хабарламалар", "en": "Notified"},
    "no_runs": {"ru": "Ещё не запускалось.", "kk": "Әлі іске қосылмаған.", "en": "No runs yet."},
    "none": {"ru": "Расписаний нет.", "kk": "Кестелер жоқ.", "en": "No schedules."},
    "runner": {"ru": "Запуски выполняет команда kelisim scan schedule run (cron или systemd "
                     "timer, см. docs/operations.md).",
               "kk": "Іске қосуларды kelisim scan schedule run командасы орындайды (cron немесе "
                     "systemd timer, docs/operations.md).",
               "en": "Runs are made by kelisim scan schedule run (cron or a systemd timer, see "
                     "docs/operations.md)."},
    "error": {"ru": "Проверьте поля", "kk": "Өрістерді тексеріңіз", "en": "Check the fields"},
}  # fmt: skip


def st(key: str) -> str:
    return TEXTS[key].get(language(), TEXTS[key]["en"])


# The Scans page links here with this page's own title.
bp.add_app_template_global(st, "schedule_text")


class ScheduleForm(FlaskForm):
    target = StringField(validators=[DataRequired(), Length(max=2048)])
    interval_hours = IntegerField(
        default=24, validators=[DataRequired(), NumberRange(1, MAX_INTERVAL_HOURS)]
    )
    email = StringField(validators=[Optional(), Length(max=254)])
    webhook_url = StringField(validators=[Optional(), Length(max=2048)])


def schedules() -> Schedules:
    built = current_app.extensions.get("kelisim_schedules")
    if built is None:
        store = current_app.extensions["kelisim"].store
        built = Schedules(store.engine, store.write_engine)
        current_app.extensions["kelisim_schedules"] = built
    return built


def _page(form: ScheduleForm, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    store = schedules()
    items = []
    for schedule in store.all():
        runs = store.runs(schedule.id)
        trend = []
        for index, run in enumerate(runs):
            older = next((r for r in runs[index + 1 :] if r.findings is not None), None)
            change = None
            if run.findings is not None and older is not None:
                change = run.findings - (older.findings or 0)
            trend.append({"run": run, "change": change})
        items.append({"schedule": schedule, "trend": trend})
    user = current_user()
    body = render_template(
        "admin/schedules.html",
        st=st,
        form=form,
        errors=errors or {},
        schedule_items=items,
        action_form=ActionForm(),
        can_edit=user is not None and user.role in ("editor", "admin"),
    )
    return body, status


@bp.route("/scans/schedules", methods=["GET"])
@requires_role("viewer")
def scan_schedules() -> Any:
    return _page(ScheduleForm())


@bp.route("/scans/schedules", methods=["POST"])
@requires_role("editor")
def add_scan_schedule() -> Any:
    form = ScheduleForm()
    if not form.validate_on_submit():
        errors = {name: st("error") for name in form.errors} or {"target": st("error")}
        return _page(form, errors, 400)
    user = current_user()
    actor = user.username if user else "?"
    try:
        schedule_id = schedules().create(
            form.target.data or "",
            int(form.interval_hours.data or 0),
            form.email.data,
            form.webhook_url.data,
            actor,
        )
    except ScheduleError as error:
        return _page(form, error.errors, 400)
    services().audit.append(
        actor, "scan.schedule.add", f"schedule:{schedule_id}",
        after={"target": form.target.data, "interval_hours": form.interval_hours.data},
    )  # fmt: skip
    return redirect(url_for("admin.scan_schedules"), code=303)


@bp.route("/scans/schedules/<schedule_ref>/<action>", methods=["POST"])
@requires_role("editor")
def change_scan_schedule(schedule_ref: str, action: str) -> Any:
    if not schedule_ref.isdigit() or len(schedule_ref) > 12:
        abort(404)
    if action not in ("enable", "disable", "remove") or not ActionForm().validate_on_submit():
        abort(400)
    schedule_id = int(schedule_ref)
    store = schedules()
    if store.get(schedule_id) is None:
        abort(404)
    if action == "remove":
        store.remove(schedule_id)
    else:
        store.set_enabled(schedule_id, action == "enable")
    user = current_user()
    services().audit.append(
        user.username if user else "?", f"scan.schedule.{action}", f"schedule:{schedule_id}"
    )
    return redirect(url_for("admin.scan_schedules"), code=303)
