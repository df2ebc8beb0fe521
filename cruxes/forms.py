"""HTML forms. They check shape (required, length); the services are the source of truth
for every rule and their ValidationErrors are folded back into the form by `add_service_error`."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from cruxes.models.discussion import BODY_MAX_LENGTH, TITLE_MAX_LENGTH

MARKDOWN_HINT = "Markdown: **bold**, *italic*, > quote, `code`, [link](https://…), - list"


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional. Only used to reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", BODY_MAX_LENGTH)
        kwargs.setdefault("help_text", MARKDOWN_HINT)
        kwargs.setdefault("error_messages", {
            "required": "Write something first: the comment is empty.",
            "max_length": f"Comments are limited to {BODY_MAX_LENGTH:,} characters "
                          "(this one has %(show_value)s).",
        })
        super().__init__(**kwargs)
        # The browser would silently truncate at maxlength; let the server explain instead.
        self.widget.attrs.pop("maxlength", None)


class ThreadForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": "A thread needs a title."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "What do you want to discuss?"}),
    )
    body = BodyField(
        label="Opening post",
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "Make your case. Readers can mark the exact part they disagree with."}),
    )


class CommentForm(forms.Form):
    body = BodyField(
        label="Your reply",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Write a reply…"}),
    )


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service ValidationError to the form: keyed messages go to their field when the
    form has one, everything else is shown above the form."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, error)
