from django.urls import path

from cruxes.views import discussion as views

urlpatterns = [
    path("", views.thread_list, name="thread_list"),
    path("t/<int:thread_id>/", views.thread_detail, name="thread_detail"),
]
