"""A model's columns as a user knows them: a foreign key by the row it points to, a value as it is shown, and the
details page's columns in the table's own order."""
from __future__ import annotations

from sqlalchemy import inspect

def details_columns(model, excluded) -> list[str]:
    """The details page in the table's own column order, a foreign key shown as the row it points to."""
    mapper = inspect(model)
    names = []
    for column in model.__table__.columns:
        if column.key in ("id", "version") or column.key in excluded:
            continue
        rel = relationship_for(mapper, column)
        names.append(rel.key if rel is not None else mapper.get_property_by_column(column).key)
    names += [rel.key for rel in mapper.relationships if rel.secondary is not None and rel.key not in excluded]
    return [n for n in names if n not in excluded]

def relationship_for(mapper, column):
    """The many-to-one relationship that a foreign-key column backs, if any."""
    return next((rel for rel in mapper.relationships if column in rel.local_columns and rel.direction.name == "MANYTOONE"), None)

def column_value(model, mapper, column):
    """A column's value, read through its relationship when only the related object has been set."""
    value = getattr(model, mapper.get_property_by_column(column).key)
    rel = relationship_for(mapper, column)
    if value is None and rel is not None:
        related = getattr(model, rel.key)
        value = related.id if related is not None else None
    return value

def attribute_for(mapper, column) -> str:
    """The attribute a user knows a column by: the relationship for a foreign key, else the column itself."""
    rel = relationship_for(mapper, column)
    return rel.key if rel is not None else mapper.get_property_by_column(column).key

def shown_value(model, mapper, column) -> str:
    """A column's value as a user would recognise it."""
    rel = relationship_for(mapper, column)
    return str(getattr(model, rel.key) if rel is not None else column_value(model, mapper, column))
