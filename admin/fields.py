"""Form validators shared by views; each wraps a rule from the model layer."""
from wtforms.validators import ValidationError

from models.uscc import uscc_error


def credit_code_validator(form, field) -> None:
    """Refuse an invalid 统一社会信用代码 with the model layer's Chinese message."""
    value = (field.data or "").strip().upper()
    error = uscc_error(value) if value else None
    if error:
        raise ValidationError(error)
