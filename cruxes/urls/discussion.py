from django.urls import path

from cruxes.views import discussion as views

urlpatterns = [
    path("", views.thread_list, name="thread_list"),
    path("t/new/", views.thread_create, name="thread_create"),
    path("t/<int:thread_id>/", views.thread_detail, name="thread_detail"),
    path("t/<int:thread_id>/comment/", views.comment_create, name="comment_create"),
    path("c/<int:comment_id>/", views.comment_detail, name="comment_detail"),
    path("c/<int:comment_id>/reply/", views.comment_reply, name="comment_reply"),
    path("c/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("c/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("c/<int:comment_id>/history/", views.comment_history, name="comment_history"),
    path("c/<int:comment_id>/approval/", views.comment_approval_vote, name="comment_approval_vote"),
    path("c/<int:comment_id>/agreement/", views.comment_agreement_vote, name="comment_agreement_vote"),
    path("u/<str:username>/", views.profile, name="profile"),
]
