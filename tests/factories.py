"""Factories that create rows through the services, so every invariant (whole-comment
claims, rendered HTML, counters) holds in tests as it does in production."""

import factory
from django.contrib.auth import get_user_model

from cruxes.services.discussion import comment_create, thread_create

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_thread(*, author=None, title="Will interpretability scale?", body="Opening post text."):
    return thread_create(author=author or UserFactory(), title=title, body=body)


def make_comment(*, thread, author=None, parent=None, body="A reply."):
    return comment_create(author=author or UserFactory(), thread=thread, parent=parent, body=body)
