"""The application factory: `flask --app app …` finds `create_app` here."""
from flask import Flask

import admin
import config
import documents
import exports
import imports
import ops
import ops.assets
import portal
import seeds
from models import db, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration, database, login, admin panel and CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    config.load(app, test_config)
    db.init_app(app)
    migrate.init_app(app, db)
    admin.init_app(app)
    seeds.init_app(app)
    exports.init_app(app)
    documents.init_app(app)
    imports.init_app(app)
    ops.init_app(app)
    portal.init_app(app)
    ops.assets.init_app(app)  # last: it fingerprints the static files of every blueprint registered before it
    return app
