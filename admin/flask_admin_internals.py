"""What the panel takes from Flask-Admin's inside, in one list: the private methods it overrides and the private
attributes it reads. Flask-Admin promises none of them; tests/test_flask_admin_internals.py checks, against the
version pinned in requirements.txt, that each is still there with the parameters written here, so that an upgrade
that moves one fails loudly there rather than quietly in a screen.
"""
from __future__ import annotations

FLASK_ADMIN_VERSION = "2.2.1"

# (class, private method): the parameters the override relies on, where it is overridden
OVERRIDDEN = {
    ("flask_admin.contrib.sqla.view.ModelView", "_handle_view"): (("self", "name", "kwargs"), "admin.secure.SecureModelView"),
    ("flask_admin.contrib.sqla.view.ModelView", "_apply_search"): (
        ("self", "query", "count_query", "joins", "count_joins", "search"), "admin.listing.PagedList"),
    ("flask_admin.contrib.sqla.view.ModelView", "_apply_sorting"): (
        ("self", "query", "joins", "sort_column", "sort_desc"), "admin.ledger.ProblemView"),
    ("flask_admin.contrib.sqla.view.ModelView", "_get_list_extra_args"): (("self",), "admin.listing.ListArguments"),
    ("flask_admin.contrib.sqla.view.ModelView", "_get_list_filter_args"): (("self",), "admin.listing.ListArguments"),
    ("flask_admin.contrib.sqla.view.ModelView", "_get_filter_groups"): (("self",), "admin.listing.ListArguments"),
    ("flask_admin.contrib.sqla.view.ModelView", "_create_ajax_loader"): (("self", "name", "options"),
                                                                         "admin.secure.SecureModelView"),
    ("flask_admin.contrib.sqla.form.AdminModelConverter", "_model_select_field"): (
        ("self", "prop", "multiple", "remote_model", "kwargs"), "admin.forms.ScopedModelConverter"),
    # a column holding a term of a vocabulary becomes a dropdown of the terms (models.terms)
    ("flask_admin.contrib.sqla.form.AdminModelConverter", "_get_field_override"): (
        ("self", "name"), "admin.forms.ScopedModelConverter"),
}

# (class, private attribute or method): where the panel reads or calls it
READ = {
    ("flask_admin.contrib.sqla.view.ModelView", "_get_column_by_idx"): "admin.ledger.ProblemView.annex2_view",
    ("flask_admin.contrib.sqla.view.ModelView", "_list_columns"): (
        "admin.listing.ListArguments._get_list_extra_args; admin.ledger.ProblemView makes it a property (the compact "
        "columns or 附件2 全列, per user), which Flask-Admin's _refresh_cache sets and its list, sort and export read"),
    ("flask_admin.contrib.sqla.view.ModelView", "_filters"): "admin.listing.ListArguments.filter_options",
    ("flask_admin.contrib.sqla.view.ModelView", "_filter_args"): "tests (the fuzz test's filter parameters)",
    ("flask_admin.contrib.sqla.view.ModelView", "_form_ajax_refs"): "admin.forms.ScopedModelConverter",
    ("flask_admin.contrib.sqla.view.ModelView", "_auto_joins"): "admin.listing.PagedList.get_list",
    ("flask_admin.contrib.sqla.view.ModelView", "_create_form_class"): "admin.forms.form_fields",
    ("flask_admin.contrib.sqla.view.ModelView", "_edit_form_class"): "admin.forms.form_fields",
    ("flask_admin.base.Admin", "_views"): "admin.init_app (the start-up checks)",
    ("flask_admin.contrib.sqla.fields.QuerySelectField", "_formdata"): "admin.fields.OneKnownRow",
    ("flask_admin.contrib.sqla.fields.QuerySelectMultipleField", "_invalid_formdata"): "admin.fields.KnownRows",
    ("flask_admin.model.fields.AjaxSelectField", "_formdata"): "admin.fields.OneKnownRow",
    ("flask_admin.model.fields.AjaxSelectMultipleField", "_invalid_formdata"): "admin.fields.KnownRows",
    ("flask_admin.babel", "domain"): "admin.i18n.prefer_our_catalogue (gives it our catalogue's precedence)",
    ("flask_admin.babel.CustomDomain", "translation_directories"): "admin.i18n.OursLastDomain (reads them in reverse)",
}
