"""Form parts shared by views; each applies a rule of the model layer and says what is wrong in Chinese."""
from decimal import Decimal

from markupsafe import Markup, escape

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import BaseForm, Select2Field
from flask_login import current_user
from sqlalchemy import func, select
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from wtforms import PasswordField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from models import Term, db
from models.periods import date_refusal
from models.scope import scope_query
from models.text import refusal
from models.uscc import uscc_error


def credit_code_validator(form, field) -> None:
    """Refuse an invalid 统一社会信用代码 with the model layer's Chinese message."""
    value = (field.data or "").strip().upper()
    error = uscc_error(value) if value else None
    if error:
        raise ValidationError(error)


def plain_text(form, field) -> None:
    """Refuse text with a control character that no report could carry (models.text)."""
    message = refusal(f"“{field.label.text}”", field.data)
    if message:
        raise ValidationError(message)


def within_calendar(form, field) -> None:
    """Refuse a date outside the calendar the system keeps (0001-01-01, a typed 0024 for 2024)."""
    message = date_refusal(field.data)
    if message:
        raise ValidationError(message)


class CheckedForm(BaseForm):
    """Every form of the panel: on top of its fields' own checks, no text field may hold a control character
    (passwords excepted: they are hashed, never shown or exported). The message stands under the field. A refused
    field is refused before its other checks run, as some of them ask the database (a unique name), which may not
    even take the value (PostgreSQL refuses text with a NUL byte)."""

    def validate(self, extra_validators=None) -> bool:
        silenced = {}  # fields whose submitted text is refused: their own checks do not run
        for field in self:
            raw = [v for v in (field.raw_data or ()) if isinstance(v, str)]
            if not isinstance(field, PasswordField) and any(refusal("", v) for v in raw):
                silenced[field.name] = field.validators
                field.validators = ()
        try:
            valid = super().validate(extra_validators)
        finally:
            for name, validators in silenced.items():
                self[name].validators = validators
        for field in self:
            message = None if isinstance(field, PasswordField) else refusal(f"“{field.label.text}”", field.data)
            if message is None and field.name in silenced:
                message = next(refusal(f"“{field.label.text}”", v) for v in field.raw_data if refusal("", v))
            if message:
                field.errors = [*field.errors, message]
                valid = False
        return valid


INVALID_CHOICE = "这个选项无效：所选记录不存在，或不在您的权限范围内。请从下拉列表中重新选择。"


class OneKnownRow:
    """For a field of one related row: an id it cannot find among those the user may use is refused, rather than
    stored as nothing (Flask-Admin's fields, when the relation may be empty, silently store NULL)."""

    def pre_validate(self, form) -> None:
        self.data  # look the submitted id up
        if self._formdata not in (None, "", "__None"):
            raise StopValidation(INVALID_CHOICE)  # the reason, not a later "required"
        super().pre_validate(form)


class KnownRows:
    """For a field of several related rows: one id it cannot find refuses the whole selection (Flask-Admin's fields
    check before they have looked the ids up, and drop the unknown ones)."""

    def pre_validate(self, form) -> None:
        if self._formdata:
            self._formdata.discard("")  # nothing chosen
        self.data
        if self._invalid_formdata:
            raise StopValidation(INVALID_CHOICE)
        super().pre_validate(form)


class ScopedSelect(OneKnownRow, QuerySelectField):
    """A dropdown of the related rows the user may see. Its empty choice reads blank: WTForms 3.3 shows an empty
    label as the choice's value, Flask-Admin's "__None"."""

    def __init__(self, *args, blank_text: str = " ", **kwargs):
        super().__init__(*args, blank_text=blank_text, **kwargs)


class ScopedSelectMultiple(KnownRows, QuerySelectMultipleField):
    """A multiple dropdown of the related rows the user may see."""


class ScopedAjaxSelect(OneKnownRow, AjaxSelectField):
    """A searchable related row, looked up among those the user may see (SafeAjaxLoader)."""


class ScopedAjaxSelectMultiple(KnownRows, AjaxSelectMultipleField):
    """Several searchable related rows, each looked up among those the user may see."""


class WithinRange:
    """A number the database can store: finite, and within the column's range (an integer of 32 bits, a decimal of
    its precision). Beyond it, the database would refuse with an internal message; so it is checked first and stops
    the checks after it (a unique column's asks the database)."""

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        if isinstance(value, Decimal) and not value.is_finite():
            raise StopValidation("请输入一个有效的数值。")
        if not -self.limit <= value <= self.limit:
            raise StopValidation(f"数值超出范围：应在 {-self.limit} 与 {self.limit} 之间。")


def term_names(vocabulary: str) -> list[str]:
    """The terms in use of `vocabulary` in the campaigns the current user may see (models.terms), in their order."""
    query = (select(Term.value).where(Term.vocabulary == vocabulary, Term.retired == False)  # noqa: E712 (SQL)
             .group_by(Term.value).order_by(func.min(Term.position), Term.value))
    return list(db.session.scalars(scope_query(query, Term, current_user)))


class TermSelect(Select2Field):
    """A term of a campaign's vocabulary (models.terms): the terms in use in the user's campaigns, and the row's own
    value even when retired. The model layer checks, before saving, that the term is the row's campaign's."""

    def __init__(self, label=None, validators=None, vocabulary: str = "", **kwargs):
        kwargs.setdefault("blank_text", "请选择")
        super().__init__(label, validators, choices=[], **kwargs)
        self.vocabulary = vocabulary

    def process(self, formdata, data=unset_value, **kwargs):
        super().process(formdata, data, **kwargs)
        names = term_names(self.vocabulary)
        self.choices = [(name, name) for name in names]
        kept = self.object_data
        if kept and kept not in names:
            self.choices.append((kept, f"{kept}（已停用）"))

    def pre_validate(self, form) -> None:
        if self.data is None and self.allow_blank:
            return
        if self.data not in [value for value, _ in self.choices]:
            raise StopValidation(f"“{self.data}”不是可选的{self.vocabulary}，请从下拉列表中选择。")


class InlineRadios:
    """Radio buttons side by side, as Bootstrap's form-check-inline (WTForms' own widget is a bulleted list, and the
    panel's form macro would draw a text box around it)."""

    def __call__(self, field, **kwargs):
        parts = []
        for index, (value, label, checked, _) in enumerate(field.iter_choices()):
            pk = f"{field.id}-{index}"
            parts.append(f'<div class="form-check form-check-inline"><input class="form-check-input" type="radio" '
                         f'name="{escape(field.name)}" id="{escape(pk)}" value="{escape(value)}"{" checked" if checked else ""}>'
                         f'<label class="form-check-label" for="{escape(pk)}">{escape(label)}</label></div>')
        return Markup(f'<div id="{escape(field.id)}">{"".join(parts)}</div>')
