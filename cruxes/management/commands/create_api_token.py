from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cruxes.api.tokens import token_rotate


class Command(BaseCommand):
    help = "Create (or replace) a user's REST API token and print it."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive; activate the account first.")
        token = token_rotate(user)
        self.stdout.write(token.key)
