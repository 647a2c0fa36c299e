"""Forms of the model views: relationship dropdowns that offer and accept only the rows the user may see, numbers
and dates the database can store, defaults from the user's scope on a new form, the version the user started from
on an edit, and a start-up check that no form offers a column the system or the workflow keeps."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, request
from werkzeug.datastructures import MultiDict
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_login import current_user
from wtforms import HiddenField
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

from models import Problem, db, local_now
from models.base import CampaignOwnedMixin
from models.workflow import WORKFLOW_COLUMNS

from .campaigns import user_campaigns
from .errors import check_unique, stale_message
from .fields import (ScopedAjaxSelect, ScopedAjaxSelectMultiple, ScopedSelect, ScopedSelectMultiple, TermSelect, WithinRange,
                     within_calendar)
from .scoping import scoped

MAX_INTEGER = 2**31 - 1  # an INTEGER column on every database
# Columns the system keeps (version counters, timestamps, sequences, hashes): never a form field, for anyone.
INTERNAL_COLUMNS = frozenset({"id", "version", "created_at", "updated_at", "last_problem_seq", "urgency",
                              "password_hash", "last_login_at", "last_progress_at"})


class ScopedModelConverter(AdminModelConverter):
    """Relationship fields offer, and accept, only the rows the current user may see; numbers stay within what the
    database can store."""

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        loader = getattr(self.view, "_form_ajax_refs", {}).get(prop.key)
        if loader is not None:  # searchable: scoped by its loader
            return (ScopedAjaxSelectMultiple if multiple else ScopedAjaxSelect)(loader, **kwargs)
        kwargs.setdefault("query_factory", lambda: scoped(remote_model, db.session.query(remote_model)))
        return (ScopedSelectMultiple if multiple else ScopedSelect)(**kwargs)

    def _get_field_override(self, name: str):
        """A column that holds a term of a vocabulary (models.terms) is a dropdown of the terms."""
        column = self.view.model.__table__.columns.get(name)
        vocabulary = column.info.get("vocabulary") if column is not None else None
        if vocabulary is not None and name not in (getattr(self.view, "form_overrides", None) or {}):
            return lambda **kwargs: TermSelect(vocabulary=vocabulary, allow_blank=column.nullable, **kwargs)
        return super()._get_field_override(name)

    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        field_args["validators"].insert(0, WithinRange(MAX_INTEGER))  # before Flask-Admin's Unique (a query)
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args["validators"].append(within_calendar)
        return super().convert_date(field_args=field_args, **extra)

    @converts("DateTime")
    def convert_datetime(self, field_args, **extra):
        field_args["validators"].append(within_calendar)
        return super().convert_datetime(field_args=field_args, **extra)

    @converts("Numeric")
    def handle_decimal_types(self, column, field_args, **extra):
        digits = (column.type.precision or 15) - (column.type.scale or 0)
        field_args["validators"].insert(0, WithinRange(Decimal(10) ** digits - 1))
        return super().handle_decimal_types(column=column, field_args=field_args, **extra)


def one_campaign():
    """The user's campaign when they may see only one (a new form need not ask for it), else None."""
    campaigns = user_campaigns()
    return campaigns[0] if len(campaigns) == 1 else None


# What a new form starts from, by field name: the user's scope (their group, as 收集工作组 too; the person they are,
# as 收集人) and the day (a date field: today; a date-and-time field: now).
DEFAULTS = {
    "campaign": lambda user: user.campaign,
    "body": lambda user: user.body,
    "collected_by_body": lambda user: user.body,
    "collected_by_person": lambda user: user.person,
}
TODAY, NOW = (lambda user: local_now().date()), (lambda user: local_now().replace(second=0, microsecond=0))


class VersionedForms(ModelView):
    """Create and edit forms: a new row starts in the user's scope and on today's date, without asking for the
    campaign when the user has only one; an edit carries the version it was opened at (a save over a newer version is
    refused, saying who changed what), and a saved row must stay in the user's scope."""

    create_defaults = ("campaign", "body", "collected_by_body", "collected_by_person")  # from DEFAULTS, on a new form
    today_defaults: tuple[str, ...] = ()  # the date (or date-and-time) fields a new form fills with today (now)
    args_defaults: tuple[str, ...] = ()  # the fields a new form may take from its URL (?kind=…: the desk's 填报 link)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if "version" in self.model.__table__.c:
            form_class.version_token = HiddenField()
        return form_class

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if "campaign" in form and self.owned() and one_campaign() is not None:
            del form["campaign"]  # nothing to choose: build_new_instance puts the row in the user's one campaign
        if request.method == "GET":
            for name in self.create_defaults:
                value = DEFAULTS[name](current_user) if name in form and form[name].data is None else None
                if value is not None:
                    form[name].data = value
            for name in self.today_defaults:
                if name in form and form[name].data is None:
                    form[name].data = (NOW if form[name].type == "DateTimeField" else TODAY)(current_user)
            for name in self.args_defaults:
                if name in form and request.args.get(name):
                    form[name].process(MultiDict([(name, request.args[name])]))  # read as it would be typed
                    if form[name].process_errors:  # not a value of the field: left empty
                        form[name].process(None)
                        form[name].raw_data = None
        return form

    def owned(self) -> bool:
        """Whether the view's rows each belong to one campaign (models.base.CampaignOwnedMixin)."""
        return issubclass(self.model, CampaignOwnedMixin)

    def build_new_instance(self):
        model = super().build_new_instance()
        campaign = one_campaign() if self.owned() else None
        if campaign is not None:
            model.campaign = campaign
        return model

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None and hasattr(form, "version_token"):
            form.version_token.data = obj.version
        return form

    def update_model(self, form, model) -> bool:
        if hasattr(form, "version_token"):
            token = str(form.version_token.data or "")
            if token != str(model.version):
                flash(stale_message(model, token, self.column_labels), "error")
                return False
            del form.version_token
        return super().update_model(form, model)

    def on_model_change(self, form, model, is_created: bool) -> None:
        check_unique(model, self.column_labels)
        db.session.flush()
        writable = scoped(self.model, db.session.query(self.model.id), write=True).filter(self.model.id == model.id).first()
        if writable is None:
            raise ValidationError("保存失败：该记录不在您的权限范围内（例如属于其他工作组、单位或专项行动）。")


def form_fields(view) -> set[str]:
    """The fields of a view's create and edit forms."""
    return {name for form_class in (view._create_form_class, view._edit_form_class)
            for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)}


def check_forms(views) -> None:
    """Refuse to start when a form would offer a column the system keeps, or a column of a problem that only the
    workflow changes (models.workflow.WORKFLOW_COLUMNS): a screen could otherwise step around the workflow."""
    for view in views:
        fields = form_fields(view)
        internal = fields & INTERNAL_COLUMNS
        owned = fields & WORKFLOW_COLUMNS if view.model is Problem else set()
        if internal:
            raise RuntimeError(f"视图 {view.endpoint} 的表单含有系统维护的内部字段：{sorted(internal)}")
        if owned:
            raise RuntimeError(f"视图 {view.endpoint} 的表单含有只能由办理流程修改的字段：{sorted(owned)}")

