"""Form parts shared by views; each applies a rule of the model layer and says what is wrong in Chinese."""
from flask_admin.form import BaseForm
from wtforms import PasswordField
from wtforms.validators import ValidationError

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
    message = refusal("此项", field.data)
    if message:
        raise ValidationError(message)


class CheckedForm(BaseForm):
    """Every form of the panel: on top of its fields' own checks, no text field may hold a control character
    (passwords excepted: they are hashed, never shown or exported). The message stands under the field."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            message = None if isinstance(field, PasswordField) else refusal(f"“{field.label.text}”", field.data)
            if message:
                field.errors = [*field.errors, message]
                valid = False
        return valid
