from tests.worker.fixtures import celery_worker, celery_worker_factory  # noqa: F401  (fixtures)
