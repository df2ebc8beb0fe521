from django.apps import AppConfig


class CruxesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cruxes"
    verbose_name = "Crux discussion"
