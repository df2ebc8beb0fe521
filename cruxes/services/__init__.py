"""The write layer. Every change to data goes through a keyword-only function here, in one
transaction, called alike by the HTML views, the REST API and the tasks.

Errors: `django.core.exceptions.ValidationError` for bad input (→ 400 / form error),
`django.core.exceptions.PermissionDenied` for a user acting on what is not theirs (→ 403).
"""
