"""gunicorn's settings for this app, read by gunicorn from the directory it is started in (make serve, the load test,
the tests' servers); the command line's own options (workers, bind) come on top."""


def post_worker_init(worker):
    """Each worker compiles the panel's templates before its first request (ops.warm_up), so that the first pages
    after a start or a restart are as fast as the rest."""
    from ops import warm_up

    warm_up(worker.wsgi)
