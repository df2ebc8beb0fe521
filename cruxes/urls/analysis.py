from django.urls import path

from cruxes.views import analysis as views

urlpatterns = [
    path("claims/<int:claim_id>/why/", views.claim_why, name="claim_why"),
    path("t/<int:thread_id>/opinions/", views.thread_opinions, name="thread_opinions"),
    path("comments/<int:comment_id>/digest/", views.comment_digest, name="comment_digest"),
]
